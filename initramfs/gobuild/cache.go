package gobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// digestSuffix names the file next to a cached binary that holds its
// sha256, so a cache hit does not reread megabytes.
const digestSuffix = ".sha256"

func (b *Builder) cachePath(key, name string) string {
	dir := b.CacheDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(dir, "gobuild", key, name)
}

// cached reports the binary at out if a previous build finished it. The
// binary is renamed into place last, so its presence means it is complete.
func cached(out string) (Binary, bool) {
	info, err := os.Stat(out)
	if err != nil || !info.Mode().IsRegular() {
		return Binary{}, false
	}
	sum, err := readDigest(out)
	if err != nil {
		if sum, err = fileDigest(out); err != nil {
			return Binary{}, false
		}
	}
	return Binary{Path: out, SHA256: sum, CacheHit: true}, true
}

func readDigest(out string) (string, error) {
	data, err := os.ReadFile(out + digestSuffix)
	if err != nil {
		return "", err
	}
	sum := strings.TrimSpace(string(data))
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != sha256.Size*2 {
		return "", fmt.Errorf("bad digest file %s%s", out, digestSuffix)
	}
	return sum, nil
}

func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// store has build write a temp file in out's directory, then writes the
// digest and renames the binary to out, so readers never see half a file.
func store(out string, build func(tmp string) error) (Binary, error) {
	dir, name := filepath.Split(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binary{}, fmt.Errorf("create cache dir: %w", err)
	}
	// A fresh directory rather than a temp file: go build refuses to
	// overwrite a file that is not already an executable.
	tmpDir, err := os.MkdirTemp(dir, ".tmp-"+name+"-")
	if err != nil {
		return Binary{}, fmt.Errorf("create temp dir in cache: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, name)
	if err := build(tmp); err != nil {
		return Binary{}, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Binary{}, fmt.Errorf("make %s executable: %w", tmp, err)
	}
	sum, err := fileDigest(tmp)
	if err != nil {
		return Binary{}, err
	}
	if err := writeFileAtomic(out+digestSuffix, []byte(sum+"\n")); err != nil {
		return Binary{}, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return Binary{}, fmt.Errorf("move build into cache at %s: %w", out, err)
	}
	return Binary{Path: out, SHA256: sum}, nil
}

func writeFileAtomic(p string, data []byte) error {
	dir, name := filepath.Split(p)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
