package firmware

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/initramfs/cpio"
	"github.com/kiln-project/kiln/spec"
)

// debFirmware is a firmware package in bookworm's layout, with the kinds
// of symlink linux-firmware's WHENCE creates.
func debFirmware() []fsEntry {
	return []fsEntry{
		{name: "./"}, {name: "./lib/"}, {name: "./lib/firmware/"},
		{name: "./lib/firmware/a/x.bin", body: "deb-x"},
		{name: "./lib/firmware/b/y.bin.xz", body: "deb-y-xz"},
		{name: "./lib/firmware/p.bin", body: "p"},
		{name: "./lib/firmware/p.bin.xz", body: "p-xz"},
		{name: "./lib/firmware/q.bin.zst", body: "q-zst"},
		{name: "./lib/firmware/q.bin.xz", body: "q-xz"},
		{name: "./lib/firmware/c/link.bin", link: "../a/x.bin"},
		{name: "./lib/firmware/d/abs.bin", link: "/lib/firmware/a/x.bin"},
		{name: "./lib/firmware/e/dang.bin", link: "/usr/share/nothing"},
		{name: "./lib/firmware/sc/LENOVO/f.mbn", body: "mbn"},
		{name: "./lib/firmware/qcom/LENOVO", link: "../sc/LENOVO"},
		{name: "./lib/firmware/loop1", link: "loop2"},
		{name: "./lib/firmware/loop2", link: "loop1"},
		{name: "./lib/firmware/ath/hw2.0/amss.bin", body: "amss"},
		{name: "./lib/firmware/ath/hw2.0/board.bin.xz", body: "board"},
		{name: "./usr/share/doc/firmware-fake/copyright", body: "doc"},
	}
}

// fixture writes a .deb, a flat directory and a tarball in merged-usr
// layout, in that order, and returns the spec that names them.
func fixture(t *testing.T) (spec.Firmware, string) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "fw.deb"), debBytes(t, debFirmware()))
	writeTree(t, filepath.Join(base, "dirsrc"), []fsEntry{
		{name: "a/x.bin", body: "dir-x"},
		{name: "z.bin", body: "dir-z"},
	})
	tarball := tarBytes(t, []fsEntry{
		{name: "usr/lib/firmware/t/t.bin", body: "t"},
		{name: "usr/lib/firmware/z.bin", body: "tar-z"},
	})
	writeFile(t, filepath.Join(base, "fw.tar.gz"), gzBytes(t, tarball))
	return spec.Firmware{Sources: []spec.Artifact{
		{Source: "fw.deb"}, {Source: "dirsrc"}, {Source: "fw.tar.gz"},
	}}, base
}

// describe maps each entry, by path under lib/firmware, to "file:<body>"
// or "link:<target>", and checks the entries form a valid archive.
func describe(t *testing.T, res Result) map[string]string {
	t.Helper()
	if err := cpio.Write(io.Discard, res.Entries, 0); err != nil {
		t.Fatalf("entries do not make an archive: %v", err)
	}
	got := map[string]string{}
	var paths []string
	for _, e := range res.Entries {
		rel, ok := strings.CutPrefix(e.Path, "lib/firmware/")
		if !ok {
			t.Fatalf("entry %q is not under lib/firmware", e.Path)
		}
		paths = append(paths, rel)
		switch e.Kind {
		case cpio.KindFile:
			b, err := os.ReadFile(e.Source)
			if err != nil {
				t.Fatal(err)
			}
			if e.Mode != 0o644 {
				t.Errorf("%s: mode %#o, want 0644", e.Path, e.Mode)
			}
			got[rel] = "file:" + string(b)
		case cpio.KindSymlink:
			got[rel] = "link:" + e.Target
		default:
			t.Errorf("%s: unexpected %s", e.Path, e.Kind)
		}
	}
	if !slices.IsSorted(paths) || !slices.Equal(paths, res.Packed) {
		t.Errorf("entries %q not sorted or not the same as Packed %q", paths, res.Packed)
	}
	return got
}

