// Package events prints the agent's kiln-event lines on every console the
// kernel has active, so a person at a screen and a test reading the serial
// port both see them.
package events

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kiln-project/kiln/spec/event"
)

// Emitter writes events and log lines to a set of consoles. It is safe for
// concurrent use; lines from different goroutines never interleave.
type Emitter struct {
	mu       sync.Mutex
	consoles []io.Writer
	uptime   func() time.Duration
}

// tty is a console opened by path. When a session that had it as its
// controlling terminal ends (the debug shell exits), the kernel hangs the
// tty up and every open file of it fails with EIO; reopening gets a
// working one.
type tty struct {
	path string
	f    *os.File
}

func openTTY(path string) (*tty, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	return &tty{path: path, f: f}, nil
}

func (t *tty) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	if err == nil {
		return n, nil
	}
	if rerr := t.reopen(); rerr != nil {
		return n, err
	}
	return t.f.Write(p)
}

func (t *tty) reopen() error {
	f, err := os.OpenFile(t.path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	t.f.Close()
	t.f = f
	return nil
}

// New returns an Emitter writing to w until Attach finds the consoles.
func New(w io.Writer) *Emitter {
	return &Emitter{consoles: []io.Writer{w}, uptime: Uptime}
}

// Attach switches output to every active console listed under sysDir
// (normally /sys), opened from devDir (normally /dev). /dev/console reaches
// only the last console= on the command line; writing to each tty reaches
// them all. It keeps the current writer when none can be opened.
func (e *Emitter) Attach(sysDir, devDir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(sysDir, "class/tty/console/active"))
	if err != nil {
		return nil, fmt.Errorf("read active consoles: %w", err)
	}
	var ws []io.Writer
	var names []string
	for _, name := range strings.Fields(string(b)) {
		t, err := openTTY(filepath.Join(devDir, name))
		if err != nil {
			continue
		}
		ws = append(ws, t)
		names = append(names, name)
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("none of the active consoles %q could be opened", strings.TrimSpace(string(b)))
	}
	e.mu.Lock()
	e.consoles = ws
	e.mu.Unlock()
	return names, nil
}

// Emit prints one event, stamping its uptime.
func (e *Emitter) Emit(ev event.Event) {
	ev.UptimeMS = e.uptime().Milliseconds()
	e.Println(event.Format(ev))
}

// Println prints a plain line on every console.
func (e *Emitter) Println(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := []byte(line + "\n")
	for _, w := range e.consoles {
		// A console that fails (a detached tty) must not stop the others.
		_, _ = w.Write(b)
	}
}

// Write lets the Emitter back a slog handler: each write is one line.
func (e *Emitter) Write(p []byte) (int, error) {
	e.Println(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Uptime is the time since boot (CLOCK_BOOTTIME), the clock the kernel
// stamps its own messages with.
func Uptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Reopen opens every console afresh. Call it after stopping processes
// and before unmounting /dev: a dying debug shell hangs its console up,
// and once /dev is detached there is no path left to reopen it by.
func (e *Emitter) Reopen() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, w := range e.consoles {
		if t, ok := w.(*tty); ok {
			_ = t.reopen()
		}
	}
}

// Drain waits until every console has sent what was written to it: the
// last events before a power off must leave the UART first.
func (e *Emitter) Drain() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, w := range e.consoles {
		if t, ok := w.(*tty); ok {
			// TCSBRK with a non-zero argument is tcdrain(3).
			_ = unix.IoctlSetInt(int(t.f.Fd()), unix.TCSBRK, 1)
		}
	}
}
