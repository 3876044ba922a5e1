package gobuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBuildBusybox builds the one busybox of this test run (about a minute
// cold) and runs it as ls through a symlink, the way the initramfs does.
func TestBuildBusybox(t *testing.T) {
	b := &Builder{Src: repoRoot(t), CacheDir: t.TempDir(), Log: testLogger(t)}
	const bogus = "github.com/u-root/u-root/cmds/core/nosuchcmd"
	cmds := append(DefaultBusyboxCmds(), bogus)
	ctx := context.Background()

	start := time.Now()
	bin, names, err := b.BuildBusybox(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold busybox build took %v; commands: %v", time.Since(start), names)
	if bin.CacheHit {
		t.Error("first build reported a cache hit")
	}
	if filepath.Base(bin.Path) != BusyboxName {
		t.Errorf("busybox at %s, want a file named %s", bin.Path, BusyboxName)
	}
	for _, want := range []string{"ls", "cat", "gosh", "ip"} {
		if !slices.Contains(names, want) {
			t.Errorf("commands %v lack %s", names, want)
		}
	}
	if slices.Contains(names, "nosuchcmd") {
		t.Errorf("commands %v include the one that cannot build", names)
	}
	assertStatic(t, bin.Path)
	assertDigest(t, bin)

	bbin := filepath.Join(t.TempDir(), "bbin")
	install(t, bin.Path, bbin, names)
	listed := t.TempDir()
	writeFile(t, filepath.Join(listed, "alpha.txt"), "a")
	writeFile(t, filepath.Join(listed, "beta.txt"), "b")
	out, err := exec.Command(filepath.Join(bbin, "ls"), listed).CombinedOutput()
	if err != nil {
		t.Fatalf("bbin/ls %s: %v\n%s", listed, err, out)
	}
	if !strings.Contains(string(out), "alpha.txt") || !strings.Contains(string(out), "beta.txt") {
		t.Errorf("bbin/ls %s printed %q, want both files", listed, out)
	}

	start = time.Now()
	warm, warmNames, err := b.BuildBusybox(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("warm busybox build took %v, want < 100ms", d)
	}
	if !warm.CacheHit || warm.SHA256 != bin.SHA256 || !slices.Equal(warmNames, names) {
		t.Errorf("warm build = %+v %v, want a cache hit of %+v %v", warm, warmNames, bin, names)
	}
}

// install lays the busybox out as the initramfs does: a regular file
// bbin/bb and bbin/<cmd> -> bb. (bb must not itself be a symlink: the
// busybox follows links only up to the last one and dispatches on its name.)
func install(t *testing.T, bb, bbin string, names []string) {
	t.Helper()
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bbin, BusyboxName), string(data))
	if err := os.Chmod(filepath.Join(bbin, BusyboxName), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.Symlink(BusyboxName, filepath.Join(bbin, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuildableCmdsDropsBrokenOnes(t *testing.T) {
	b := &Builder{Src: miniModule(t), CacheDir: t.TempDir(), Log: testLogger(t)}
	writeFile(t, filepath.Join(b.Src, "cmd", "broken", "main.go"), "package main\n\nimport _ \"example.com/mini/nosuch\"\n\nfunc main() {}\n")
	got, err := b.buildableCmds(context.Background(), []string{"./cmd/app", "./agent/greet", "./cmd/broken", "./cmd/missing"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/mini/cmd/app"}; !slices.Equal(got, want) {
		t.Errorf("buildableCmds = %v, want %v", got, want)
	}
	if _, err := b.buildableCmds(context.Background(), []string{"./agent/greet"}); err == nil || !strings.Contains(err.Error(), "none of the commands") {
		t.Errorf("buildableCmds without a buildable command: %v", err)
	}
}

func TestBusyboxKey(t *testing.T) {
	const sum = "github.com/u-root/u-root v0.16.0 h1:abc=\ngithub.com/u-root/u-root v0.16.0/go.mod h1:def=\nexample.com/x v1.0.0 h1:x=\n"
	tc := &toolchain{version: "go1.26.0"}
	key := func(t *testing.T, goSum string, cmds ...string) string {
		t.Helper()
		b := &Builder{Src: t.TempDir()}
		writeFile(t, filepath.Join(b.Src, "go.sum"), goSum)
		k, err := b.busyboxKey(tc, cmds)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(t, sum, "a/ls", "a/cat")
	if key(t, sum, "a/cat", "a/ls") != base {
		t.Error("command order changed the key")
	}
	if key(t, sum+"example.com/y v1.0.0 h1:y=\n", "a/ls", "a/cat") != base {
		t.Error("an unrelated go.sum line changed the key")
	}
	if key(t, sum, "a/ls", "a/cat", "a/cp") == base {
		t.Error("adding a command kept the key")
	}
	if key(t, strings.ReplaceAll(sum, "v0.16.0", "v0.17.0"), "a/ls", "a/cat") == base {
		t.Error("a new u-root version kept the key")
	}
	b := &Builder{Src: t.TempDir()}
	writeFile(t, filepath.Join(b.Src, "go.sum"), "example.com/x v1.0.0 h1:x=\n")
	if _, err := b.busyboxKey(tc, []string{"a/ls"}); err == nil || !strings.Contains(err.Error(), "go get github.com/u-root/u-root") {
		t.Errorf("busyboxKey without a u-root pin: %v", err)
	}
}
