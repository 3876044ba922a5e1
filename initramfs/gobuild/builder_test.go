package gobuild

import (
	"context"
	"debug/elf"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func assertStatic(t *testing.T, p string) {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("%s is not an ELF executable: %v", p, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("%s is built for %v, want x86-64", p, f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", p)
		}
	}
}

func assertDigest(t *testing.T, bin Binary) {
	t.Helper()
	sum, err := fileDigest(bin.Path)
	if err != nil {
		t.Fatal(err)
	}
	if sum != bin.SHA256 {
		t.Errorf("Binary.SHA256 = %s, file hashes to %s", bin.SHA256, sum)
	}
}

func runBinary(t *testing.T, p string) string {
	t.Helper()
	out, err := exec.Command(p).CombinedOutput()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", p, err, out)
	}
	return strings.TrimSpace(string(out))
}

// snapshotRepo copies this checkout's go.mod, go.sum and testdata/hello
// into a temp dir: the real tree's agent/ and spec/ are hashed too, and
// they change under a test while people work.
func snapshotRepo(t *testing.T) string {
	t.Helper()
	root, dst := repoRoot(t), t.TempDir()
	for _, rel := range []string{"go.mod", "go.sum", "initramfs/gobuild/testdata/hello/main.go"} {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, rel), string(data))
	}
	return dst
}

func TestBuildHelloCachesAndReproduces(t *testing.T) {
	ctx := context.Background()
	src := snapshotRepo(t)
	const pkg = "./initramfs/gobuild/testdata/hello"
	b := &Builder{Src: src, CacheDir: t.TempDir(), Log: testLogger(t)}

	cold, err := b.Build(ctx, pkg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cold.CacheHit || filepath.Base(cold.Path) != "hello" || !filepath.IsAbs(cold.Path) {
		t.Errorf("cold build = %+v, want a fresh absolute .../hello", cold)
	}
	assertStatic(t, cold.Path)
	assertDigest(t, cold)
	if got := runBinary(t, cold.Path); got != "hello from kiln gobuild" {
		t.Errorf("hello printed %q", got)
	}

	start := time.Now()
	warm, err := b.Build(ctx, pkg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("warm build took %v, want < 100ms", d)
	}
	if !warm.CacheHit || warm.Path != cold.Path || warm.SHA256 != cold.SHA256 {
		t.Errorf("warm build = %+v, want a cache hit of %+v", warm, cold)
	}

	// A second cache (and Builder) builds the same bytes.
	other := &Builder{Src: src, CacheDir: t.TempDir()}
	again, err := other.Build(ctx, "github.com/kiln-project/kiln/initramfs/gobuild/testdata/hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.CacheHit || again.SHA256 != cold.SHA256 {
		t.Errorf("rebuild in a new cache = %+v, want fresh with sha256 %s", again, cold.SHA256)
	}
}

// miniModule writes a small module with a main package at cmd/app that
// imports a package under agent/.
func miniModule(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "go.mod"), "module example.com/mini\n\ngo 1.26\n")
	writeFile(t, filepath.Join(src, "agent", "greet", "greet.go"),
		"package greet\n\nfunc Hello() string { return \"hello\" }\n")
	writeFile(t, filepath.Join(src, "agent", "greet", "greet_test.go"), "package greet\n")
	writeFile(t, filepath.Join(src, "agent", "greet", "testdata", "x.golden"), "x")
	writeFile(t, filepath.Join(src, "cmd", "app", "main.go"),
		"package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/mini/agent/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n")
	writeFile(t, filepath.Join(src, "other", "other.go"), "package other\n")
	return src
}

