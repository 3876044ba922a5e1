package kernelconfig

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/internal/testkernel"
)

// realTree is lib/modules/<release> of the real Debian cloud kernel,
// extracted once for all tests.
var realTree string

func TestMain(m *testing.M) {
	code := testkernel.RunWithTree(m, &realTree)
	os.Exit(code)
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
