package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/internal/testkernel"
)

// TestBadSpecsFailCleanly: each broken spec fails with a message that
// names the problem and the fix, and writes no output directory.
func TestBadSpecsFailCleanly(t *testing.T) {
	e := setup(t)
	deb, err := testkernel.Deb()
	if err != nil {
		t.Fatal(err)
	}
	zeros := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, spec string
		want       []string
	}{
		{"wrong sha256", "name: bad\nkernel:\n  deb: {source: " + deb + ", sha256: " + zeros + "}\n",
			[]string{"kernel.deb", "sha256 mismatch", zeros}},
		{"missing kernel", "name: bad\nkernel:\n  deb: /nonexistent/linux.deb\n",
			[]string{"kernel.deb", "/nonexistent/linux.deb"}},
		{"typo'd key", "name: bad\nkernel:\n  deb: " + deb + "\n  cmdlin: quiet\n",
			[]string{"kiln.yaml:4:3", "kernel.cmdlin", `did you mean "cmdline"`}},
		{"unknown module", "name: bad\nkernel:\n  deb: " + deb + "\n  modules: [virtio_nett]\n",
			[]string{"kernel.modules", "virtio_nett", `"virtio_net"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			specPath := filepath.Join(dir, "kiln.yaml")
			if err := os.WriteFile(specPath, []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			r := e.kilnCmd(t, 5*time.Minute, "build", "-f", specPath, "-o", out)
			if r.code == 0 {
				t.Fatalf("build succeeded; stdout:\n%s", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, r.stderr)
				}
			}
			ents, _ := os.ReadDir(dir)
			for _, en := range ents {
				if en.Name() != "kiln.yaml" {
					t.Errorf("build left %s behind", en.Name())
				}
			}
		})
	}
}

// TestValidate checks the validate verb on the shipped examples and a typo.
func TestValidate(t *testing.T) {
	e := setup(t)
	for _, ex := range []string{"examples/minimal/kiln.yaml", "examples/demo/kiln.yaml"} {
		e.mustKiln(t, time.Minute, "validate", "-f", ex)
	}
	bad := filepath.Join(t.TempDir(), "kiln.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nkernel:\n  deb: k.deb\nagent:\n  debug_shell: yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.kilnCmd(t, time.Minute, "validate", "-f", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "agent.debug_shell") || !strings.Contains(r.stderr, ":5:16:") {
		t.Fatalf("validate of a bad spec: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
