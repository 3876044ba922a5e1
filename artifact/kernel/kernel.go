// Package kernel turns the spec's kernel section into a kernel image and
// its module tree on local disk, unpacking .debs and tarballs into the
// artifact cache once.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/spec"
)

// Kernel is a resolved kernel, ready to pack.
type Kernel struct {
	// Release is the kernel release, e.g. "6.1.0-57-cloud-amd64".
	Release string
	// Vmlinuz is the absolute path of the kernel image.
	Vmlinuz string
	// ModulesDir is the absolute path of the <release> module directory
	// (holding kernel/, modules.order, ...); empty when there are no
	// modules.
	ModulesDir string
	// Config is the absolute path of the kernel's build config when the
	// source has one (boot/config-<release> in a .deb); else empty.
	Config string
	// Inputs are the fetched artifacts it was made from.
	Inputs []artifact.Fetched
}

// Resolve fetches and unpacks the kernel k describes. Relative sources
// resolve against baseDir.
func Resolve(ctx context.Context, c *artifact.Cache, k spec.Kernel, baseDir string) (Kernel, error) {
	switch {
	case k.Deb != nil && k.Vmlinuz != nil:
		return Kernel{}, errors.New("kernel: both deb and vmlinuz are set; keep one")
	case k.Deb != nil && k.ModuleTree != nil:
		return Kernel{}, errors.New("kernel.module_tree: only used with kernel.vmlinuz; a .deb brings its own modules")
	case k.Deb != nil:
		return fromDeb(ctx, c, *k.Deb, baseDir)
	case k.Vmlinuz != nil:
		return fromVmlinuz(ctx, c, k, baseDir)
	}
	return Kernel{}, errors.New("kernel: neither deb nor vmlinuz is set; set kernel.deb to a linux-image .deb")
}

// fetchFile fetches an artifact that must be a file, not a directory.
func fetchFile(ctx context.Context, c *artifact.Cache, field string, a spec.Artifact, baseDir, want string) (artifact.Fetched, error) {
	f, err := c.Fetch(ctx, field, a, baseDir)
	if err != nil {
		return f, err
	}
	if f.Dir {
		return f, fmt.Errorf("%s: %s is a directory; want %s", field, f.Path, want)
	}
	return f, nil
}

// isReleaseDir reports whether dir looks like lib/modules/<release>.
func isReleaseDir(dir string) bool {
	for _, marker := range []string{"modules.order", "modules.builtin", "kernel"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return true
		}
	}
	return false
}

// treeSize sums the sizes of regular files under dir, for logs.
func treeSize(dir string) (files int, bytes int64) {
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				files++
				bytes += fi.Size()
			}
		}
		return nil
	})
	return files, bytes
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
