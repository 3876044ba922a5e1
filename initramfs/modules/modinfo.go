package modules

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/kiln-project/kiln/artifact/deb"
)

// moduleSuffix returns the module suffix of name (".ko", ".ko.xz", ...),
// or "" if it is not a module file.
func moduleSuffix(name string) string {
	for _, s := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(name, s) {
			return s
		}
	}
	return ""
}

// normalize maps a module name to the form the kernel uses internally:
// "-" and "_" are interchangeable in module names.
func normalize(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}

// nameFromPath derives a module name from its file name, as modprobe does
// when a module has no name= field.
func nameFromPath(p string) string {
	base := path.Base(p)
	return normalize(strings.TrimSuffix(base, moduleSuffix(base)))
}

// readModule parses the .modinfo section of the module file at abs.
// rel is the path relative to the module tree, recorded in the result.
func readModule(abs, rel string) (*Module, error) {
	info, err := readModinfo(abs)
	if err != nil {
		return nil, fmt.Errorf("read modinfo of %s: %w", abs, err)
	}
	m := &Module{RelPath: rel}
	for _, kv := range splitModinfo(info) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "name":
			m.Name = normalize(v)
		case "depends":
			m.Depends = splitDepends(v)
		case "alias":
			m.Aliases = append(m.Aliases, v)
		case "softdep":
			m.Softdeps = m.Softdeps.merge(parseSoftdep(v))
		case "firmware":
			m.Firmware = append(m.Firmware, v)
		}
	}
	if m.Name == "" {
		m.Name = nameFromPath(rel)
	}
	return m, nil
}

// readModinfo returns the raw .modinfo section of a (possibly compressed)
// module. Uncompressed files are read in place; compressed ones are small
// enough (a few MB at most) to decompress into memory for debug/elf.
func readModinfo(abs string) ([]byte, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ra io.ReaderAt = f
	if moduleSuffix(abs) != ".ko" {
		data, err := decompress(f)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		ra = bytes.NewReader(data)
	}
	ef, err := elf.NewFile(ra)
	if err != nil {
		return nil, err
	}
	sec := ef.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	return sec.Data()
}

func decompress(r io.Reader) ([]byte, error) {
	d, err := deb.Decompress(r)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return io.ReadAll(d)
}

// splitModinfo splits a .modinfo section into its key=value strings; the
// section is NUL-separated and padded with extra NULs.
func splitModinfo(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}

func splitDepends(v string) []string {
	var out []string
	for _, d := range strings.Split(v, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, normalize(d))
		}
	}
	return out
}

// parseSoftdep parses "pre: a b post: c". Like kmod, words before the first
// "pre:" or "post:" are ignored. Names are kept as written: they may be
// aliases ("crypto-crc32c") rather than module names.
func parseSoftdep(v string) Softdeps {
	var sd Softdeps
	var cur *[]string
	for _, w := range strings.Fields(v) {
		switch w {
		case "pre:":
			cur = &sd.Pre
		case "post:":
			cur = &sd.Post
		default:
			if cur != nil {
				*cur = append(*cur, w)
			}
		}
	}
	return sd
}
