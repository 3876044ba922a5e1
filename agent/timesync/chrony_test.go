package timesync

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// TestSyncAgainstChrony checks Sync against a real NTP server: chronyd,
// serving the host clock from a network namespace the test creates, so
// no packet leaves that namespace and the host clock is never touched.
func TestSyncAgainstChrony(t *testing.T) {
	ns := chronyNS(t)
	startChrony(t, ns)

	var stepped []time.Time
	opts := Options{
		Timeout: 500 * time.Millisecond,
		SetClock: func(tm time.Time) error {
			stepped = append(stepped, tm)
			return nil
		},
	}
	// chronyd needs a moment to bind and to select its local reference;
	// until then it is silent or answers unsynchronised (stratum 16).
	var (
		res Result
		err error
	)
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err = syncInNS(t, ns, []string{"127.0.0.1"}, opts)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Sync against chronyd: %v", err)
	}
	if res.Server != "127.0.0.1" {
		t.Errorf("Server = %q, want 127.0.0.1", res.Server)
	}
	// chronyd reports its local stratum as it is, not plus one.
	if res.Stratum != 8 {
		t.Errorf("Stratum = %d, want 8 (chrony.conf: local stratum 8)", res.Stratum)
	}
	if res.Offset.Abs() >= time.Second {
		t.Errorf("Offset = %v, want under 1s: chronyd serves this host's clock", res.Offset)
	}
	if res.Stepped || len(stepped) != 0 {
		t.Errorf("Stepped = %v, SetClock calls = %v; want no step", res.Stepped, stepped)
	}
	if res.RTT < 0 || res.RTT >= time.Second {
		t.Errorf("RTT = %v, want between 0 and 1s on loopback", res.RTT)
	}
}

// chronyNS creates a namespace with lo up, deleted when the test ends.
func chronyNS(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name := "kiln-ntp-" + hex.EncodeToString(b)
	for _, args := range [][]string{
		{"netns", "add", name},
		{"-n", name, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "netns" {
			t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		}
	}
	return name
}

// startChrony runs chronyd in ns as a server only: no upstream sources,
// no command port, no drift file, and -x so it never sets the clock.
// It is killed when the test ends; its log is shown if the test failed.
func startChrony(t *testing.T, ns string) {
	t.Helper()
	chronyd, err := exec.LookPath("chronyd")
	if err != nil {
		t.Fatalf("chronyd not found (install Debian package chrony, see scripts/deps.sh): %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "chrony.conf")
	body := strings.Join([]string{
		"local stratum 8",
		"allow all",
		"port 123",
		"cmdport 0",
		"pidfile " + filepath.Join(dir, "chronyd.pid"),
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// -u root: stay root so the pid file in the test's temp dir is writable.
	cmd := exec.Command("ip", "netns", "exec", ns, chronyd, "-d", "-x", "-u", "root", "-f", conf)
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chronyd in %s: %v", ns, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("chronyd log:\n%s", log.String())
		}
	})
}

// syncInNS runs Sync on a thread that entered ns; the thread is never
// returned to the scheduler, so no other goroutine runs inside ns.
func syncInNS(t *testing.T, ns string, servers []string, opts Options) (Result, error) {
	t.Helper()
	type out struct {
		res   Result
		err   error
		enter error
	}
	done := make(chan out, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(ns)
		if err == nil {
			err = netns.Set(h)
			h.Close()
		}
		if err != nil {
			done <- out{enter: err}
			return
		}
		res, err := Sync(context.Background(), servers, opts)
		done <- out{res: res, err: err}
	}()
	o := <-done
	if o.enter != nil {
		t.Fatalf("enter netns %s: %v", ns, o.enter)
	}
	return o.res, o.err
}

// lockedBuffer collects chronyd's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
