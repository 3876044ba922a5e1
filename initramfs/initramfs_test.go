package initramfs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	ucpio "github.com/u-root/mkuimage/cpio"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/kernel"
	"github.com/kiln-project/kiln/internal/testkernel"
	"github.com/kiln-project/kiln/spec"
)

func realKernel(t *testing.T) kernel.Kernel {
	t.Helper()
	deb, err := testkernel.Deb()
	if err != nil {
		t.Fatal(err)
	}
	c := &artifact.Cache{Dir: t.TempDir()}
	k, err := kernel.Resolve(context.Background(), c, spec.Kernel{Deb: &spec.Artifact{Source: deb}}, "/")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// readArchive decompresses and parses an initramfs with u-root's reader,
// which shares no code with our writer.
func readArchive(t *testing.T, path string) map[string]ucpio.Record {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	plain, err := zr.DecodeAll(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ucpio.ReadAllRecords(ucpio.Newc.Reader(bytes.NewReader(plain)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ucpio.Record{}
	for _, r := range recs {
		out[r.Name] = r
	}
	return out
}

func TestBuildRealKernel(t *testing.T) {
	k := realKernel(t)
	dir := t.TempDir()
	agent := filepath.Join(dir, "agent")
	if err := os.WriteFile(agent, []byte("#!fake agent\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	specBytes := []byte("name: t\nkernel:\n  deb: k.deb\n  modules: [virtio, overlay]\n")
	s, err := spec.Parse("kiln.yaml", specBytes)
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{Spec: s, SpecBytes: specBytes, Kernel: k, Agent: agent, Epoch: 315532800}
	a, err := Build(context.Background(), in, filepath.Join(dir, "a.cpio.zst"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(context.Background(), in, filepath.Join(dir, "b.cpio.zst"))
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || a.Size != b.Size {
		t.Errorf("two builds differ: %s vs %s", a.SHA256, b.SHA256)
	}
	recs := readArchive(t, a.Path)
	base := "lib/modules/" + k.Release + "/"
	for name, check := range map[string]func(ucpio.Record) bool{
		"init":               func(r ucpio.Record) bool { return r.Mode&0o777 == 0o755 && r.FileSize == 13 },
		"dev/console":        func(r ucpio.Record) bool { return r.Rmajor == 5 && r.Rminor == 1 },
		"etc/kiln/kiln.yaml": func(r ucpio.Record) bool { return r.FileSize == uint64(len(specBytes)) },
		base + "kernel/drivers/net/virtio_net.ko": func(r ucpio.Record) bool { return r.FileSize > 0 },
		base + "kernel/fs/overlayfs/overlay.ko":   func(r ucpio.Record) bool { return r.FileSize > 0 },
		base + "modules.dep":                      func(r ucpio.Record) bool { return r.FileSize > 0 },
		base + "modules.alias":                    func(r ucpio.Record) bool { return r.FileSize > 0 },
	} {
		r, ok := recs[name]
		if !ok {
			t.Errorf("%s missing from the archive", name)
			continue
		}
		if !check(r) {
			t.Errorf("%s: unexpected record %v", name, r.Info)
		}
		if r.UID != 0 || r.GID != 0 || r.MTime != 315532800 {
			t.Errorf("%s: uid %d gid %d mtime %d", name, r.UID, r.GID, r.MTime)
		}
	}
	for _, m := range []string{"virtio_net", "virtio_pci", "virtio_rng", "overlay", "evdev", "button"} {
		if !strings.Contains(" "+strings.Join(a.Modules, " ")+" ", " "+m+" ") {
			t.Errorf("module %s not packed: %v", m, a.Modules)
		}
	}
	if _, ok := recs["bbin/bb"]; ok {
		t.Error("debug tools packed without agent.debug_shell")
	}
}

func TestBuildUnknownModuleWritesNothing(t *testing.T) {
	k := realKernel(t)
	dir := t.TempDir()
	specBytes := []byte("name: t\nkernel:\n  deb: k.deb\n  modules: [virtio_nett]\n")
	s, err := spec.Parse("kiln.yaml", specBytes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), Inputs{Spec: s, SpecBytes: specBytes, Kernel: k, Agent: "/bin/true"}, filepath.Join(dir, "x.cpio.zst"))
	if err == nil || !strings.Contains(err.Error(), "kernel.modules") || !strings.Contains(err.Error(), `"virtio_net"`) {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v behind", ents)
	}
}

// TestBuildPacksFirmware: with firmware.all, every file of a firmware
// directory lands under lib/firmware.
func TestBuildPacksFirmware(t *testing.T) {
	k := realKernel(t)
	dir := t.TempDir()
	fwDir := filepath.Join(dir, "fw", "lib", "firmware", "acme")
	if err := os.MkdirAll(fwDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fwDir, "nic.bin"), []byte("blob"), 0o644); err != nil {
		t.Fatal(err)
	}
	specBytes := []byte("name: t\nkernel:\n  deb: k.deb\n  modules: [virtio]\nfirmware:\n  sources: [fw]\n  all: true\n")
	s, err := spec.Parse(filepath.Join(dir, "kiln.yaml"), specBytes)
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = dir
	in := Inputs{Spec: s, SpecBytes: specBytes, Kernel: k, Agent: "/bin/true", Cache: &artifact.Cache{Dir: t.TempDir()}}
	ir, err := Build(context.Background(), in, filepath.Join(dir, "i.cpio.zst"))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := readArchive(t, ir.Path)["lib/firmware/acme/nic.bin"]; !ok || r.FileSize != 4 {
		t.Fatalf("firmware not packed: %v", ir.Firmware)
	}
	if len(ir.Inputs) != 1 || ir.Inputs[0].Field != "firmware.sources[0]" {
		t.Errorf("firmware inputs = %+v", ir.Inputs)
	}
}
