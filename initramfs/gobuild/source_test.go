package gobuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeCheckouts makes a Kiln root (with a nested dir), another module and a
// dir without any module.
func fakeCheckouts(t *testing.T) (kiln, nested, other, bare string) {
	t.Helper()
	base := t.TempDir()
	kiln = filepath.Join(base, "kiln")
	writeFile(t, filepath.Join(kiln, "go.mod"), "module "+KilnModule+"\n\ngo 1.26\n")
	nested = filepath.Join(kiln, "a", "b")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	other = filepath.Join(base, "other")
	writeFile(t, filepath.Join(other, "go.mod"), "module example.com/other\n")
	bare = filepath.Join(base, "bare")
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	return kiln, nested, other, bare
}

func TestFindSourceOrder(t *testing.T) {
	kiln, nested, other, bare := fakeCheckouts(t)
	tests := []struct {
		name, hint, env, wd, exe string
		want                     string
		wantErr                  []string
	}{
		{name: "hint", hint: kiln, env: other, wd: bare, want: kiln},
		{name: "hint not kiln", hint: other, wd: nested, wantErr: []string{other, `declares module "example.com/other"`}},
		{name: "hint without go.mod", hint: bare, wantErr: []string{bare, "not a Kiln checkout"}},
		{name: "env", env: kiln, wd: bare, want: kiln},
		{name: "env not kiln", env: other, wd: nested, wantErr: []string{"KILN_SRC", other}},
		{name: "walk up from wd", wd: nested, exe: filepath.Join(bare, "kiln"), want: kiln},
		{name: "wd is root", wd: kiln, want: kiln},
		{name: "walk up from executable", wd: bare, exe: filepath.Join(nested, "kiln"), want: kiln},
		{name: "other module is no match", wd: other, exe: filepath.Join(bare, "kiln"),
			wantErr: []string{"run kiln from a Kiln checkout or set KILN_SRC", KilnModule}},
		{name: "nothing", wd: bare, wantErr: []string{"run kiln from a Kiln checkout or set KILN_SRC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findSource(tt.hint, tt.env, tt.wd, tt.exe)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("findSource = %q, want error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("findSource = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindSourceUsesEnvAndWorkingDir(t *testing.T) {
	kiln, nested, _, _ := fakeCheckouts(t)
	t.Setenv(SourceEnv, "")
	t.Chdir(nested)
	got, err := FindSource("")
	if err != nil || got != kiln {
		t.Fatalf("FindSource from %s = %q, %v; want %q", nested, got, err, kiln)
	}

	t.Chdir(t.TempDir())
	t.Setenv(SourceEnv, kiln)
	got, err = FindSource("")
	if err != nil || got != kiln {
		t.Fatalf("FindSource with %s=%s = %q, %v", SourceEnv, kiln, got, err)
	}
}

// repoRoot is the real checkout the tests run in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := FindSource("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "initramfs", "gobuild", "testdata", "hello", "main.go")); err != nil {
		t.Fatalf("FindSource found %s, which is not this checkout: %v", root, err)
	}
	return root
}
