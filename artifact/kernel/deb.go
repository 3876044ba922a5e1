package kernel

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/deb"
	"github.com/kiln-project/kiln/spec"
)

const debField = "kernel.deb"

// moduleRoots are where packages put lib/modules; newer Debian moves it
// under usr/.
func moduleRoots() []string {
	return []string{"lib/modules", "usr/lib/modules"}
}

// fromDeb unpacks the kernel and its modules from a linux-image .deb
// into Dir/kernels/<deb sha256>, once.
func fromDeb(ctx context.Context, c *artifact.Cache, a spec.Artifact, baseDir string) (Kernel, error) {
	f, err := fetchFile(ctx, c, debField, a, baseDir, "a linux-image .deb file")
	if err != nil {
		return Kernel{}, err
	}
	log := c.Logger()
	dir, hit, err := c.Derived(ctx, "kernels", f.SHA256, func(ctx context.Context, tmp string) error {
		start := time.Now()
		log.Info("extracting kernel", "deb", f.Path, "size", mib(f.Size))
		if err := deb.Extract(ctx, f.Path, tmp, keepKernel); err != nil {
			return fmt.Errorf("%s: %w", debField, err)
		}
		if _, err := debLayout(tmp, f.Path); err != nil {
			return err
		}
		files, size := treeSize(tmp)
		log.Info("extracted kernel", "files", files, "size", mib(size), "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return Kernel{}, err
	}
	if hit {
		log.Debug("kernel cache hit", "deb", f.Path, "dir", dir)
	}
	k, err := debLayout(dir, f.Path)
	k.Inputs = []artifact.Fetched{f}
	return k, err
}

// keepKernel selects what a build needs from a linux-image .deb: the
// image, its config and the module tree, not docs or bug scripts.
func keepKernel(name string) bool {
	if ok, _ := path.Match("boot/vmlinuz-*", name); ok {
		return true
	}
	if ok, _ := path.Match("boot/config-*", name); ok {
		return true
	}
	for _, root := range moduleRoots() {
		if strings.HasPrefix(name, root+"/") {
			return true
		}
	}
	return false
}

// debLayout finds boot/vmlinuz-<release> and its module dir in dir.
func debLayout(dir, debPath string) (Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
	switch len(images) {
	case 0:
		return Kernel{}, fmt.Errorf("%s: no boot/vmlinuz-* in %s; is it a linux-image package?", debField, debPath)
	case 1:
	default:
		return Kernel{}, fmt.Errorf("%s: %s holds %d kernels (%s); want a package with one", debField, debPath, len(images), strings.Join(baseNames(images), ", "))
	}
	release := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	k := Kernel{Release: release, Vmlinuz: images[0]}
	if cfg := filepath.Join(dir, "boot", "config-"+release); fileExists(cfg) {
		k.Config = cfg
	}
	for _, root := range moduleRoots() {
		if m := filepath.Join(dir, root, release); isReleaseDir(m) {
			k.ModulesDir = m
			return k, nil
		}
	}
	var found []string
	for _, root := range moduleRoots() {
		m, _ := filepath.Glob(filepath.Join(dir, root, "*"))
		found = append(found, m...)
	}
	return Kernel{}, fmt.Errorf("%s: %s has boot/vmlinuz-%s but no lib/modules/%s (found %q); is it a linux-image package?",
		debField, debPath, release, release, baseNames(found))
}

func baseNames(paths []string) []string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
