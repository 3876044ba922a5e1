package modules

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// syntheticIndex is a small tree exercising every index file feature:
// transitive deps, a softdep by alias, an absent softdep, a compressed
// module listed as ".ko" in modules.order, a module missing from
// modules.order, a module that is not packed, and built-in aliases.
func syntheticIndex() *Index {
	mods := []*Module{
		{Name: "a", RelPath: "kernel/a/a.ko", Depends: []string{"b", "c"},
			Aliases:  []string{"pci:v00001234d*sv*", "platform:a"},
			Softdeps: Softdeps{Pre: []string{"crypto-e"}, Post: []string{"absent", "c"}}},
		{Name: "b", RelPath: "kernel/b/b.ko", Depends: []string{"c"}, Firmware: []string{"vendor/b.bin"}},
		{Name: "c", RelPath: "kernel/c/c.ko"},
		{Name: "d", RelPath: "kernel/d/d.ko", Depends: []string{"c"}, Aliases: []string{"platform:d"}},
		{Name: "e", RelPath: "kernel/crypto/e.ko", Aliases: []string{"crypto-e", "e"}},
		{Name: "f_g", RelPath: "kernel/f/f-g.ko.xz", Firmware: []string{"vendor/b.bin", "vendor/f.bin"}},
	}
	ix := &Index{
		dir: "/nonexistent/lib/modules/9.9.9-test", release: "9.9.9-test",
		mods:           map[string]*Module{},
		builtin:        map[string]bool{"ext4": true, "crc32c_generic": true},
		builtinAliases: []Alias{{"fs-ext4", "ext4"}, {"crypto-crc32c", "crc32c_generic"}, {"crc32c", "crc32c_generic"}},
		builtinFile:    []byte("kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n"),
		order:          []string{"kernel/c/c.ko", "kernel/b/b.ko", "kernel/f/f-g.ko", "kernel/a/a.ko", "kernel/d/d.ko"},
	}
	for _, m := range mods {
		ix.mods[m.Name] = m
	}
	return ix
}

func TestIndexFilesGolden(t *testing.T) {
	s, err := syntheticIndex().Closure([]string{"a", "f-g", "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := setNames(s), []string{"a", "b", "c", "e", "f_g"}; !slices.Equal(got, want) {
		t.Fatalf("closure = %v, want %v", got, want)
	}
	if got, want := s.Firmware(), []string{"vendor/b.bin", "vendor/f.bin"}; !slices.Equal(got, want) {
		t.Errorf("Firmware() = %v, want %v", got, want)
	}
	dir := t.TempDir()
	if err := s.WriteIndexFiles(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	wantNames := []string{"modules.alias", "modules.builtin", "modules.dep", "modules.order", "modules.softdep"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("files written = %v, want %v (no temporary files left)", names, wantNames)
	}
	for _, n := range wantNames {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "synthetic", n+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s =\n%s\nwant (%s)\n%s", n, got, golden, want)
		}
	}
}

func TestIndexFilesDeterministic(t *testing.T) {
	render := func() []File {
		s, err := syntheticIndex().Closure([]string{"f_g", "ext4", "a"})
		if err != nil {
			t.Fatal(err)
		}
		files, err := s.IndexFiles()
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	first := render()
	for range 20 {
		if got := render(); !slices.EqualFunc(got, first, func(a, b File) bool { return a.Name == b.Name && string(a.Data) == string(b.Data) }) {
			t.Fatal("IndexFiles output differs between runs")
		}
	}
}

func TestDepCycle(t *testing.T) {
	ix := syntheticIndex()
	ix.mods["c"].Depends = []string{"a"}
	s, err := ix.Closure([]string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteDep(io.Discard); err == nil {
		t.Error("WriteDep with a dependency cycle succeeded")
	}
}

func TestClosureMissingDependency(t *testing.T) {
	ix := syntheticIndex()
	ix.mods["b"].Depends = []string{"gone"}
	if _, err := ix.Closure([]string{"a"}); err == nil {
		t.Error("Closure with a dependency missing from the tree succeeded")
	}
}
