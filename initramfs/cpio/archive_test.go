package cpio

import (
	"bytes"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	ucpio "github.com/u-root/mkuimage/cpio"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const epoch = 1700000000

// tinyEntries covers every kind, a file streamed from disk, implied
// parents and paths written with "/" and "./" prefixes.
func tinyEntries(t *testing.T) []Entry {
	t.Helper()
	src := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(src, []byte("#!/bin/agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src, 0o755); err != nil {
		t.Fatal(err)
	}
	return []Entry{
		FileFrom("/init", 0, src),
		FileBytes("./etc/hostname", 0o644, []byte("kiln\n")),
		Symlink("bin/sh", "../init"),
		CharDev("dev/console", 0, 5, 1),
		{Path: "etc/kiln/empty", Kind: KindFile},
		Dir("var/run", 0o700),
		Dir("/", 0),
	}
}

func writeArchive(t *testing.T, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, entries, epoch); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	got := writeArchive(t, tinyEntries(t))
	golden := filepath.Join("testdata", "tiny.cpio.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("archive differs from %s:\n%q\nwant\n%q", golden, got, want)
	}
}

func TestDeterministic(t *testing.T) {
	entries := tinyEntries(t)
	first := writeArchive(t, entries)
	reversed := slices.Clone(entries)
	slices.Reverse(reversed)
	if !bytes.Equal(first, writeArchive(t, reversed)) {
		t.Error("entry order changes the archive")
	}
	if !bytes.Equal(first, writeArchive(t, entries)) {
		t.Error("two writes of the same entries differ")
	}
}

type record struct {
	name        string
	mode, nlink uint64
	ino, mtime  uint64
	uid, gid    uint64
	rmaj, rmin  uint64
	data        string
}

func readRecords(t *testing.T, archive []byte) []record {
	t.Helper()
	recs, err := ucpio.ReadAllRecords(ucpio.Newc.Reader(bytes.NewReader(archive)))
	if err != nil {
		t.Fatalf("mkuimage cpio reader: %v", err)
	}
	var out []record
	for _, r := range recs {
		data, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{r.Name, r.Mode, r.NLink, r.Ino, r.MTime, r.UID, r.GID, r.Rmajor, r.Rminor, string(data)})
	}
	return out
}

func TestRoundTripMkuimage(t *testing.T) {
	got := readRecords(t, writeArchive(t, tinyEntries(t)))
	want := []record{
		{name: "bin", mode: 0o40755, nlink: 2},
		{name: "bin/sh", mode: 0o120777, nlink: 1, data: "../init"},
		{name: "dev", mode: 0o40755, nlink: 2},
		{name: "dev/console", mode: 0o20600, nlink: 1, rmaj: 5, rmin: 1},
		{name: "etc", mode: 0o40755, nlink: 2},
		{name: "etc/hostname", mode: 0o100644, nlink: 1, data: "kiln\n"},
		{name: "etc/kiln", mode: 0o40755, nlink: 2},
		{name: "etc/kiln/empty", mode: 0o100644, nlink: 1},
		{name: "init", mode: 0o100755, nlink: 1, data: "#!/bin/agent\n"},
		{name: "var", mode: 0o40755, nlink: 2},
		{name: "var/run", mode: 0o40700, nlink: 2},
	}
	for i := range want {
		want[i].ino, want[i].mtime = uint64(i+1), epoch
	}
	if !slices.Equal(got, want) {
		t.Errorf("records:\n%+v\nwant\n%+v", got, want)
	}
}

func TestSystemCpio(t *testing.T) {
	archive := writeArchive(t, tinyEntries(t))
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = bytes.NewReader(archive)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -it: %v (install with apt-get install cpio)", err)
	}
	want := "bin\nbin/sh\ndev\ndev/console\netc\netc/hostname\netc/kiln\netc/kiln/empty\ninit\nvar\nvar/run\n"
	if string(out) != want {
		t.Errorf("cpio -it listed\n%s\nwant\n%s", out, want)
	}

	// Extract what needs no privilege and compare contents.
	entries := []Entry{
		{Path: "etc/hostname", Kind: KindFile, Data: []byte("kiln\n")},
		{Path: "bin/sh", Kind: KindSymlink, Target: "../init"},
		{Path: "odd/len", Kind: KindFile, Data: []byte("abc")},
	}
	dir := t.TempDir()
	cmd = exec.Command("cpio", "-idm", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(writeArchive(t, entries))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -idm: %v: %s", err, out)
	}
	for p, want := range map[string]string{"etc/hostname": "kiln\n", "odd/len": "abc"} {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || string(got) != want {
			t.Errorf("extracted %s = %q, %v; want %q", p, got, err, want)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "bin/sh")); err != nil || target != "../init" {
		t.Errorf("extracted bin/sh -> %q, %v; want ../init", target, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "etc/hostname"))
	if err != nil || fi.ModTime().Unix() != epoch {
		t.Errorf("extracted mtime = %v, %v; want %d", fi.ModTime(), err, epoch)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		mtime   int64
		want    string
	}{
		{"duplicate", []Entry{{Path: "a", Kind: KindFile}, {Path: "/a", Kind: KindDir}}, 0, "given twice"},
		{"file as parent", []Entry{{Path: "a", Kind: KindFile}, {Path: "a/b", Kind: KindFile}}, 0, "needs \"a\" to be a directory"},
		{"nul in path", []Entry{{Path: "a\x00b", Kind: KindFile}}, 0, "NUL"},
		{"trailer name", []Entry{{Path: "TRAILER!!!", Kind: KindFile}}, 0, "reserved"},
		{"root file", []Entry{{Path: "/", Kind: KindFile}}, 0, "root"},
		{"empty symlink", []Entry{{Path: "l", Kind: KindSymlink}}, 0, "target"},
		{"bad mode", []Entry{{Path: "a", Kind: KindFile, Mode: 0o170000}}, 0, "mode"},
		{"no kind", []Entry{{Path: "a"}}, 0, "unknown kind"},
		{"source and data", []Entry{{Path: "a", Kind: KindFile, Source: "/etc/hostname", Data: []byte("x")}}, 0, "both"},
		{"missing source", []Entry{{Path: "a", Kind: KindFile, Source: "/nonexistent/x"}}, 0, "/nonexistent/x"},
		{"dir source", []Entry{{Path: "a", Kind: KindFile, Source: "/"}}, 0, "not a regular file"},
		{"negative mtime", nil, -1, "mtime"},
	}
	for _, tt := range tests {
		err := Write(io.Discard, tt.entries, tt.mtime)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Write error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestStreams checks that a large file is copied, not loaded: writing a
// 256 MiB (sparse) file allocates far less than its size.
func TestStreams(t *testing.T) {
	const size = 256 << 20
	src := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var cw countWriter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := Write(&cw, []Entry{{Path: "big", Kind: KindFile, Source: src}}, 0); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("writing a %d-byte file allocated %d bytes", size, alloc)
	}
	// header + "big\0" padded + data + trailer header + "TRAILER!!!\0" padded
	if want := int64(116 + size + 124); cw.n != want {
		t.Errorf("archive is %d bytes, want %d", cw.n, want)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
