package qemu

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeQEMU writes a shell script standing in for QEMU and returns its
// path; it ignores QEMU's arguments except for writing them to args.
func fakeQEMU(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "qemu")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + filepath.Join(dir, "args") + "\n" + body
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
