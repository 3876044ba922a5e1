package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

type member struct{ name, data string }

var errSizeMismatch = errors.New("member content differs from its declared size")

func readAll(data []byte) ([]member, error) {
	ar, err := newArReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var ms []member
	for {
		m, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return ms, nil
		}
		if err != nil {
			return ms, err
		}
		b, err := io.ReadAll(ar)
		if err != nil {
			return ms, err
		}
		if int64(len(b)) != m.Size {
			return ms, errSizeMismatch
		}
		ms = append(ms, member{m.Name, string(b)})
	}
}

// hdr is a 60-byte ar member header.
func hdr(name string, size int) string {
	return fmt.Sprintf("%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", size)
}

func TestReadAr(t *testing.T) {
	long := "data.tar.xz.with-a-long-name"
	tests := []struct {
		name    string
		archive []byte
		want    []member
		wantErr string
	}{
		{
			name:    "GNU names with long name table",
			archive: writeAr(t, arFile{"debian-binary", []byte("2.0\n")}, arFile{long, []byte("abc")}, arFile{"x", []byte("yz")}),
			want:    []member{{"debian-binary", "2.0\n"}, {long, "abc"}, {"x", "yz"}},
		},
		{
			name:    "BSD name and symbol table",
			archive: []byte("!<arch>\n" + hdr("/", 2) + "ST" + hdr("#1/8", 9) + "data.tarX\n" + hdr("plain", 1) + "P\n"),
			want:    []member{{"data.tar", "X"}, {"plain", "P"}},
		},
		{name: "empty archive", archive: []byte("!<arch>\n")},
		{name: "bad magic", archive: []byte("!<arch>"), wantErr: "not an ar archive"},
		{name: "truncated member", archive: []byte("!<arch>\n" + hdr("a", 5) + "ab"), wantErr: "unexpected EOF"},
		{name: "bad size", archive: []byte("!<arch>\n" + strings.Replace(hdr("a", 1), "644  1", "644  x", 1) + "a\n"), wantErr: "bad ar header: size"},
		{name: "dangling long name", archive: []byte("!<arch>\n" + hdr("/9", 0)), wantErr: "bad GNU ar long name reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.archive)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("member %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzReadAr checks the ar reader never panics, and that every member it
// returns without error yields exactly its declared size.
func FuzzReadAr(f *testing.F) {
	f.Add(writeAr(f, arFile{"debian-binary", []byte("2.0\n")}, arFile{"data.tar.xz.long-name", []byte("abc")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := readAll(data); errors.Is(err, errSizeMismatch) {
			t.Fatal(err)
		}
	})
}