func TestCollectDeclared(t *testing.T) {
	fw, base := fixture(t)
	c := &artifact.Cache{Dir: t.TempDir()}
	tests := []struct {
		name     string
		declared []string
		want     map[string]string
		missing  []string
	}{
		{"later source wins", []string{"a/x.bin"}, map[string]string{"a/x.bin": "file:dir-x"}, nil},
		{"last source wins", []string{"z.bin"}, map[string]string{"z.bin": "file:tar-z"}, nil},
		{"usr/lib/firmware in a tarball", []string{"t/t.bin"}, map[string]string{"t/t.bin": "file:t"}, nil},
		{"leading slash", []string{"/t/t.bin"}, map[string]string{"t/t.bin": "file:t"}, nil},
		{"xz variant", []string{"b/y.bin"}, map[string]string{"b/y.bin.xz": "file:deb-y-xz"}, nil},
		{"plain before compressed", []string{"p.bin"}, map[string]string{"p.bin": "file:p"}, nil},
		{"xz before zst", []string{"q.bin"}, map[string]string{"q.bin.xz": "file:q-xz"}, nil},
		{"relative symlink", []string{"c/link.bin"}, map[string]string{
			"c/link.bin": "link:../a/x.bin", "a/x.bin": "file:dir-x"}, nil},
		{"absolute symlink made relative", []string{"d/abs.bin"}, map[string]string{
			"d/abs.bin": "link:../a/x.bin", "a/x.bin": "file:dir-x"}, nil},
		{"through a symlinked directory", []string{"qcom/LENOVO/f.mbn"}, map[string]string{
			"qcom/LENOVO": "link:../sc/LENOVO", "sc/LENOVO/f.mbn": "file:mbn"}, nil},
		{"glob with compressed match", []string{"ath/hw2.0/*"}, map[string]string{
			"ath/hw2.0/amss.bin": "file:amss", "ath/hw2.0/board.bin.xz": "file:board"}, nil},
		{"glob does not cross /", []string{"ath/*.bin"}, map[string]string{}, []string{"ath/*.bin"}},
		{"dangling symlink", []string{"e/dang.bin"}, map[string]string{}, []string{"e/dang.bin"}},
		{"symlink loop", []string{"loop1"}, map[string]string{}, []string{"loop1"}},
		{"a directory is no file", []string{"sc/LENOVO"}, map[string]string{}, []string{"sc/LENOVO"}},
		{"not in lib/firmware", []string{"usr/share/doc/firmware-fake/copyright"}, map[string]string{},
			[]string{"usr/share/doc/firmware-fake/copyright"}},
		{"escapes", []string{"../etc/passwd"}, map[string]string{}, []string{"../etc/passwd"}},
		{"bad glob", []string{"[x"}, map[string]string{}, []string{"[x"}},
		{"missing sorted and once", []string{"n2.bin", "a/x.bin", "n1.bin", "n2.bin"},
			map[string]string{"a/x.bin": "file:dir-x"}, []string{"n1.bin", "n2.bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Collect(context.Background(), c, fw, base, tt.declared)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(t, res); !maps.Equal(got, tt.want) {
				t.Errorf("packed %v, want %v", got, tt.want)
			}
			if !slices.Equal(res.Missing, tt.missing) {
				t.Errorf("missing %q, want %q", res.Missing, tt.missing)
			}
		})
	}
}

