package kernel

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/spec"
)

const fakeRelease = "6.6.6-test"

// fakeModules maps files of a tiny <release> module dir to contents.
var fakeModules = map[string]string{
	"modules.order":                    "kernel/drivers/net/virtio_net.ko\n",
	"kernel/drivers/net/virtio_net.ko": "not really ELF",
}

// writeTree writes the fake module files under dir/prefix.
func writeTree(t *testing.T, dir, prefix string) {
	t.Helper()
	for name, body := range fakeModules {
		p := filepath.Join(dir, prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTarball writes the fake module files under prefix into a tarball
// compressed by compress and returns its path.
func writeTarball(t *testing.T, name, prefix string, compress func(io.Writer) (io.WriteCloser, error)) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := compress(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	for name, body := range fakeModules {
		tw.WriteHeader(&tar.Header{Name: "./" + filepath.Join(prefix, name), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func plain(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil }
func gz(w io.Writer) (io.WriteCloser, error)    { return gzip.NewWriter(w), nil }
func xzw(w io.Writer) (io.WriteCloser, error)   { return xz.NewWriter(w) }
func zstdw(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) }

// writeDeb writes a .deb (ar, plain data.tar) holding one file.
func writeDeb(t *testing.T, name, body string) string {
	t.Helper()
	var data bytes.Buffer
	tw := tar.NewWriter(&data)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range []struct{ name, data string }{{"debian-binary", "2.0\n"}, {"data.tar", data.String()}} {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n%s", m.name, 0, 0, 0, "100644", len(m.data), m.data)
	}
	p := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(p, b.Bytes(), 0o644)
	return p
}

func TestResolveVmlinuz(t *testing.T) {
	dir := t.TempDir()
	vmlinuz := filepath.Join(dir, "vmlinuz")
	os.WriteFile(vmlinuz, fakeBzImage(fakeRelease+" (me@example.org) #1"), 0o644)
	notBz := filepath.Join(dir, "not-bz")
	os.WriteFile(notBz, []byte("raw kernel"), 0o644)
	writeTree(t, dir, "rootfs/lib/modules/"+fakeRelease)
	writeTree(t, dir, "top/"+fakeRelease)
	writeTree(t, dir, "bare/"+fakeRelease)
	writeTree(t, dir, "other/7.0.0")
	writeTree(t, dir, "two/lib/modules/7.0.0")
	writeTree(t, dir, "two/lib/modules/"+fakeRelease)
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	art := func(p string) *spec.Artifact { return &spec.Artifact{Source: p} }

	tests := []struct {
		name       string
		vmlinuz    string
		tree       string
		wantTree   string // ModulesDir relative to dir; "cache" for an unpacked tarball
		wantSubdir string // for "cache": the subpath below the unpacked tree
		wantErr    string
	}{
		{name: "no module tree", vmlinuz: "vmlinuz"},
		{name: "rootfs dir", vmlinuz: "vmlinuz", tree: "rootfs", wantTree: "rootfs/lib/modules/" + fakeRelease},
		{name: "release at top", vmlinuz: "vmlinuz", tree: "top", wantTree: "top/" + fakeRelease},
		{name: "release dir itself", vmlinuz: "not-bz", tree: "bare/" + fakeRelease, wantTree: "bare/" + fakeRelease},
		{name: "picks the header's release", vmlinuz: "vmlinuz", tree: "two", wantTree: "two/lib/modules/" + fakeRelease},
		{name: "tar", vmlinuz: "vmlinuz", tree: writeTarball(t, "m.tar", "lib/modules/"+fakeRelease, plain), wantTree: "cache", wantSubdir: "lib/modules/" + fakeRelease},
		{name: "tar.gz", vmlinuz: "vmlinuz", tree: writeTarball(t, "m.tgz", fakeRelease, gz), wantTree: "cache", wantSubdir: fakeRelease},
		{name: "tar.xz", vmlinuz: "vmlinuz", tree: writeTarball(t, "m.tar.xz", "lib/modules/"+fakeRelease, xzw), wantTree: "cache", wantSubdir: "lib/modules/" + fakeRelease},
		{name: "bare tar.zst", vmlinuz: "vmlinuz", tree: writeTarball(t, "m.tar.zst", "", zstdw), wantTree: "cache"},
		{name: "bare tarball, no header", vmlinuz: "not-bz", tree: writeTarball(t, "b.tar", "", plain), wantErr: "holds a bare module tree and kernel.vmlinuz has no readable release"},
		{name: "release mismatch", vmlinuz: "vmlinuz", tree: "other", wantErr: "kernel.module_tree: modules are for release 7.0.0 but kernel.vmlinuz " + vmlinuz + " is release " + fakeRelease},
		{name: "two releases, no header", vmlinuz: "not-bz", tree: "two", wantErr: "holds several releases (" + fakeRelease + ", 7.0.0)"},
		{name: "empty tree", vmlinuz: "vmlinuz", tree: "empty", wantErr: "kernel.module_tree: no module tree in " + filepath.Join(dir, "empty")},
		{name: "not a tarball", vmlinuz: "vmlinuz", tree: "not-bz", wantErr: "is neither a directory nor a readable tarball"},
		{name: "no header, no tree", vmlinuz: "not-bz", wantErr: "kernel.vmlinuz: read kernel release from " + notBz},
		{name: "vmlinuz is a dir", vmlinuz: "top", wantErr: "kernel.vmlinuz: " + filepath.Join(dir, "top") + " is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &artifact.Cache{Dir: t.TempDir()}
			k := spec.Kernel{Vmlinuz: art(tt.vmlinuz)}
			if tt.tree != "" {
				k.ModuleTree = art(tt.tree)
			}
			got, err := Resolve(context.Background(), c, k, dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Release != fakeRelease || got.Vmlinuz != filepath.Join(dir, tt.vmlinuz) {
				t.Errorf("release %q, vmlinuz %q", got.Release, got.Vmlinuz)
			}
			want := ""
			switch tt.wantTree {
			case "":
			case "cache":
				want = filepath.Join(c.Dir, "module-trees", got.Inputs[1].SHA256, "tree", tt.wantSubdir)
			default:
				want = filepath.Join(dir, tt.wantTree)
			}
			if got.ModulesDir != want {
				t.Fatalf("modules dir = %q, want %q", got.ModulesDir, want)
			}
			if want != "" && !fileExists(filepath.Join(want, "kernel/drivers/net/virtio_net.ko")) {
				t.Errorf("no modules in %s", want)
			}
			wantInputs := 1
			if tt.tree != "" {
				wantInputs = 2
			}
			if len(got.Inputs) != wantInputs {
				t.Errorf("inputs = %+v", got.Inputs)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	noKernel := writeDeb(t, "./usr/share/doc/README", "docs")
	noModules := writeDeb(t, "./boot/vmlinuz-1.0", "kernel")
	tests := []struct {
		name    string
		k       spec.Kernel
		wantErr string
	}{
		{"nothing", spec.Kernel{}, "kernel: neither deb nor vmlinuz is set"},
		{"both", spec.Kernel{Deb: &spec.Artifact{Source: "a"}, Vmlinuz: &spec.Artifact{Source: "b"}}, "kernel: both deb and vmlinuz are set"},
		{"deb with module tree", spec.Kernel{Deb: &spec.Artifact{Source: "a"}, ModuleTree: &spec.Artifact{Source: "b"}}, "kernel.module_tree: only used with kernel.vmlinuz"},
		{"missing deb", spec.Kernel{Deb: &spec.Artifact{Source: "gone.deb"}}, "kernel.deb: " + filepath.Join(dir, "gone.deb") + " does not exist; check the path"},
		{"no vmlinuz in deb", spec.Kernel{Deb: &spec.Artifact{Source: noKernel}}, "kernel.deb: no boot/vmlinuz-* in " + noKernel + "; is it a linux-image package?"},
		{"no modules in deb", spec.Kernel{Deb: &spec.Artifact{Source: noModules}}, "kernel.deb: " + noModules + " has boot/vmlinuz-1.0 but no lib/modules/1.0"},
		{"deb is a dir", spec.Kernel{Deb: &spec.Artifact{Source: noKernel + "/.."}}, "kernel.deb: " + filepath.Dir(noKernel) + " is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &artifact.Cache{Dir: t.TempDir()}
			_, err := Resolve(context.Background(), c, tt.k, dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(filepath.Join(c.Dir, "kernels")); len(entries) != 0 {
				t.Errorf("a failed resolve left %v in the cache", entries)
			}
		})
	}
}
