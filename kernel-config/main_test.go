package kernelconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const release = "6.1.0-57-cloud-amd64"

// realTree is lib/modules/<release> of the real Debian cloud kernel,
// extracted once for all tests.
var realTree string

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "kiln-kernelconfig-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if realTree, err = extractKernel(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

func extractKernel(dir string) (string, error) {
	deb := os.Getenv("KILN_TEST_KERNEL_DEB")
	if deb == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		deb = filepath.Join(root, "build", "kernel", "linux-image-cloud-amd64.deb")
	}
	if _, err := os.Stat(deb); err != nil {
		return "", fmt.Errorf("test kernel missing (run `make kernel` or set KILN_TEST_KERNEL_DEB): %w", err)
	}
	out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", deb, err, out)
	}
	return filepath.Join(dir, "lib", "modules", release), nil
}

func repoRoot() (string, error) {
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
			return "", errors.New("repository root (go.mod) not found")
		}
		dir = parent
	}
}

// fakeTree is a ModuleTree from a map; kernelconfig may not import the
// initramfs module index, so tests build their own.
type fakeTree struct {
	paths   map[string]string
	builtin map[string]bool
}

func (f fakeTree) Names() []string {
	var n []string
	for k := range f.paths {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

func (f fakeTree) RelPath(name string) (string, bool) {
	p, ok := f.paths[strings.ReplaceAll(name, "-", "_")]
	return p, ok
}

func (f fakeTree) Builtin(name string) bool { return f.builtin[strings.ReplaceAll(name, "-", "_")] }

// walkTree indexes a real module tree by file name (in-tree modules are
// named after their files) and modules.builtin.
func walkTree(t *testing.T, dir string) fakeTree {
	t.Helper()
	tree := fakeTree{paths: map[string]string{}, builtin: map[string]bool{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".ko") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		tree.paths[moduleName(rel)] = rel
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "modules.builtin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tree.builtin[moduleName(sc.Text())] = true
	}
	return tree
}

func moduleName(rel string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(rel), ".ko"), "-", "_")
}
