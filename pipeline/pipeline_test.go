package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/spec"
)

func TestCmdline(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", BaseCmdline + " panic=10"},
		{"  quiet  ", BaseCmdline + " quiet panic=10"},
		{"quiet loglevel=3", BaseCmdline + " quiet loglevel=3 panic=10"},
	} {
		s := &spec.Spec{Kernel: spec.Kernel{Cmdline: tc.spec}}
		if got := Cmdline(s); got != tc.want {
			t.Errorf("Cmdline(%q) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStageReplacesOnlyKilnBuilds(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "out")
	writeFile(t, filepath.Join(old, ManifestName), "{}")
	writeFile(t, filepath.Join(old, "stale"), "x")

	st, err := newStage(old)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, st.path(ManifestName), "new")
	if err := st.commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(old, ManifestName)); string(b) != "new" {
		t.Errorf("manifest = %q after commit", b)
	}
	if _, err := os.Stat(filepath.Join(old, "stale")); !os.IsNotExist(err) {
		t.Errorf("old output not replaced whole: %v", err)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Errorf("left behind in %s: %v", root, ents)
	}

	other := filepath.Join(root, "home")
	writeFile(t, filepath.Join(other, "notes.txt"), "mine")
	if _, err := newStage(other); err == nil || !strings.Contains(err.Error(), "not a Kiln build") {
		t.Fatalf("newStage over a foreign directory: %v", err)
	}
}

func TestStageAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	st, err := newStage(filepath.Join(root, "out"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, st.path("vmlinuz"), "half")
	st.abort()
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("abort left %v", ents)
	}
}
