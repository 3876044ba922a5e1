package deb

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
)

// arFile is one ar member for writeAr.
type arFile struct {
	name string
	data []byte
}

// writeAr builds an ar archive the way GNU ar does: names ending in "/",
// names over 15 bytes in a "//" table, odd members padded with "\n".
func writeAr(t testing.TB, files ...arFile) []byte {
	t.Helper()
	var table bytes.Buffer
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name + "/"
		if len(names[i]) > 16 {
			names[i] = fmt.Sprintf("/%d", table.Len())
			table.WriteString(f.name + "/\n")
		}
	}
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	member := func(name string, data []byte) {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(data))
		b.Write(data)
		if len(data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	if table.Len() > 0 {
		member("//", table.Bytes())
	}
	for i, f := range files {
		member(names[i], f.data)
	}
	return b.Bytes()
}

// entry is one tar entry for writeTar.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func writeTar(t testing.TB, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compressors by data.tar suffix.
var compressors = map[string]func(io.Writer) (io.WriteCloser, error){
	"":     func(w io.Writer) (io.WriteCloser, error) { return nopWriteCloser{w}, nil },
	".gz":  func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriter(w), nil },
	".xz":  func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) },
	".zst": func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) },
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// writeDeb writes a .deb with the given data.tar entries and returns its path.
func writeDeb(t testing.TB, suffix string, entries []entry) string {
	t.Helper()
	var data bytes.Buffer
	w, err := compressors[suffix](&data)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(writeTar(t, entries))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	deb := writeAr(t,
		arFile{"debian-binary", []byte("2.0\n")},
		arFile{"control.tar.gz", []byte("odd")},
		arFile{"data.tar" + suffix, data.Bytes()},
	)
	p := filepath.Join(t.TempDir(), "test.deb")
	if err := os.WriteFile(p, deb, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var sample = []entry{
	{name: "./", typ: tar.TypeDir, mode: 0o755},
	{name: "./boot/", typ: tar.TypeDir, mode: 0o755},
	{name: "./boot/vmlinuz-1.2.3", typ: tar.TypeReg, mode: 0o644, body: "kernel"},
	{name: "./lib/modules/1.2.3/kernel/a.ko", typ: tar.TypeReg, mode: 0o644, body: "module"},
	{name: "./usr/bin/tool", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
	{name: "./usr/bin/tool2", typ: tar.TypeLink, link: "./usr/bin/tool"},
	{name: "./lib/modules/1.2.3/build", typ: tar.TypeSymlink, link: "/usr/src/linux-headers-1.2.3"},
	{name: "./boot/vmlinuz", typ: tar.TypeSymlink, link: "vmlinuz-1.2.3"},
	{name: "./secret/", typ: tar.TypeDir, mode: 0o700},
}

func TestExtract(t *testing.T) {
	for suffix := range compressors {
		t.Run("data.tar"+suffix, func(t *testing.T) {
			deb := writeDeb(t, suffix, sample)
			dst := t.TempDir()
			if err := Extract(context.Background(), deb, dst, nil); err != nil {
				t.Fatal(err)
			}
			checkFile(t, dst, "boot/vmlinuz-1.2.3", "kernel", 0o644)
			checkFile(t, dst, "lib/modules/1.2.3/kernel/a.ko", "module", 0o644)
			checkFile(t, dst, "usr/bin/tool", "#!/bin/sh\n", 0o755)
			checkLink(t, dst, "lib/modules/1.2.3/build", "/usr/src/linux-headers-1.2.3")
			checkLink(t, dst, "boot/vmlinuz", "vmlinuz-1.2.3")
			a, _ := os.Stat(filepath.Join(dst, "usr/bin/tool"))
			b, err := os.Stat(filepath.Join(dst, "usr/bin/tool2"))
			if err != nil || !os.SameFile(a, b) {
				t.Errorf("usr/bin/tool2 is not a hard link to usr/bin/tool (%v)", err)
			}
			if fi, err := os.Stat(filepath.Join(dst, "secret")); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("secret/: %v, %v; want mode 0700", fi, err)
			}
		})
	}
}

func checkFile(t *testing.T, dst, name, body string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dst, name)
	got, err := os.ReadFile(p)
	if err != nil || string(got) != body {
		t.Errorf("%s = %q, %v; want %q", name, got, err, body)
		return
	}
	if fi, _ := os.Lstat(p); fi.Mode() != mode {
		t.Errorf("%s has mode %v, want %v", name, fi.Mode(), mode)
	}
}

func checkLink(t *testing.T, dst, name, target string) {
	t.Helper()
	if got, err := os.Readlink(filepath.Join(dst, name)); err != nil || got != target {
		t.Errorf("%s -> %q, %v; want -> %q", name, got, err, target)
	}
}

func TestExtractKeep(t *testing.T) {
	deb := writeDeb(t, ".xz", sample)
	dst := t.TempDir()
	var seen []string
	keep := func(name string) bool {
		seen = append(seen, name)
		return strings.HasPrefix(name, "boot/vmlinuz-")
	}
	if err := Extract(context.Background(), deb, dst, keep); err != nil {
		t.Fatal(err)
	}
	checkFile(t, dst, "boot/vmlinuz-1.2.3", "kernel", 0o644)
	for _, gone := range []string{"lib", "usr", "secret", "boot/vmlinuz"} {
		if _, err := os.Lstat(filepath.Join(dst, gone)); err == nil {
			t.Errorf("%s was extracted though keep refused it", gone)
		}
	}
	if seen[0] != "boot" || seen[1] != "boot/vmlinuz-1.2.3" {
		t.Errorf("keep saw %q, want clean names without ./", seen)
	}
}

func TestExtractTarball(t *testing.T) {
	for suffix, compress := range compressors {
		t.Run("tar"+suffix, func(t *testing.T) {
			var b bytes.Buffer
			w, err := compress(&b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(writeTar(t, sample))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			tarball := filepath.Join(t.TempDir(), "blob")
			if err := os.WriteFile(tarball, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			dst := t.TempDir()
			keep := func(name string) bool { return strings.HasPrefix(name, "boot/") }
			if err := ExtractTarball(context.Background(), tarball, dst, keep); err != nil {
				t.Fatal(err)
			}
			checkFile(t, dst, "boot/vmlinuz-1.2.3", "kernel", 0o644)
			if _, err := os.Lstat(filepath.Join(dst, "usr")); err == nil {
				t.Error("usr was extracted though keep refused it")
			}
		})
	}
	err := ExtractTarball(context.Background(), filepath.Join(t.TempDir(), "nope.tar"), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "nope.tar") {
		t.Errorf("missing tarball: err = %v, want one naming it", err)
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name    string
		entries []entry
		wantErr string
	}{
		{"dot-dot", []entry{{name: "./../evil", typ: tar.TypeReg, body: "x"}}, `"./../evil" escapes the destination`},
		{"deep dot-dot", []entry{{name: "a/../../evil", typ: tar.TypeReg, body: "x"}}, "escapes the destination"},
		{"hard link out", []entry{{name: "l", typ: tar.TypeLink, link: "../../etc/passwd"}}, "escapes the destination"},
		{"through symlink", []entry{
			{name: "sub", typ: tar.TypeSymlink, link: outside},
			{name: "sub/evil", typ: tar.TypeReg, body: "x"},
		}, "extract sub/evil"},
		{"through relative symlink", []entry{
			{name: "sub", typ: tar.TypeSymlink, link: "../" + filepath.Base(outside)},
			{name: "sub/evil", typ: tar.TypeReg, body: "x"},
		}, "extract sub/evil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deb := writeDeb(t, ".gz", tt.entries)
			dst := filepath.Join(filepath.Dir(outside), "dst-"+strings.ReplaceAll(tt.name, " ", "-"))
			err := Extract(context.Background(), deb, dst, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("wrote outside the destination: %v", entries)
			}
		})
	}
}

func TestWalkErrors(t *testing.T) {
	dir := t.TempDir()
	notAr := filepath.Join(dir, "not.deb")
	os.WriteFile(notAr, []byte("hello"), 0o644)
	noData := filepath.Join(dir, "nodata.deb")
	os.WriteFile(noData, writeAr(t, arFile{"debian-binary", []byte("2.0\n")}), 0o644)
	tests := []struct{ path, wantErr string }{
		{notAr, "read " + notAr + ": not an ar archive (no !<arch> magic); is it a .deb?"},
		{noData, "no data.tar member; is it a .deb?"},
		{filepath.Join(dir, "missing.deb"), "open deb"},
	}
	for _, tt := range tests {
		err := Walk(context.Background(), tt.path, func(*tar.Header, io.Reader) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Walk(%s) = %v, want it to contain %q", tt.path, err, tt.wantErr)
		}
	}
}

func TestWalk(t *testing.T) {
	deb := writeDeb(t, ".zst", sample)
	var names []string
	err := Walk(context.Background(), deb, func(h *tar.Header, r io.Reader) error {
		names = append(names, h.Name)
		if h.Name == "./boot/vmlinuz-1.2.3" {
			if b, _ := io.ReadAll(r); string(b) != "kernel" {
				t.Errorf("content of %s = %q", h.Name, b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(sample) || names[2] != "./boot/vmlinuz-1.2.3" {
		t.Errorf("walked %q", names)
	}
}
