package events

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

func TestEmitStampsUptime(t *testing.T) {
	var buf bytes.Buffer
	e := New(&buf)
	e.uptime = func() time.Duration { return 1234 * time.Millisecond }
	e.Emit(event.Event{Phase: "mounts", Status: event.OK, MS: 3})
	got, ok, err := event.Parse(strings.TrimSpace(buf.String()))
	if !ok || err != nil {
		t.Fatalf("Parse(%q) = %v, %v", buf.String(), ok, err)
	}
	if got.UptimeMS != 1234 || got.Phase != "mounts" || got.MS != 3 {
		t.Fatalf("event = %+v", got)
	}
}

func TestAttachWritesToEveryConsole(t *testing.T) {
	sys, dev := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(sys, "class/tty/console"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys, "class/tty/console/active"), []byte("tty0 ttyS0 ttyMissing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tty0", "ttyS0"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var boot bytes.Buffer
	e := New(&boot)
	names, err := e.Attach(sys, dev)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "tty0,ttyS0" {
		t.Fatalf("attached %v", names)
	}
	e.Println("hello")
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dev, n))
		if string(b) != "hello\n" {
			t.Errorf("%s got %q", n, b)
		}
	}
	if boot.Len() != 0 {
		t.Errorf("boot writer still written: %q", boot.String())
	}
}

func TestAttachNoConsoles(t *testing.T) {
	if _, err := New(&bytes.Buffer{}).Attach(t.TempDir(), t.TempDir()); err == nil {
		t.Fatal("want error without active consoles")
	}
}

// TestTTYReopensAfterFailure: a write that fails (as on a hung-up tty)
// is retried once on a freshly opened file.
func TestTTYReopensAfterFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ttyS0")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := openTTY(p)
	if err != nil {
		t.Fatal(err)
	}
	c.f.Close() // writes to it now fail, like EIO after a hangup
	if _, err := c.Write([]byte("after\n")); err != nil {
		t.Fatalf("write after reopen: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "after\n" {
		t.Fatalf("file = %q", b)
	}
}