func TestPackageKey(t *testing.T) {
	ctx := context.Background()
	const pkg = "example.com/mini/cmd/app"
	tests := []struct {
		name    string
		change  func(t *testing.T, src string)
		opt     Options
		changes bool
	}{
		{name: "nothing", changes: false},
		{name: "main edited", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "cmd", "app", "main.go"), "package main\n\nfunc main() {}\n")
		}},
		{name: "agent package edited", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "agent", "greet", "greet.go"), "package greet\n\nfunc Hello() string { return \"hi\" }\n")
		}},
		{name: "agent file renamed", changes: true, change: func(t *testing.T, src string) {
			dir := filepath.Join(src, "agent", "greet")
			if err := os.Rename(filepath.Join(dir, "greet.go"), filepath.Join(dir, "hello.go")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "spec file added", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "spec", "types.go"), "package spec\n")
		}},
		{name: "embedded asset edited", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "agent", "greet", "banner.txt"), "hi")
		}},
		{name: "go.mod edited", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "go.mod"), "module example.com/mini\n\ngo 1.25\n")
		}},
		{name: "go.sum added", changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "go.sum"), "example.com/x v1.0.0 h1:abc=\n")
		}},
		{name: "test edited", changes: false, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "agent", "greet", "greet_test.go"), "package greet\n\n// more\n")
		}},
		{name: "testdata edited", changes: false, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "agent", "greet", "testdata", "x.golden"), "y")
		}},
		{name: "unhashed dir edited", changes: false, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "other", "other.go"), "package other\n\n// more\n")
		}},
		{name: "extra hash dir edited", opt: Options{HashDirs: []string{"other"}}, changes: true, change: func(t *testing.T, src string) {
			writeFile(t, filepath.Join(src, "other", "other.go"), "package other\n\n// more\n")
		}},
		{name: "cgo", opt: Options{CGO: true}, changes: true},
		{name: "tags", opt: Options{Tags: []string{"debug"}}, changes: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Builder{Src: miniModule(t), CacheDir: t.TempDir()}
			tc, err := b.goToolchain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			opt := tt.opt
			before, err := b.packageKey(tc, pkg, Options{HashDirs: opt.HashDirs})
			if err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(t, b.Src)
			}
			after, err := b.packageKey(tc, pkg, opt)
			if err != nil {
				t.Fatal(err)
			}
			if (before != after) != tt.changes {
				t.Errorf("key changed = %v, want %v", before != after, tt.changes)
			}
		})
	}
}

func TestPackageKeyIgnoresTagOrder(t *testing.T) {
	b := &Builder{Src: miniModule(t), CacheDir: t.TempDir()}
	tc, err := b.goToolchain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k1, err1 := b.packageKey(tc, "./cmd/app", Options{Tags: []string{"a", "b"}})
	k2, err2 := b.packageKey(tc, "./cmd/app", Options{Tags: []string{"b", "a"}})
	if err1 != nil || err2 != nil || k1 != k2 {
		t.Errorf("keys for tags a,b and b,a: %s (%v) vs %s (%v)", k1, err1, k2, err2)
	}
}

func TestBuildRebuildsAfterEdit(t *testing.T) {
	ctx := context.Background()
	b := &Builder{Src: miniModule(t), CacheDir: t.TempDir()}
	first, err := b.Build(ctx, "./cmd/app", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := runBinary(t, first.Path); got != "hello" {
		t.Fatalf("app printed %q, want hello", got)
	}
	writeFile(t, filepath.Join(b.Src, "agent", "greet", "greet.go"),
		"package greet\n\nfunc Hello() string { return \"changed\" }\n")
	second, err := b.Build(ctx, "./cmd/app", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if second.CacheHit || second.SHA256 == first.SHA256 || second.Path == first.Path {
		t.Errorf("build after edit = %+v, want a fresh build beside %+v", second, first)
	}
	if got := runBinary(t, second.Path); got != "changed" {
		t.Errorf("rebuilt app printed %q, want changed", got)
	}
}

func TestBuildErrorShowsCompilerMessage(t *testing.T) {
	b := &Builder{Src: miniModule(t), CacheDir: t.TempDir()}
	writeFile(t, filepath.Join(b.Src, "cmd", "app", "main.go"),
		"package main\n\nfunc main() { undefinedThing() }\n")
	_, err := b.Build(context.Background(), "./cmd/app", Options{})
	if err == nil {
		t.Fatal("Build of a broken package succeeded")
	}
	for _, want := range []string{"build ./cmd/app", "main.go:3", "undefined: undefinedThing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(b.CacheDir, "gobuild", "*", "*"))
	if len(left) != 0 {
		t.Errorf("failed build left %v in the cache", left)
	}
}

func TestBuilderNeedsSrcAndCache(t *testing.T) {
	ctx := context.Background()
	if _, err := (&Builder{CacheDir: t.TempDir()}).Build(ctx, "./x", Options{}); err == nil || !strings.Contains(err.Error(), "Builder.Src") {
		t.Errorf("Build without Src: %v", err)
	}
	if _, err := (&Builder{Src: t.TempDir()}).Build(ctx, "./x", Options{}); err == nil || !strings.Contains(err.Error(), "Builder.CacheDir") {
		t.Errorf("Build without CacheDir: %v", err)
	}
}

func TestBinaryName(t *testing.T) {
	tests := map[string]string{
		"github.com/kiln-project/kiln/cmd/kiln-agent": "kiln-agent",
		"./cmd/kiln-agent/":                           "kiln-agent",
		"github.com/containerd/containerd/v2/cmd/ctr": "ctr",
		"github.com/example/tool/v2":                  "tool",
		"v2":                                          "v2",
		"github.com/opencontainers/runc":              "runc",
	}
	for pkg, want := range tests {
		if got := binaryName(pkg); got != want {
			t.Errorf("binaryName(%q) = %q, want %q", pkg, got, want)
		}
	}
}
