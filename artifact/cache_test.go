package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-project/kiln/spec"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFetchLocalFile(t *testing.T) {
	dir := t.TempDir()
	content := []byte("kernel bytes")
	if err := os.WriteFile(filepath.Join(dir, "k.deb"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	good := digest(content)
	bad := digest([]byte("other"))
	abs := filepath.Join(dir, "k.deb")
	tests := []struct {
		name    string
		a       spec.Artifact
		wantErr string
	}{
		{"relative with sha", spec.Artifact{Source: "k.deb", SHA256: good}, ""},
		{"absolute without sha", spec.Artifact{Source: abs}, ""},
		{"file URL, upper-case sha", spec.Artifact{Source: "file://" + abs, SHA256: strings.ToUpper(good)}, ""},
		{"wrong sha", spec.Artifact{Source: "k.deb", SHA256: bad},
			"kernel.deb: sha256 mismatch for " + abs + ": got " + good + ", spec says " + bad + "; fix kernel.deb.sha256 or the file"},
		{"missing", spec.Artifact{Source: "nope.deb"},
			"kernel.deb: " + filepath.Join(dir, "nope.deb") + " does not exist; check the path"},
		{"malformed sha", spec.Artifact{Source: "k.deb", SHA256: "abc"}, "kernel.deb.sha256: \"abc\" is not a sha256"},
		{"empty source", spec.Artifact{}, "kernel.deb: no source given"},
	}
	c := &Cache{Dir: t.TempDir()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := c.Fetch(context.Background(), "kernel.deb", tt.a, dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Fetched{Field: "kernel.deb", Source: abs, Path: abs, SHA256: good, Size: int64(len(content))}
			if f != want {
				t.Errorf("got %+v, want %+v", f, want)
			}
		})
	}
	if entries, _ := os.ReadDir(c.Dir); len(entries) != 0 {
		t.Errorf("local fetches wrote to the cache: %v", entries)
	}
}

