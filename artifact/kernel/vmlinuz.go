package kernel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/deb"
	"github.com/kiln-project/kiln/spec"
)

const (
	vmlinuzField = "kernel.vmlinuz"
	treeField    = "kernel.module_tree"
)

// fromVmlinuz resolves a bare kernel image and an optional module tree.
// The release comes from the module tree's directory name, else from the
// image's header; when both are known they must agree, or no module
// would load.
func fromVmlinuz(ctx context.Context, c *artifact.Cache, k spec.Kernel, baseDir string) (Kernel, error) {
	vf, err := fetchFile(ctx, c, vmlinuzField, *k.Vmlinuz, baseDir, "a kernel image file")
	if err != nil {
		return Kernel{}, err
	}
	hdrRelease, hdrErr := BzImageRelease(vf.Path)
	if k.ModuleTree == nil {
		if hdrErr != nil {
			return Kernel{}, fmt.Errorf("%s: %w; add kernel.module_tree so the release is known", vmlinuzField, hdrErr)
		}
		return Kernel{Release: hdrRelease, Vmlinuz: vf.Path, Inputs: []artifact.Fetched{vf}}, nil
	}
	if hdrErr != nil {
		c.Logger().Debug("kernel image has no readable release; taking it from the module tree", "path", vf.Path, "err", hdrErr)
		hdrRelease = ""
	}

	mf, err := c.Fetch(ctx, treeField, *k.ModuleTree, baseDir)
	if err != nil {
		return Kernel{}, err
	}
	modules, release, err := moduleTree(ctx, c, mf, hdrRelease)
	if err != nil {
		return Kernel{}, err
	}
	if hdrRelease != "" && release != hdrRelease {
		return Kernel{}, fmt.Errorf("%s: modules are for release %s but %s %s is release %s; use modules built with this kernel",
			treeField, release, vmlinuzField, vf.Path, hdrRelease)
	}
	return Kernel{Release: release, Vmlinuz: vf.Path, ModulesDir: modules, Inputs: []artifact.Fetched{vf, mf}}, nil
}

// moduleTree finds the <release> dir in a fetched module tree, unpacking
// a tarball into Dir/module-trees/<sha256> first.
func moduleTree(ctx context.Context, c *artifact.Cache, mf artifact.Fetched, hdrRelease string) (dir, release string, err error) {
	root := mf.Path
	if !mf.Dir {
		// The tree goes one level down, away from the cache's marker file.
		unpacked, _, err := c.Derived(ctx, "module-trees", mf.SHA256, func(ctx context.Context, tmp string) error {
			if err := deb.ExtractTarball(ctx, mf.Path, filepath.Join(tmp, "tree"), nil); err != nil {
				return fmt.Errorf("%s: %s is neither a directory nor a readable tarball: %w", treeField, mf.Path, err)
			}
			return nil
		})
		if err != nil {
			return "", "", err
		}
		root = filepath.Join(unpacked, "tree")
	}
	if isReleaseDir(root) {
		if mf.Dir {
			return root, filepath.Base(root), nil
		}
		// An unpacked tarball's root is named by digest, not release.
		if hdrRelease == "" {
			return "", "", fmt.Errorf("%s: %s holds a bare module tree and %s has no readable release; put the modules under lib/modules/<release>/ in the tarball",
				treeField, mf.Path, vmlinuzField)
		}
		return root, hdrRelease, nil
	}
	return findRelease(root, mf.Path, hdrRelease)
}

// findRelease looks for <release> dirs under lib/modules/, usr/lib/modules/
// or at the top of root.
func findRelease(root, source, hdrRelease string) (string, string, error) {
	var found []string
	for _, parent := range append(moduleRoots(), ".") {
		entries, _ := os.ReadDir(filepath.Join(root, parent))
		for _, e := range entries {
			d := filepath.Join(root, parent, e.Name())
			if e.IsDir() && isReleaseDir(d) {
				found = append(found, d)
			}
		}
	}
	for _, d := range found {
		if len(found) == 1 || filepath.Base(d) == hdrRelease {
			return d, filepath.Base(d), nil
		}
	}
	if len(found) == 0 {
		return "", "", fmt.Errorf("%s: no module tree in %s; want lib/modules/<release>/, <release>/ or the <release> directory itself (with modules.order or kernel/)",
			treeField, source)
	}
	return "", "", fmt.Errorf("%s: %s holds several releases (%s); keep only the one for kernel.vmlinuz",
		treeField, source, strings.Join(baseNames(found), ", "))
}
