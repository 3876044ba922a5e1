package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-project/kiln/qemu"
)

// readyWatcher closes ready once the console shows the ready event.
type readyWatcher struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan struct{}
	once  sync.Once
}

func (w *readyWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), `"phase":"ready"`) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// TestDemoDebugShell boots the demo spec (debug_shell: true) and runs a
// command in the u-root shell on the serial console.
func TestDemoDebugShell(t *testing.T) {
	e := setup(t)
	out := filepath.Join(t.TempDir(), "demo")
	e.mustKiln(t, 10*time.Minute, "build", "-f", "examples/demo/kiln.yaml", "-o", out)
	cmdline, err := os.ReadFile(filepath.Join(out, "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	w := &readyWatcher{ready: make(chan struct{})}
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() {
		select {
		case <-w.ready:
		case <-time.After(3 * time.Minute):
			return
		}
		time.Sleep(500 * time.Millisecond) // let the shell print its prompt
		io.WriteString(pw, "cat /etc/os-release\r")
	}()
	res, err := qemu.Run(context.Background(), qemu.Options{
		Kernel: filepath.Join(out, "vmlinuz"), Initrd: filepath.Join(out, "initramfs.cpio.zst"),
		Cmdline: strings.TrimSpace(string(cmdline)), Accel: "tcg", Timeout: 90 * time.Second,
		Expect: regexp.MustCompile(`PRETTY_NAME="Kiln \(demo\)"`), Console: w, Stdin: pr,
	})
	if err != nil {
		t.Fatalf("shell did not answer: %v\nconsole:\n%s", err, tail(w.buf.String()))
	}
	if !res.ExpectMatched || !res.Ready {
		t.Fatalf("expect=%v ready=%v", res.ExpectMatched, res.Ready)
	}
}