// makeTree writes a small tree with a file, an executable, a subdir and
// a symlink under root.
func makeTree(t *testing.T, root string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "kernel", "net"), 0o755))
	must(os.WriteFile(filepath.Join(root, "modules.order"), []byte("kernel/net/a.ko\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "kernel", "net", "a.ko"), []byte("ko"), 0o644))
	must(os.WriteFile(filepath.Join(root, "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("kernel/net/a.ko", filepath.Join(root, "link")))
}

func TestTreeHash(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	makeTree(t, a)
	makeTree(t, b)
	ha, size, err := TreeHash(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len("kernel/net/a.ko\n")+len("ko")+len("#!/bin/sh\n")) {
		t.Errorf("size = %d", size)
	}
	if hb, _, _ := TreeHash(ctx, b); hb != ha {
		t.Fatalf("identical trees hash differently: %s vs %s", ha, hb)
	}
	changes := []struct {
		name   string
		change func(root string) error
	}{
		{"content", func(r string) error { return os.WriteFile(filepath.Join(r, "kernel/net/a.ko"), []byte("KO"), 0o644) }},
		{"mode", func(r string) error { return os.Chmod(filepath.Join(r, "run.sh"), 0o644) }},
		{"rename", func(r string) error { return os.Rename(filepath.Join(r, "run.sh"), filepath.Join(r, "run2.sh")) }},
		{"symlink target", func(r string) error {
			os.Remove(filepath.Join(r, "link"))
			return os.Symlink("modules.order", filepath.Join(r, "link"))
		}},
		{"empty dir", func(r string) error { return os.Mkdir(filepath.Join(r, "extra"), 0o755) }},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			r := filepath.Join(base, tt.name)
			makeTree(t, r)
			if err := tt.change(r); err != nil {
				t.Fatal(err)
			}
			if h, _, _ := TreeHash(ctx, r); h == ha {
				t.Errorf("hash did not change after changing the %s", tt.name)
			}
		})
	}

	c := &Cache{Dir: t.TempDir()}
	f, err := c.Fetch(ctx, "kernel.module_tree", spec.Artifact{Source: "a", SHA256: ha}, base)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Dir || f.Path != a || f.SHA256 != ha {
		t.Errorf("got %+v", f)
	}
	if err := os.Symlink("a", filepath.Join(base, "link-to-a")); err != nil {
		t.Fatal(err)
	}
	f, err = c.Fetch(ctx, "kernel.module_tree", spec.Artifact{Source: "link-to-a", SHA256: ha}, base)
	if err != nil || f.Path != a || f.Source != filepath.Join(base, "link-to-a") {
		t.Errorf("through a symlink: %+v, %v", f, err)
	}
	_, err = c.Fetch(ctx, "kernel.module_tree", spec.Artifact{Source: "a", SHA256: digest(nil)}, base)
	if err == nil || !strings.Contains(err.Error(), "kernel.module_tree: sha256 mismatch for "+a) {
		t.Errorf("err = %v, want a tree hash mismatch", err)
	}
}

type server struct {
	*httptest.Server
	gets atomic.Int32
	body []byte
}

func newServer(t *testing.T, body []byte) *server {
	s := &server{body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/k.deb" {
			http.NotFound(w, r)
			return
		}
		s.gets.Add(1)
		w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestFetchURL(t *testing.T) {
	ctx := context.Background()
	body := bytes.Repeat([]byte("deb!"), 1000)
	sum := digest(body)
	srv := newServer(t, body)
	url := srv.URL + "/k.deb"
	var logs, prog bytes.Buffer
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.NewTextHandler(&logs, nil)), Progress: &prog}
	blob := filepath.Join(c.Dir, "blobs", "sha256", sum)
	fetch := func(a spec.Artifact) Fetched {
		t.Helper()
		f, err := c.Fetch(ctx, "kernel.deb", a, "/nowhere")
		if err != nil {
			t.Fatal(err)
		}
		want := Fetched{Field: "kernel.deb", Source: url, Path: blob, SHA256: sum, Size: int64(len(body))}
		if f != want {
			t.Fatalf("got %+v, want %+v", f, want)
		}
		if got, _ := os.ReadFile(f.Path); !bytes.Equal(got, body) {
			t.Fatalf("blob content differs from the served file")
		}
		return f
	}
	pinned := spec.Artifact{Source: url, SHA256: sum}

	fetch(pinned)
	if n := srv.gets.Load(); n != 1 {
		t.Fatalf("first fetch made %d requests, want 1", n)
	}
	if !strings.Contains(prog.String(), "downloading k.deb") {
		t.Errorf("no progress shown: %q", prog.String())
	}

	fetch(pinned)
	if n := srv.gets.Load(); n != 1 {
		t.Fatalf("cached fetch went to the network (%d requests)", n)
	}

	if err := os.WriteFile(blob, []byte("bit rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	fetch(pinned)
	if n := srv.gets.Load(); n != 2 {
		t.Fatalf("corrupted blob was not refetched (%d requests)", n)
	}
	if !strings.Contains(logs.String(), "corrupted") {
		t.Errorf("no warning logged for the corrupted blob: %s", logs.String())
	}

	fetch(spec.Artifact{Source: url})
	if n := srv.gets.Load(); n != 3 {
		t.Fatalf("unpinned fetch was not downloaded again (%d requests)", n)
	}
	assertEmpty(t, filepath.Join(c.Dir, "tmp"))
}

func TestFetchURLErrors(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, []byte("served"))
	bad := digest([]byte("expected"))
	tests := []struct {
		name    string
		a       spec.Artifact
		wantErr string
	}{
		{"sha mismatch", spec.Artifact{Source: srv.URL + "/k.deb", SHA256: bad},
			"kernel.deb: sha256 mismatch for " + srv.URL + "/k.deb: got " + digest([]byte("served")) + ", spec says " + bad},
		{"not found", spec.Artifact{Source: srv.URL + "/missing.deb", SHA256: bad},
			"kernel.deb: download " + srv.URL + "/missing.deb: bad response code: 404; check the URL"},
		{"unsupported getter", spec.Artifact{Source: "git::" + srv.URL + "/k.git"},
			"kernel.deb: download git::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cache{Dir: t.TempDir()}
			_, err := c.Fetch(ctx, "kernel.deb", tt.a, "/")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			assertEmpty(t, filepath.Join(c.Dir, "blobs", "sha256"))
			assertEmpty(t, filepath.Join(c.Dir, "tmp"))
		})
	}
}

// assertEmpty fails if dir holds anything; a missing dir is empty.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s holds %v, want nothing", dir, entries)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := DefaultDir(); err != nil || d != "/xdg/kiln" {
		t.Errorf("with XDG_CACHE_HOME: %q, %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultDir(); err != nil || d != "/home/u/.cache/kiln" {
		t.Errorf("without XDG_CACHE_HOME: %q, %v", d, err)
	}
}
