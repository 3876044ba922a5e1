package firmware

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/spec"
)

func TestLinkTarget(t *testing.T) {
	tests := []struct {
		rel, raw string
		want     string
		inTree   bool
	}{
		{"a/l", "x", "a/x", true},
		{"a/b/l", "../../x", "x", true},
		{"l", "a/./b/../x", "a/x", true},
		{"a/l", "..", "", true},
		{"l", "../x", "", false},
		{"a/l", "/lib/firmware/x/y", "x/y", true},
		{"a/l", "/usr/lib/firmware/x", "x", true},
		{"a/l", "/lib/firmware", "", true},
		{"a/l", "/lib/firmware/../modules/x", "", false},
		{"a/l", "/lib/firmwarex/y", "", false},
		{"a/l", "/usr/share/x", "", false},
	}
	for _, tt := range tests {
		got, ok := linkTarget(tt.rel, tt.raw)
		if got != tt.want || ok != tt.inTree {
			t.Errorf("linkTarget(%q, %q) = %q, %v; want %q, %v", tt.rel, tt.raw, got, ok, tt.want, tt.inTree)
		}
	}
}

func file(src string) node { return node{src: src} }

func link(target string) node { return node{link: true, raw: target, target: target, inTree: true} }

func TestOverlay(t *testing.T) {
	tr := newTree()
	tr.overlay(map[string]node{"a": file("1/a"), "d/x": file("1/d/x"), "d/y/z": file("1/d/y/z"), "k": file("1/k")})
	tr.overlay(map[string]node{"a/b": file("2/a/b"), "d": link("k"), "k": file("2/k")})
	got := map[string]string{}
	for k, n := range tr.nodes {
		got[k] = n.src + n.raw
	}
	want := map[string]string{"a/b": "2/a/b", "d": "k", "k": "2/k"}
	if !maps.Equal(got, want) {
		t.Errorf("nodes %v, want %v", got, want)
	}
	dirs := slices.Sorted(maps.Keys(tr.dirs))
	if want := []string{"", "a"}; !slices.Equal(dirs, want) {
		t.Errorf("dirs %q, want %q", dirs, want)
	}
}

func TestResolve(t *testing.T) {
	tr := newTree()
	tr.overlay(map[string]node{
		"v/d/f.bin": file("f"),
		"top":       link(""),
		"dl":        link("v/d"),
		"chain":     link("dl/f.bin"),
		"out":       {link: true, raw: "/etc/x"},
		"self":      link("self"),
	})
	tests := []struct {
		p     string
		ok    bool
		real  string
		file  bool
		links []string
	}{
		{"v/d/f.bin", true, "v/d/f.bin", true, nil},
		{"dl/f.bin", true, "v/d/f.bin", true, []string{"dl"}},
		{"chain", true, "v/d/f.bin", true, []string{"chain", "dl"}},
		{"top/top/chain", true, "v/d/f.bin", true, []string{"top", "top", "chain", "dl"}},
		{"dl", true, "v/d", false, []string{"dl"}},
		{"v", true, "v", false, nil},
		{"v/d/f.bin/x", false, "", false, nil},
		{"v/nope", false, "", false, nil},
		{"out", false, "", false, nil},
		{"self", false, "", false, nil},
	}
	for _, tt := range tests {
		res, ok := tr.resolve(tt.p)
		if ok != tt.ok || res.real != tt.real || res.file != tt.file || !slices.Equal(res.links, tt.links) {
			t.Errorf("resolve(%q) = %+v, %v; want {%s %v %q}, %v", tt.p, res, ok, tt.real, tt.file, tt.links, tt.ok)
		}
	}
}

// Directory sources may be a root filesystem (lib/firmware, or merged
// usr with lib a link to usr/lib) or the firmware directory itself; a
// plain tarball is read like a compressed one.
func TestSourceLayouts(t *testing.T) {
	base := t.TempDir()
	writeTree(t, filepath.Join(base, "rootfs"), []fsEntry{{name: "lib/firmware/r.bin", body: "rootfs"}})
	writeTree(t, filepath.Join(base, "merged"), []fsEntry{
		{name: "usr/lib/firmware/m.bin", body: "merged"},
		{name: "lib", link: "usr/lib"},
	})
	writeTree(t, filepath.Join(base, "flat"), []fsEntry{{name: "f.bin", body: "flat"}})
	writeTree(t, filepath.Join(base, "real"), []fsEntry{{name: "s.bin", body: "symlinked"}})
	writeTree(t, base, []fsEntry{{name: "linked", link: "real"}})
	writeFile(t, filepath.Join(base, "plain.tar"), tarBytes(t, []fsEntry{{name: "p.bin", body: "tar"}}))
	fw := spec.Firmware{All: true, Sources: []spec.Artifact{
		{Source: "rootfs"}, {Source: "merged"}, {Source: "flat"}, {Source: "linked"}, {Source: "plain.tar"},
	}}
	res, err := Collect(context.Background(), &artifact.Cache{Dir: t.TempDir()}, fw, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"r.bin": "file:rootfs", "m.bin": "file:merged", "f.bin": "file:flat",
		"s.bin": "file:symlinked", "p.bin": "file:tar",
	}
	if got := describe(t, res); !maps.Equal(got, want) {
		t.Errorf("packed %v, want %v", got, want)
	}
}
