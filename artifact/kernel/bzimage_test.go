package kernel

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBzImage is the smallest file BzImageVersion accepts, carrying
// version at offset 0x200+ptr.
func fakeBzImage(version string) []byte {
	b := make([]byte, 0x1000)
	binary.LittleEndian.PutUint16(b[0x1fe:], 0xaa55)
	copy(b[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(b[0x206:], 0x020f)
	binary.LittleEndian.PutUint16(b[0x20e:], 0x300)
	copy(b[0x500:], version+"\x00")
	return b
}

func TestBzImageVersion(t *testing.T) {
	good := "6.6.6-test (me@example.org) #1 SMP PREEMPT_DYNAMIC"
	tests := []struct {
		name    string
		image   func() []byte
		want    string
		wantErr string
	}{
		{"ok", func() []byte { return fakeBzImage(good) }, good, ""},
		{"no boot flag", func() []byte { b := fakeBzImage(good); b[0x1fe] = 0; return b }, "", "not an x86 bzImage"},
		{"no HdrS", func() []byte { b := fakeBzImage(good); b[0x202] = 'X'; return b }, "", "not an x86 bzImage"},
		{"old protocol", func() []byte { b := fakeBzImage(good); b[0x207] = 1; return b }, "", "older than 2.00"},
		{"no pointer", func() []byte { b := fakeBzImage(good); b[0x20e], b[0x20f] = 0, 0; return b }, "", "no version string"},
		{"unterminated", func() []byte { return fakeBzImage(strings.Repeat("x", 0x1000)) }, "", "not terminated"},
		{"binary", func() []byte { return fakeBzImage("6.6\x01") }, "", "not printable"},
		{"truncated", func() []byte { return fakeBzImage(good)[:0x100] }, "", "read setup header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.image()
			if len(img) > 0x1000 {
				img = img[:0x1000]
			}
			got, err := BzImageVersion(bytes.NewReader(img))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(p, fakeBzImage(good), 0o644)
	if r, err := BzImageRelease(p); err != nil || r != "6.6.6-test" {
		t.Errorf("BzImageRelease = %q, %v", r, err)
	}
}
