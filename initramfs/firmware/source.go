package firmware

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/deb"
	"github.com/kiln-project/kiln/spec"
)

// layouts are where a tree may hold its firmware, in the order they are
// laid over each other; a tree with none of them is itself the firmware
// directory. Newer Debian moves lib/firmware under usr/.
func layouts() []string { return []string{"usr/lib/firmware", "lib/firmware"} }

// unpackedDir is the subdirectory of a derived cache entry that holds the
// unpacked archive, so the cache's own marker file is never in it.
const unpackedDir = "tree"

// open fetches one source and returns the firmware directories in it
// (usually one), unpacking archives into the cache once per digest.
func open(ctx context.Context, c *artifact.Cache, field string, a spec.Artifact, baseDir string) (artifact.Fetched, []string, error) {
	f, err := c.Fetch(ctx, field, a, baseDir)
	if err != nil {
		return artifact.Fetched{}, nil, err
	}
	if f.Dir {
		return f, firmwareDirs(f.Path), nil
	}
	kind, err := sniff(f.Path)
	if err != nil {
		return artifact.Fetched{}, nil, fmt.Errorf("%s: %w", field, err)
	}
	dir, _, err := c.Derived(ctx, "firmware", f.SHA256, func(ctx context.Context, tmp string) error {
		return unpack(ctx, kind, f.Path, filepath.Join(tmp, unpackedDir))
	})
	if err != nil {
		return artifact.Fetched{}, nil, fmt.Errorf("%s: unpack %s: %w", field, f.Path, err)
	}
	tree := filepath.Join(dir, unpackedDir)
	if kind == kindDeb && len(layoutDirs(tree)) == 0 {
		return artifact.Fetched{}, nil, fmt.Errorf("%s: %s has no lib/firmware or usr/lib/firmware; is it a firmware package?", field, f.Path)
	}
	return f, firmwareDirs(tree), nil
}

// firmwareDirs returns the layouts present in tree, else tree itself.
func firmwareDirs(tree string) []string {
	if dirs := layoutDirs(tree); len(dirs) > 0 {
		return dirs
	}
	// A walk does not descend into a symlinked root.
	if d, err := filepath.EvalSymlinks(tree); err == nil {
		return []string{d}
	}
	return []string{tree}
}

// layoutDirs returns the layouts present in tree, resolved. Where lib is
// a link to usr/lib (a merged-usr root) both name one directory, which
// is returned once.
func layoutDirs(tree string) []string {
	var dirs []string
	for _, l := range layouts() {
		d, err := filepath.EvalSymlinks(filepath.Join(tree, l))
		if err != nil {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

type archiveKind int

const (
	kindDeb archiveKind = iota + 1
	kindTar
)

// sniff tells a .deb from a (possibly compressed) tarball by content, so
// cached downloads, which are named by digest, are recognised too.
func sniff(p string) (archiveKind, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(8); string(magic) == "!<arch>\n" {
		return kindDeb, nil
	}
	d, err := deb.Decompress(br)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", p, err)
	}
	defer d.Close()
	// Every tar Go and GNU tar write has "ustar" at offset 257.
	block := make([]byte, 512)
	if _, err := io.ReadFull(d, block); err == nil && bytes.HasPrefix(block[257:], []byte("ustar")) {
		return kindTar, nil
	}
	return 0, fmt.Errorf("%s is neither a .deb, a tarball nor a directory; give a firmware package, a tar(.gz|.xz|.zst) or a directory laid out like /lib/firmware", p)
}

func unpack(ctx context.Context, kind archiveKind, src, dst string) error {
	if kind == kindDeb {
		return deb.Extract(ctx, src, dst, keepFirmware)
	}
	return deb.ExtractTarball(ctx, src, dst, nil)
}

// keepFirmware takes only the firmware of a .deb, not its docs.
func keepFirmware(name string) bool {
	for _, l := range layouts() {
		if name == l || strings.HasPrefix(name, l+"/") {
			return true
		}
	}
	return false
}
