package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-project/kiln/qemu"
	"github.com/kiln-project/kiln/spec/event"
)

// TestConfigURLAndSilentNIC boots with two NICs, only the first of which
// has a DHCP server, and kiln.config pointing at an HTTP server on this
// machine's loopback (reached through one QEMU guestfwd port). The node
// must be ready within network.wait, with the hostname the server gave
// for its MAC.
func TestConfigURLAndSilentNIC(t *testing.T) {
	e := setup(t)
	out := filepath.Join(t.TempDir(), "minimal")
	e.mustKiln(t, 10*time.Minute, "build", "-f", "examples/minimal/kiln.yaml", "-o", out)

	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/node/52:54:00:12:34:56.yaml" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "hostname: from-url")
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	cmdline, err := os.ReadFile(filepath.Join(out, "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	var console strings.Builder
	res, err := qemu.Run(context.Background(), qemu.Options{
		Kernel: filepath.Join(out, "vmlinuz"), Initrd: filepath.Join(out, "initramfs.cpio.zst"),
		Cmdline: strings.TrimSpace(string(cmdline)) + " kiln.poweroff=ready kiln.wait=6s" +
			" kiln.config=http://10.0.2.100/node/${mac}.yaml",
		Accel: "tcg", Timeout: 3 * time.Minute, Console: &console,
		GuestFwd: []string{"tcp:10.0.2.100:80-tcp:127.0.0.1:" + u.Port()},
		// A second NIC with no backend: carrier but nobody answers DHCP.
		ExtraArgs: []string{"-device", "virtio-net-pci,mac=52:54:00:00:00:02"},
	})
	if err != nil {
		t.Fatalf("boot: %v\n%s", err, tail(console.String()))
	}
	nw, ok := find(res.Events, "network", event.OK)
	if !ok {
		t.Fatalf("no network event\n%s", tail(console.String()))
	}
	if nw.MS > 8000 {
		t.Errorf("network phase took %d ms, past network.wait (6 s)", nw.MS)
	}
	if !strings.Contains(nw.Msg, "1 of 2 links still waiting") {
		t.Errorf("silent NIC not reported as waiting: %q %v", nw.Msg, nw.Data)
	}
	if h, ok := find(res.Events, "hostname", event.OK); !ok || h.Data["hostname"] != "from-url" {
		t.Errorf("hostname not from kiln.config: %+v (server saw %v)", h.Data, paths)
	}
	if _, ok := find(res.Events, event.PhaseReady, event.OK); !ok {
		t.Errorf("not ready")
	}
}
