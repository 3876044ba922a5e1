package kmod

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const testDep = `kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/lib/libcrc32c.ko:
kernel/crypto/crc32c_generic.ko:
kernel/drivers/char/hw_random/virtio-rng.ko:
kernel/drivers/gpu/drm/nouveau/nouveau.ko:
`

const testAlias = `alias virtio:d00000001v* virtio_net
alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000004v* virtio_rng
alias pci:v000010DEd*sv*sd*bc03sc*i* nouveau
alias crc32c crc32c_generic
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testDB(t *testing.T) *DB {
	t.Helper()
	dir := writeTree(t, map[string]string{
		"mods/modules.dep":     testDep,
		"mods/modules.alias":   testAlias,
		"mods/modules.softdep": "softdep libcrc32c pre: crc32c_generic missing_mod\n",
		"mods/modules.builtin": "kernel/drivers/block/loop.ko\n",
		"modprobe.d/kiln.conf": "blacklist nouveau\noptions virtio_net napi_tx=1\n",
	})
	db, err := Open(filepath.Join(dir, "mods"), filepath.Join(dir, "modprobe.d"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMatch(t *testing.T) {
	db := testDB(t)
	for _, tc := range []struct {
		modalias string
		want     []string
	}{
		{"virtio:d00000001v00001AF4", []string{"virtio_net"}},
		{"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", []string{"virtio_pci"}},
		{"virtio:d00000004v00001AF4", []string{"virtio_rng"}},
		{"pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00", nil}, // nouveau is blacklisted
		{"acpi:PNP0A03:", nil},
	} {
		if got := db.Match(tc.modalias); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Match(%q) = %v, want %v", tc.modalias, got, tc.want)
		}
	}
}

type recorder struct {
	calls []string
	fail  map[string]error
}

func (r *recorder) insert(path, params string) error {
	n := Name(path)
	r.calls = append(r.calls, strings.TrimSpace(n+" "+params))
	return r.fail[n]
}

func TestLoadOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		already []string
		want    []string
	}{
		{"virtio_net", nil, []string{"failover", "net_failover", "virtio_net napi_tx=1"}},
		{"virtio-net", []string{"failover"}, []string{"net_failover", "virtio_net napi_tx=1"}},
		{"libcrc32c", nil, []string{"crc32c_generic", "libcrc32c"}},
		{"loop", nil, nil},                    // built in
		{"nouveau", nil, []string{"nouveau"}}, // blacklist stops only alias loads
	} {
		rec := &recorder{}
		l := NewLoader(testDB(t), rec.insert, tc.already)
		if err := l.Load(tc.name); err != nil {
			t.Fatalf("Load(%s): %v", tc.name, err)
		}
		if !reflect.DeepEqual(rec.calls, tc.want) {
			t.Errorf("Load(%s) inserted %v, want %v", tc.name, rec.calls, tc.want)
		}
		if err := l.Load(tc.name); err != nil || len(rec.calls) != len(tc.want) {
			t.Errorf("second Load(%s) inserted again: %v", tc.name, rec.calls)
		}
	}
}

func TestLoadUnknown(t *testing.T) {
	l := NewLoader(testDB(t), (&recorder{}).insert, nil)
	if err := l.Load("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Load(nope) = %v", err)
	}
}

func TestColdplugRescansUntilQuiet(t *testing.T) {
	sys := writeTree(t, map[string]string{
		"bus/pci/devices/0000:00:02.0/modalias": "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00\n",
		"bus/acpi/devices/PNP0A03:00/modalias":  "acpi:PNP0A03:\n",
	})
	rec := &recorder{fail: map[string]error{"virtio_rng": unix.EINVAL}}
	// Loading virtio_pci "creates" the virtio devices, as the real one does.
	insert := func(p, params string) error {
		err := rec.insert(p, params)
		if Name(p) == "virtio_pci" {
			for _, d := range []string{"virtio0", "virtio1"} {
				dir := filepath.Join(sys, "bus/virtio/devices", d)
				_ = os.MkdirAll(dir, 0o755)
				id := map[string]string{"virtio0": "1", "virtio1": "4"}[d]
				_ = os.WriteFile(filepath.Join(dir, "modalias"), []byte("virtio:d0000000"+id+"v00001AF4\n"), 0o644)
			}
		}
		return err
	}
	rep, err := Coldplug(context.Background(), NewLoader(testDB(t), insert, nil), sys)
	if err == nil || rep.Failed["virtio_rng"] == "" {
		t.Fatalf("want virtio_rng failure reported, got err=%v rep=%+v", err, rep)
	}
	want := []string{"virtio_pci_modern_dev", "virtio_pci", "failover", "net_failover", "virtio_net"}
	if !reflect.DeepEqual(rep.Loaded, want) {
		t.Errorf("loaded %v, want %v", rep.Loaded, want)
	}
	if rep.Rounds != 3 || rep.Devices != 4 {
		t.Errorf("rounds=%d devices=%d, want 3 and 4", rep.Rounds, rep.Devices)
	}
}

func TestProcModules(t *testing.T) {
	got := ProcModules(strings.NewReader("virtio_net 57344 0 - Live 0x0\nfailover 16384 1 net_failover, Live 0x0\n"))
	if !reflect.DeepEqual(got, []string{"virtio_net", "failover"}) {
		t.Fatal(got)
	}
}
