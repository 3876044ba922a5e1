package cpio

import (
	"bytes"
	"io"
	"path"
	"testing"
)

// FuzzRoundTrip writes two files with arbitrary names and contents and
// reads the archive back: either Write rejects the entries up front, or
// every file comes back with its contents, every parent as a directory,
// in sorted order.
func FuzzRoundTrip(f *testing.F) {
	f.Add("init", []byte("#!/bin/agent\n"), "etc/hostname", []byte("kiln"))
	f.Add("/a/b/c", []byte{}, "./a/b/d", []byte{0, 1, 2})
	f.Add("a", []byte("x"), "a/b", []byte("y"))
	f.Add("dup", []byte("1"), "/dup", []byte("2"))
	f.Add("a/../../b", []byte("abc"), "TRAILER!!!", []byte("t"))
	f.Add("x\x00y", []byte("nul"), "z", []byte("odd"))
	f.Fuzz(func(t *testing.T, name1 string, data1 []byte, name2 string, data2 []byte) {
		entries := []Entry{
			{Path: name1, Kind: KindFile, Data: data1},
			{Path: name2, Kind: KindFile, Data: data2},
		}
		var buf bytes.Buffer
		if err := Write(&buf, entries, 1); err != nil {
			if _, perr := plan(entries); perr == nil {
				t.Fatalf("Write failed but the entries are valid: %v", err)
			}
			return
		}
		recs := readRecords(t, buf.Bytes())
		byName := map[string]record{}
		prev := ""
		for i, r := range recs {
			if i > 0 && r.name <= prev {
				t.Fatalf("record %q after %q: not sorted", r.name, prev)
			}
			prev = r.name
			byName[r.name] = r
		}
		for _, e := range entries {
			p, _ := cleanPath(e.Path)
			r, ok := byName[p]
			if !ok || r.data != string(e.Data) || r.mode != modeFile|0o644 {
				t.Fatalf("file %q (as %q) read back as %+v, %v", e.Path, p, r, ok)
			}
			for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
				if byName[dir].mode != modeDir|0o755 {
					t.Fatalf("parent %q of %q missing or not a directory: %+v", dir, p, byName[dir])
				}
			}
		}
		if err := Write(io.Discard, entries, 1); err != nil {
			t.Fatalf("second Write failed: %v", err)
		}
	})
}
