// Package testnetns gives tests throwaway network namespaces: create one,
// run iproute2 or a daemon inside it, or run Go code on a thread that
// entered it. Nothing a test does there reaches the host's links. The
// caller must be root. It is for tests only.
package testnetns

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netns"
)

// New creates a namespace named prefix-<random hex> with lo up; it is
// deleted when the test ends.
func New(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	IP(t, "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	IP(t, "-n", name, "link", "set", "lo", "up")
	return name
}

// Path is where ip netns mounts the namespace, for APIs that take a path.
func Path(name string) string { return "/var/run/netns/" + name }

// IP runs iproute2 and fails the test on error.
func IP(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Do runs fn on a fresh OS thread that entered ns and waits for it. The
// thread is never unlocked, so the runtime discards it afterwards and no
// other goroutine ever runs inside ns; goroutines fn starts do not
// inherit the namespace, but sockets fn opens stay in it.
func Do(t testing.TB, ns string, fn func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(ns)
		if err == nil {
			err = netns.Set(h)
			h.Close()
		}
		if err == nil {
			fn()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("enter network namespace %s: %v", ns, err)
	}
}

// Start runs argv in ns (through ip netns exec) until the test ends, then
// kills it and, if the test failed, logs what it printed. The returned
// Buffer collects its stdout and stderr as it runs.
func Start(t testing.TB, ns string, argv ...string) *Buffer {
	t.Helper()
	log := &Buffer{}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = log, log
	what := filepath.Base(argv[0])
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s in %s: %v", what, ns, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", what, log.String())
		}
	})
	return log
}

// Buffer is a bytes.Buffer that a process writes while the test reads.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
