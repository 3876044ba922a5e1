package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/pipeline"
	"github.com/kiln-project/kiln/spec/event"
)

func events(t *testing.T, console string) []event.Event {
	t.Helper()
	var evs []event.Event
	for _, l := range strings.Split(console, "\n") {
		e, ok, err := event.Parse(l)
		if err != nil {
			t.Errorf("bad event line: %v", err)
		}
		if ok {
			evs = append(evs, e)
		}
	}
	return evs
}

func find(evs []event.Event, phase string, st event.Status) (event.Event, bool) {
	for _, e := range evs {
		if e.Phase == phase && e.Status == st {
			return e, true
		}
	}
	return event.Event{}, false
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestMinimalBootsToReady is the walking skeleton end to end: build the
// minimal example, boot it under TCG, and read the agent's events.
func TestMinimalBootsToReady(t *testing.T) {
	e := setup(t)
	out := e.buildExample(t, "minimal")
	r := e.mustKiln(t, 4*time.Minute, "run", out, "--accel", "auto", "--timeout", "3m", "--append", "kiln.poweroff=ready")
	evs := events(t, r.stdout)

	mounts, ok := find(evs, "mounts", event.OK)
	if !ok {
		t.Fatalf("no mounts ok event\n%s", tail(r.stdout))
	}
	mounted := strs(mounts.Data["mounted"])
	for _, m := range []string{"/proc", "/sys", "/dev", "/dev/pts", "/run", "/tmp", "/sys/fs/cgroup"} {
		if !slices.Contains(mounted, m) {
			t.Errorf("mounts: %s not mounted (got %v)", m, mounted)
		}
	}
	if mounts.Data["root_bound"] != true {
		t.Errorf("root not bound onto itself: %v", mounts.Data)
	}
	mods, ok := find(evs, "modules", event.OK)
	if !ok {
		t.Fatalf("no modules ok event\n%s", tail(r.stdout))
	}
	if loaded := strs(mods.Data["loaded"]); !slices.Contains(loaded, "virtio_net") || !slices.Contains(loaded, "virtio_pci") {
		t.Errorf("virtio_net/virtio_pci not loaded by modalias: %v", loaded)
	}
	checkNetwork(t, evs)
	if h, ok := find(evs, "hostname", event.OK); !ok || h.Data["hostname"] != "kiln-525400123456" {
		t.Errorf("hostname not kiln-<mac> of QEMU's default NIC: %+v", h.Data)
	}
	if _, ok := find(evs, "entropy", event.OK); !ok {
		t.Errorf("CRNG never reported ready")
	}
	if _, ok := find(evs, event.PhaseReady, event.OK); !ok {
		t.Fatalf("no ready event")
	}
	if sd, ok := find(evs, "shutdown", event.OK); !ok || sd.Data["action"] != "poweroff" {
		t.Errorf("no clean poweroff event: %+v", sd)
	}
	if !strings.Contains(r.stderr, "ready") || !strings.Contains(r.stderr, "PHASE") {
		t.Errorf("kiln run printed no timing table:\n%s", r.stderr)
	}
	for _, e := range evs {
		if e.Status == event.Fail {
			t.Errorf("phase %s failed: %s", e.Phase, e.Error)
		}
	}
}

// TestBuildIsReproducible builds the same spec twice into two directories.
func TestBuildIsReproducible(t *testing.T) {
	e := setup(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	e.mustKiln(t, 10*time.Minute, "build", "-f", "examples/minimal/kiln.yaml", "-o", a)
	e.mustKiln(t, 5*time.Minute, "build", "-f", "examples/minimal/kiln.yaml", "-o", b)
	for _, f := range []string{pipeline.InitramfsName, pipeline.ManifestName, pipeline.VmlinuzName, pipeline.CmdlineName} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatalf("read %s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same spec", f)
		}
	}
}

// checkNetwork: QEMU's user-mode network answers DHCP with 10.0.2.15.
func checkNetwork(t *testing.T, evs []event.Event) {
	t.Helper()
	nw, ok := find(evs, "network", event.OK)
	if !ok {
		t.Errorf("no network ok event")
		return
	}
	links, _ := nw.Data["links"].([]any)
	for _, l := range links {
		m, _ := l.(map[string]any)
		if m["name"] == "eth0" && m["state"] == "configured" && slices.Contains(strs(m["addresses"]), "10.0.2.15/24") {
			return
		}
	}
	t.Errorf("eth0 did not get 10.0.2.15/24 by DHCP: %v", nw.Data)
}

// TestNodeConfigFromCmdline: kiln.* keys override the baked spec's
// node-level fields, and a bad one is reported and ignored.
func TestNodeConfigFromCmdline(t *testing.T) {
	e := setup(t)
	out := e.buildExample(t, "minimal")
	r := e.mustKiln(t, 4*time.Minute, "run", out, "--accel", "tcg", "--timeout", "3m",
		"--append", "kiln.poweroff=ready kiln.hostname=rack7-node3 kiln.dns=not-an-ip")
	evs := events(t, r.stdout)
	if h, ok := find(evs, "hostname", event.OK); !ok || h.Data["hostname"] != "rack7-node3" {
		t.Errorf("kiln.hostname not applied: %+v", h.Data)
	}
	cfg, ok := find(evs, "config", event.Fail)
	if !ok || !strings.Contains(cfg.Error, "ignored") {
		t.Errorf("bad kiln.dns not reported as an ignored source: %+v", cfg)
	}
	if _, ok := find(evs, event.PhaseReady, event.OK); !ok {
		t.Errorf("a bad override stopped the boot")
	}
}

func jsonish(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
