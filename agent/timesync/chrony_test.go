package timesync

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/internal/testnetns"
)

// TestSyncAgainstChrony checks Sync against a real NTP server: chronyd,
// serving the host clock from a network namespace the test creates, so
// no packet leaves that namespace and the host clock is never touched.
func TestSyncAgainstChrony(t *testing.T) {
	ns := testnetns.New(t, "kiln-ntp")
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
	testnetns.Start(t, ns, chronyd, "-d", "-x", "-u", "root", "-f", conf)
}

// syncInNS runs Sync inside ns.
func syncInNS(t *testing.T, ns string, servers []string, opts Options) (Result, error) {
	t.Helper()
	var (
		res Result
		err error
	)
	testnetns.Do(t, ns, func() { res, err = Sync(context.Background(), servers, opts) })
	return res, err
}
