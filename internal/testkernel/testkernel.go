// Package testkernel finds the real Debian kernel that tests read and
// unpacks its module tree once per test binary. It is for tests only.
package testkernel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Env names the kernel .deb explicitly; the Makefile sets it.
const Env = "KILN_TEST_KERNEL_DEB"

// Deb returns the test kernel package: $KILN_TEST_KERNEL_DEB, else
// build/kernel/linux-image-cloud-amd64.deb under the repository root.
func Deb() (string, error) {
	if p := os.Getenv(Env); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "build", "kernel", "linux-image-cloud-amd64.deb")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("test kernel %s missing: run `make kernel` or set %s: %w", p, Env, err)
	}
	return p, nil
}

// RepoRoot is the nearest directory above the working directory that
// holds a go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found above the test directory")
		}
		dir = parent
	}
}

// Release is the kernel release in the package's file name
// (linux-image-<release>_<version>_amd64.deb), following the symlink.
func Release(deb string) (string, error) {
	real, err := filepath.EvalSymlinks(deb)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(filepath.Base(real), "linux-image-")
	rel, _, ok := strings.Cut(name, "_")
	if !ok || rel == "" {
		return "", fmt.Errorf("no kernel release in the name of %s", real)
	}
	return rel, nil
}

// Extract unpacks the package into dir with dpkg-deb (independent of our
// own .deb reader, which has its own tests) and returns the module tree
// lib/modules/<release>.
func Extract(dir string) (string, error) {
	deb, err := Deb()
	if err != nil {
		return "", err
	}
	rel, err := Release(deb)
	if err != nil {
		return "", err
	}
	if out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", deb, err, out)
	}
	return filepath.Join(dir, "lib", "modules", rel), nil
}

// MustDeb is Deb for a test: it fails t when the package is missing.
func MustDeb(t testing.TB) string {
	t.Helper()
	p, err := Deb()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// MustCountModules counts the module files (*.ko, compressed or not)
// under a module tree, independently of the scanner under test, and
// fails t when the tree cannot be read.
func MustCountModules(t testing.TB, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".ko") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatalf("count modules under %s: %v", root, err)
	}
	return n
}

// RunWithTree is a TestMain body: it unpacks the kernel once into a temp
// directory, points *tree at its module tree, runs the tests and cleans
// up. It returns the exit code for os.Exit.
func RunWithTree(m *testing.M, tree *string) int {
	tmp, err := os.MkdirTemp("", "kiln-testkernel-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if *tree, err = Extract(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
