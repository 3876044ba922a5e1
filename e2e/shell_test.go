package e2e

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-project/kiln/qemu"
	"github.com/kiln-project/kiln/spec/event"
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
	out := e.buildExample(t, "demo")
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
	o := vmOptions(t, out, "")
	o.Timeout, o.Console, o.Stdin = 90*time.Second, w, pr
	o.Expect = regexp.MustCompile(`PRETTY_NAME="Kiln \(demo\)"`)
	res, err := qemu.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("shell did not answer: %v\nconsole:\n%s", err, tail(w.buf.String()))
	}
	if !res.ExpectMatched || !res.Ready {
		t.Fatalf("expect=%v ready=%v", res.ExpectMatched, res.Ready)
	}

	// The shell holds the console as its controlling tty; killing it at
	// shutdown hangs the console up. The agent's last events must still
	// come out, and the VM must power off cleanly.
	r := e.mustKiln(t, 4*time.Minute, "run", out, "--accel", "tcg", "--timeout", "3m", "--append", "kiln.poweroff=ready")
	if sd, ok := find(events(t, r.stdout), "shutdown", event.OK); !ok || sd.Data["action"] != "poweroff" {
		t.Errorf("no shutdown ok event with the debug shell running:\n%s", tail(r.stdout))
	}
}
