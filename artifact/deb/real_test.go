package deb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kernelDeb finds the real Debian kernel package the tests read.
func kernelDeb(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KILN_TEST_KERNEL_DEB"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "build", "kernel", "linux-image-cloud-amd64.deb")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real kernel .deb missing (%v); run `make kernel` or set KILN_TEST_KERNEL_DEB", err)
	}
	return p
}

func TestExtractRealKernel(t *testing.T) {
	dst := t.TempDir()
	keep := func(name string) bool { return strings.HasPrefix(name, "boot/vmlinuz-") }
	if err := Extract(context.Background(), kernelDeb(t), dst, keep); err != nil {
		t.Fatal(err)
	}
	all, _ := filepath.Glob(filepath.Join(dst, "*", "*"))
	if len(all) != 1 || !strings.HasPrefix(filepath.Base(all[0]), "vmlinuz-") {
		t.Fatalf("extracted %q, want one boot/vmlinuz-*", all)
	}
	b, err := os.ReadFile(all[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 1<<20 {
		t.Fatalf("%s is only %d bytes", all[0], len(b))
	}
	if b[0x1fe] != 0x55 || b[0x1ff] != 0xaa || !bytes.Equal(b[0x202:0x206], []byte("HdrS")) {
		t.Errorf("%s is not an x86 bzImage: % x", all[0], b[0x1fe:0x206])
	}
}
