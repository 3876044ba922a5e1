package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-project/kiln/internal/testkernel"
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
	out := e.buildExample(t, "minimal")

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

	var console strings.Builder
	o := vmOptions(t, out, "kiln.poweroff=ready kiln.wait=6s kiln.config=http://10.0.2.100/node/${mac}.yaml")
	o.Console = &console
	o.GuestFwd = []string{"tcp:10.0.2.100:80-tcp:127.0.0.1:" + u.Port()}
	// A second NIC with no backend: carrier but nobody answers DHCP.
	o.ExtraArgs = []string{"-device", "virtio-net-pci,mac=52:54:00:00:00:02"}
	res, err := qemu.Run(context.Background(), o)
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

// TestVLANAndStatic boots a spec with DHCP on eth0 (MTU 1400) and a
// static address on an 802.1Q sub-interface of it: the builder packs
// 8021q, the agent loads it and creates eth0.7. This host's own kernel
// has no 8021q, so this is where VLANs are tested for real.
func TestVLANAndStatic(t *testing.T) {
	e := setup(t)
	deb, err := testkernel.Deb()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	specPath := filepath.Join(dir, "kiln.yaml")
	body := "name: vlan\nkernel:\n  deb: " + deb + "\n  modules: [virtio]\n" +
		"network:\n  wait: 10s\n  dns: [192.0.2.53]\n  interfaces:\n" +
		"    - match: {name: eth0}\n      mtu: 1400\n      vlans:\n        - {id: 7, addresses: [192.0.2.7/24]}\n"
	if err := os.WriteFile(specPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	e.mustKiln(t, 10*time.Minute, "build", "-f", specPath, "-o", out)
	r := e.mustKiln(t, 4*time.Minute, "run", out, "--accel", "tcg", "--timeout", "3m", "--append", "kiln.poweroff=ready")
	evs := events(t, r.stdout)
	nw, ok := find(evs, "network", event.OK)
	if !ok {
		t.Fatalf("no network event\n%s", tail(r.stdout))
	}
	got := map[string]map[string]any{}
	links, _ := nw.Data["links"].([]any)
	for _, l := range links {
		if m, ok := l.(map[string]any); ok {
			got[m["name"].(string)] = m
		}
	}
	if v := got["eth0.7"]; v == nil || v["state"] != "configured" || !slices.Contains(strs(v["addresses"]), "192.0.2.7/24") {
		t.Errorf("eth0.7 not configured with 192.0.2.7/24: %v", nw.Data)
	}
	if p := got["eth0"]; p == nil || p["state"] != "configured" {
		t.Errorf("eth0 not configured: %v", nw.Data)
	}

}
