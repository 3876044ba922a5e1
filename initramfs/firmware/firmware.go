// Package firmware picks the firmware files an initramfs carries under
// /lib/firmware from the spec's firmware sources: Debian firmware .debs,
// directories and tarballs, laid over each other in order.
//
// Without firmware.all only what the packed modules declare (firmware=
// in their .modinfo) is packed: a full firmware-misc-nonfree is hundreds
// of megabytes, nearly all for hardware the node does not have.
package firmware

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/initramfs/cpio"
	"github.com/kiln-project/kiln/spec"
)

// Root is where the kernel's firmware loader looks, in the archive.
const Root = "lib/firmware"

// Result is what Collect packs.
type Result struct {
	// Entries are files and symlinks under lib/firmware, sorted by path.
	Entries []cpio.Entry
	// Inputs are the fetched sources, in spec order.
	Inputs []artifact.Fetched
	// Packed are the packed paths relative to lib/firmware (files and
	// symlinks), sorted.
	Packed []string
	// Missing are declared names (or globs) that no source holds, sorted.
	// Not an error: modules declare firmware for every device they drive,
	// and most of it is for hardware this node does not have.
	Missing []string
}

// Collect fetches the sources of fw (relative paths against baseDir) and
// picks the firmware to pack: every file with fw.All, else the names in
// declared (paths relative to lib/firmware; path.Match globs allowed).
// With no sources it packs nothing and reports nothing missing.
//
// Later sources win for the same path. A symlink is packed as a symlink
// (relative, rewritten if it was absolute) together with what it points
// to; one that leads nowhere packed is left out. A declared foo.bin is
// also satisfied by foo.bin.xz or foo.bin.zst, which a kernel with
// CONFIG_FW_LOADER_COMPRESS decompresses; only the first of foo.bin,
// .xz, .zst found is packed (xz before zst: Debian's 6.1 kernels
// decompress only xz, and a kernel with both still finds the .xz).
func Collect(ctx context.Context, c *artifact.Cache, fw spec.Firmware, baseDir string, declared []string) (Result, error) {
	var res Result
	if len(fw.Sources) == 0 {
		return res, nil
	}
	t := newTree()
	for i, a := range fw.Sources {
		field := fmt.Sprintf("firmware.sources[%d]", i)
		f, roots, err := open(ctx, c, field, a, baseDir)
		if err != nil {
			return Result{}, err
		}
		for _, root := range roots {
			src, err := scan(ctx, root)
			if err != nil {
				return Result{}, fmt.Errorf("%s: %w", field, err)
			}
			t.overlay(src)
		}
		res.Inputs = append(res.Inputs, f)
	}
	p := &packer{tree: t, entries: map[string]cpio.Entry{}}
	if fw.All {
		p.all(c.Logger())
	} else {
		res.Missing = p.declared(declared)
	}
	res.Entries, res.Packed = p.result()
	return res, nil
}

// packer gathers the entries for the chosen paths.
type packer struct {
	tree *tree
	// entries by path relative to lib/firmware.
	entries map[string]cpio.Entry
}

func (p *packer) result() ([]cpio.Entry, []string) {
	names := make([]string, 0, len(p.entries))
	for n := range p.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	entries := make([]cpio.Entry, len(names))
	for i, n := range names {
		entries[i] = p.entries[n]
	}
	return entries, names
}

// cleanName makes a declared name a tree path; ok is false for names
// that leave lib/firmware.
func cleanName(name string) (string, bool) {
	c := path.Clean(strings.TrimLeft(strings.TrimSpace(name), "/"))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}
