package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/qemu"
	"github.com/kiln-project/kiln/spec/event"
)

// TestKilncfgPartition boots with a FAT disk labelled KILNCFG holding a
// node.yaml, as a person would leave on a flashed stick, and checks the
// agent took its hostname from there.
func TestKilncfgPartition(t *testing.T) {
	e := setup(t)
	dir := t.TempDir()
	out := e.buildExample(t, "minimal")

	img := filepath.Join(dir, "kilncfg.img")
	node := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(node, []byte("hostname: from-kilncfg\nnetwork:\n  wait: 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"mkfs.vfat", "-C", "-n", "KILNCFG", img, "4096"},
		{"mcopy", "-i", img, node, "::node.yaml"},
	} {
		if b, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, b)
		}
	}
	var console strings.Builder
	o := vmOptions(t, out, "kiln.poweroff=ready")
	o.Console = &console
	o.ExtraArgs = []string{"-drive", "file=" + img + ",if=virtio,format=raw,readonly=on"}
	res, err := qemu.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("boot: %v\n%s", err, tail(console.String()))
	}
	if h, ok := find(res.Events, "hostname", event.OK); !ok || h.Data["hostname"] != "from-kilncfg" {
		t.Errorf("hostname not taken from KILNCFG's node.yaml: %+v\n%s", h.Data, tail(console.String()))
	}
	if c, ok := find(res.Events, "config", event.OK); !ok || !strings.Contains(jsonish(c.Data), `"KILNCFG"`) {
		t.Errorf("config event does not list the KILNCFG source: %+v", c)
	}
}