func TestCollectAll(t *testing.T) {
	fw, base := fixture(t)
	fw.All = true
	c := &artifact.Cache{Dir: t.TempDir()}
	res, err := Collect(context.Background(), c, fw, base, []string{"declared/is/ignored.bin"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a/x.bin":                "file:dir-x",
		"b/y.bin.xz":             "file:deb-y-xz",
		"p.bin":                  "file:p",
		"p.bin.xz":               "file:p-xz",
		"q.bin.zst":              "file:q-zst",
		"q.bin.xz":               "file:q-xz",
		"c/link.bin":             "link:../a/x.bin",
		"d/abs.bin":              "link:../a/x.bin",
		"sc/LENOVO/f.mbn":        "file:mbn",
		"qcom/LENOVO":            "link:../sc/LENOVO",
		"ath/hw2.0/amss.bin":     "file:amss",
		"ath/hw2.0/board.bin.xz": "file:board",
		"z.bin":                  "file:tar-z",
		"t/t.bin":                "file:t",
	}
	if got := describe(t, res); !maps.Equal(got, want) {
		t.Errorf("packed %v\nwant %v", got, want)
	}
	if len(res.Missing) != 0 {
		t.Errorf("missing %q with all", res.Missing)
	}
	var fields []string
	for _, in := range res.Inputs {
		fields = append(fields, in.Field)
	}
	if want := []string{"firmware.sources[0]", "firmware.sources[1]", "firmware.sources[2]"}; !slices.Equal(fields, want) {
		t.Errorf("inputs %q, want %q", fields, want)
	}
}

// The .deb is unpacked into the cache once, and a second run gives the
// same result from there.
func TestCollectCachesUnpacked(t *testing.T) {
	fw, base := fixture(t)
	c := &artifact.Cache{Dir: t.TempDir()}
	declared := []string{"p.bin", "t/t.bin", "qcom/LENOVO/f.mbn"}
	first, err := Collect(context.Background(), c, fw, base, declared)
	if err != nil {
		t.Fatal(err)
	}
	debDir := filepath.Join(c.Dir, "firmware", first.Inputs[0].SHA256)
	for _, e := range first.Entries {
		if e.Path == "lib/firmware/p.bin" && !strings.HasPrefix(e.Source, debDir+string(filepath.Separator)) {
			t.Errorf("p.bin read from %s, want under %s", e.Source, debDir)
		}
	}
	// A changed unpacked tree shows the second run did not unpack again.
	marker := filepath.Join(debDir, unpackedDir, "lib", "firmware", "p.bin")
	if err := os.WriteFile(marker, []byte("from cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := Collect(context.Background(), c, fw, base, declared)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second run differs:\n%+v\n%+v", first, second)
	}
	if got := describe(t, second)["p.bin"]; got != "file:from cache" {
		t.Errorf("p.bin is %q; the .deb was unpacked again", got)
	}
}

func TestCollectNoSources(t *testing.T) {
	c := &artifact.Cache{Dir: t.TempDir()}
	res, err := Collect(context.Background(), c, spec.Firmware{All: true}, t.TempDir(), []string{"x.bin"})
	if err != nil || !reflect.DeepEqual(res, Result{}) {
		t.Fatalf("got %+v, %v; want an empty result", res, err)
	}
}

func TestCollectErrors(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "good.deb"), debBytes(t, debFirmware()))
	writeFile(t, filepath.Join(base, "notes.txt"), []byte("not firmware\n"))
	writeFile(t, filepath.Join(base, "docs.deb"), debBytes(t, []fsEntry{{name: "./usr/share/doc/x/copyright", body: "c"}}))
	tests := []struct {
		name    string
		sources []spec.Artifact
		want    []string
	}{
		{"missing path", []spec.Artifact{{Source: "good.deb"}, {Source: "nothere"}}, []string{"firmware.sources[1]", "does not exist"}},
		{"not an archive", []spec.Artifact{{Source: "notes.txt"}}, []string{"firmware.sources[0]", "neither a .deb, a tarball nor a directory"}},
		{"deb without firmware", []spec.Artifact{{Source: "docs.deb"}}, []string{"firmware.sources[0]", "no lib/firmware"}},
		{"empty source", []spec.Artifact{{Source: ""}}, []string{"firmware.sources[0]"}},
		{"wrong digest", []spec.Artifact{{Source: "good.deb", SHA256: strings.Repeat("0", 64)}}, []string{"firmware.sources[0]", "sha256 mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &artifact.Cache{Dir: t.TempDir()}
			_, err := Collect(context.Background(), c, spec.Firmware{Sources: tt.sources}, base, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
