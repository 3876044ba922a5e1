package deb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/internal/testkernel"
)

func TestExtractRealKernel(t *testing.T) {
	dst := t.TempDir()
	keep := func(name string) bool { return strings.HasPrefix(name, "boot/vmlinuz-") }
	if err := Extract(context.Background(), testkernel.MustDeb(t), dst, keep); err != nil {
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
