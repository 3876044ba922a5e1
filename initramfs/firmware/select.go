package firmware

import (
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kiln-project/kiln/initramfs/cpio"
)

// compressedSuffixes are what the kernel also tries after the plain name,
// in the order we prefer them (see Collect).
func compressedSuffixes() []string { return []string{".xz", ".zst"} }

// all packs every file and every symlink that leads somewhere.
func (p *packer) all(log *slog.Logger) {
	for k, n := range p.tree.nodes {
		if !n.link {
			p.addFile(k)
			continue
		}
		res, ok := p.tree.resolve(k)
		if !ok {
			log.Warn("firmware symlink leads nowhere; left out", "path", path.Join(Root, k), "target", n.raw)
			continue
		}
		// What the links lead to is packed in its own right.
		p.addLinks(res.links)
	}
}

// declared packs the declared names and returns those not found.
func (p *packer) declared(names []string) []string {
	var missing []string
	for _, d := range names {
		if !p.packDeclared(d) {
			missing = append(missing, d)
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

func (p *packer) packDeclared(name string) bool {
	c, ok := cleanName(name)
	switch {
	case !ok:
		return false
	case strings.ContainsAny(c, "*?["):
		return p.packGlob(c)
	}
	return p.packName(c)
}

// packName packs name, or else its first compressed variant present.
func (p *packer) packName(name string) bool {
	if p.packFile(name) {
		return true
	}
	for _, ext := range compressedSuffixes() {
		if p.packFile(name + ext) {
			return true
		}
	}
	return false
}

// packGlob packs the names that match pattern, compressed or not. Like
// the shell, it matches the paths as they are: it does not look through
// symlinked directories.
func (p *packer) packGlob(pattern string) bool {
	if _, err := path.Match(pattern, ""); err != nil {
		return false
	}
	names := map[string]bool{}
	for k := range p.tree.nodes {
		base := stripCompression(k)
		if m, _ := path.Match(pattern, k); m {
			names[base] = true
		} else if m, _ := path.Match(pattern, base); m {
			names[base] = true
		}
	}
	found := false
	for name := range names {
		found = p.packName(name) || found
	}
	return found
}

func stripCompression(name string) string {
	for _, ext := range compressedSuffixes() {
		if b, ok := strings.CutSuffix(name, ext); ok {
			return b
		}
	}
	return name
}

// packFile packs the file name leads to and the symlinks on the way.
func (p *packer) packFile(name string) bool {
	res, ok := p.tree.resolve(name)
	if !ok || !res.file {
		return false
	}
	p.addFile(res.real)
	p.addLinks(res.links)
	return true
}

// addFile packs a file as 0644 whatever its mode on disk, so the archive
// does not depend on the umask it was unpacked under.
func (p *packer) addFile(k string) {
	p.entries[k] = cpio.FileFrom(path.Join(Root, k), 0o644, p.tree.nodes[k].src)
}

// addLinks packs symlinks with relative targets, so they hold inside the
// initramfs whatever they were written as.
func (p *packer) addLinks(links []string) {
	for _, k := range links {
		target := p.tree.nodes[k].target
		if target == "" {
			target = "."
		}
		rel, err := filepath.Rel(path.Dir(k), target)
		if err != nil {
			rel = "/" + path.Join(Root, target)
		}
		p.entries[k] = cpio.Symlink(path.Join(Root, k), filepath.ToSlash(rel))
	}
}
