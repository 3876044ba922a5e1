package modules

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/internal/testkernel"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestScanRealKernel(t *testing.T) {
	ix := scanReal(t)
	if got, want := len(ix.Names()), testkernel.MustCountModules(t, realTree); got != want || want < 500 {
		t.Errorf("len(Names()) = %d, want the %d .ko files of the tree", got, want)
	}
	if !slices.IsSorted(ix.Names()) {
		t.Error("Names() not sorted")
	}
	if ix.Release() != release() {
		t.Errorf("Release() = %q, want %q", ix.Release(), release())
	}
	vn, ok := ix.Module("virtio_net")
	if !ok {
		t.Fatal("virtio_net not indexed")
	}
	want := &Module{
		Name:    "virtio_net",
		RelPath: "kernel/drivers/net/virtio_net.ko",
		Depends: []string{"virtio_ring", "virtio", "net_failover"},
		Aliases: []string{"virtio:d00000001v*"},
	}
	if !equalModule(vn, want) {
		t.Errorf("virtio_net = %+v, want %+v", vn, want)
	}
	tests := []struct {
		name  string
		check func(*Module) bool
	}{
		{"libcrc32c", func(m *Module) bool { return slices.Equal(m.Softdeps.Pre, []string{"crc32c"}) && len(m.Depends) == 0 }},
		{"vfio", func(m *Module) bool {
			return slices.Equal(m.Softdeps.Post, []string{"vfio_iommu_type1", "vfio_iommu_spapr_tce"})
		}},
		{"me4000", func(m *Module) bool { return slices.Equal(m.Firmware, []string{"me4000_firmware.bin"}) }},
		// The file is vport-gre.ko; "-" and "_" are the same in names.
		{"vport-gre", func(m *Module) bool { return m.Name == "vport_gre" && strings.HasSuffix(m.RelPath, "vport-gre.ko") }},
	}
	for _, tt := range tests {
		m, ok := ix.Module(tt.name)
		if !ok || !tt.check(m) {
			t.Errorf("Module(%q) = %+v, %v: not as expected", tt.name, m, ok)
		}
	}
	for _, b := range []string{"ext4", "crc32c_generic", "amd_uncore", "amd-uncore"} {
		if !ix.Builtin(b) {
			t.Errorf("Builtin(%q) = false, want true", b)
		}
	}
	if ix.Builtin("virtio_net") {
		t.Error("Builtin(virtio_net) = true, want false")
	}
}

func equalModule(a, b *Module) bool {
	return a.Name == b.Name && a.RelPath == b.RelPath &&
		slices.Equal(a.Depends, b.Depends) && slices.Equal(a.Aliases, b.Aliases) &&
		slices.Equal(a.Softdeps.Pre, b.Softdeps.Pre) && slices.Equal(a.Softdeps.Post, b.Softdeps.Post) &&
		slices.Equal(a.Firmware, b.Firmware)
}

// TestScanCompressed copies real modules into a tree as .ko.gz, .ko.xz and
// .ko.zst and checks that their modinfo reads the same as uncompressed.
func TestScanCompressed(t *testing.T) {
	compressors := map[string]func(io.Writer) (io.WriteCloser, error){
		".gz":  func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriter(w), nil },
		".xz":  func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) },
		".zst": func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) },
	}
	src := map[string]string{
		".gz":  "kernel/drivers/net/virtio_net.ko",
		".xz":  "kernel/lib/libcrc32c.ko",
		".zst": "kernel/net/openvswitch/vport-gre.ko",
	}
	dir := filepath.Join(t.TempDir(), release())
	orig := scanReal(t)
	for ext, rel := range src {
		raw, err := os.ReadFile(filepath.Join(realTree, rel))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w, err := compressors[ext](&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, rel+ext)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := Scan(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ix.Names()); got != len(src) {
		t.Fatalf("scanned %d modules, want %d: %v", got, len(src), ix.Names())
	}
	for ext, rel := range src {
		name := nameFromPath(rel)
		got, ok := ix.Module(name)
		want, _ := orig.Module(name)
		if !ok {
			t.Errorf("%s%s: module %s not found", rel, ext, name)
			continue
		}
		want2 := *want
		want2.RelPath = rel + ext
		if !equalModule(got, &want2) {
			t.Errorf("%s%s: got %+v, want %+v", rel, ext, got, &want2)
		}
	}
}

func TestScanErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := Scan(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "no kernel modules") {
		t.Errorf("Scan(empty dir) error = %v, want 'no kernel modules'", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "junk.ko"), []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Scan(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "junk.ko") {
		t.Errorf("Scan(bad .ko) error = %v, want one naming junk.ko", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, realTree); err == nil {
		t.Error("Scan with cancelled context succeeded")
	}
}

func TestParseSoftdep(t *testing.T) {
	tests := []struct {
		in   string
		want Softdeps
	}{
		{"pre: crc32c", Softdeps{Pre: []string{"crc32c"}}},
		{"pre: a b post: c", Softdeps{Pre: []string{"a", "b"}, Post: []string{"c"}}},
		{"post: x pre: y", Softdeps{Pre: []string{"y"}, Post: []string{"x"}}},
		// As in kmod, words before "pre:"/"post:" are ignored (cifs has these).
		{"gcm", Softdeps{}},
		{"", Softdeps{}},
	}
	for _, tt := range tests {
		got := parseSoftdep(tt.in)
		if !slices.Equal(got.Pre, tt.want.Pre) || !slices.Equal(got.Post, tt.want.Post) {
			t.Errorf("parseSoftdep(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
