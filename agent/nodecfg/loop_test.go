package nodecfg

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestResolveLoopDevice runs the partition source for real: a FAT image
// made by mkfs.vfat, attached to a loop device, found by scanning the
// host's own /sys and /dev, and mounted with the default vfat mount.
// Kernels without vfat (some CI VMs) must fail that mount with ENODEV;
// the test then reads through the same loop device with mtools, so the
// scan and the read are still real.
func TestResolveLoopDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to attach a loop device; run the tests as root (make test does)")
	}
	needTool(t, "losetup", "mount")
	// A label of its own, so other disks on the host cannot answer.
	label := fmt.Sprintf("KT%06X", rand.IntN(1<<24))
	img := filepath.Join(t.TempDir(), "cfg.img")
	mkfsVFAT(t, img, 8, 12, label, map[string]string{FileName: "hostname: from-loop\n"})
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup --find --show: %v\n%s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", loop).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v\n%s", loop, err, out)
		}
	})

	run := filepath.Join(t.TempDir(), "run")
	src := Sources{RunDir: run, Label: label}
	got, rep := Resolve(context.Background(), baseSpec(), src)
	e := rep[1]
	if e.Source != label || e.From != loop {
		t.Fatalf("report entry %+v; want source %s from %s", e, label, loop)
	}
	switch {
	case e.Status == Used:
		if mounts, _ := os.ReadFile("/proc/self/mounts"); strings.Contains(string(mounts), run) {
			t.Errorf("%s is still mounted", run)
		}
	case e.Status == Failed && errors.Is(e.Err, unix.ENODEV):
		t.Logf("this kernel has no vfat (%v); reading %s with mtools instead", e.Err, loop)
		needTool(t, "mcopy", "mtools")
		src.Mount = mtoolsMount
		got, rep = Resolve(context.Background(), baseSpec(), src)
		if e := rep[1]; e.Status != Used || e.From != loop {
			t.Fatalf("report entry with mtools %+v; want used from %s", e, loop)
		}
	default:
		t.Fatalf("report entry %+v; want used, or failed with ENODEV where the kernel lacks vfat", e)
	}
	if got.Hostname != "from-loop" {
		t.Errorf("hostname = %q, want from-loop from the image's node.yaml", got.Hostname)
	}
}

// mtoolsMount stands in for a mount: it copies node.yaml off the FAT
// filesystem on dev into target, if the filesystem has one.
func mtoolsMount(dev, target string) (func() error, error) {
	dst := filepath.Join(target, FileName)
	if out, err := exec.Command("mcopy", "-n", "-i", dev, "::"+FileName, dst).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "not found") {
		return nil, fmt.Errorf("mcopy from %s: %w\n%s", dev, err, out)
	}
	return func() error { return os.RemoveAll(dst) }, nil
}
