package gobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// defaultHashDirs are the module directories that the agent's code lives
// in. Asking `go list -deps` for the exact set of packages would cost about
// a second on every build, which a warm build cannot afford; hashing these
// trees wholesale is cheap (a few hundred small files) and errs towards
// rebuilding. The price: a module package outside them that the binary
// imports is only noticed if the caller lists it in Options.HashDirs.
// Packages of other modules are pinned by go.sum, which is hashed.
func defaultHashDirs() []string { return []string{"agent", "spec"} }

// packageKey is the hex sha256 of everything that decides the bytes of
// pkg's binary.
func (b *Builder) packageKey(tc *toolchain, pkg string, opt Options) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "gobuild package v1\ngo %s\ntarget %s/%s cgo=%t\ntags %q\nflags %q\npkg %q\n",
		tc.version, targetOS, targetArch, opt.CGO, sortedCopy(opt.Tags), reproducibleFlags(), pkg)
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := hashModFile(h, b.Src, name); err != nil {
			return "", err
		}
	}
	dirs, err := b.hashDirs(pkg, opt.HashDirs)
	if err != nil {
		return "", err
	}
	if err := hashTrees(h, b.Src, dirs); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashModFile hashes Src/name; a module without dependencies has no go.sum.
func hashModFile(h hash.Hash, src, name string) error {
	data, err := os.ReadFile(filepath.Join(src, name))
	if os.IsNotExist(err) && name == "go.sum" {
		data = nil
	} else if err != nil {
		return fmt.Errorf("read %s of module %s: %w", name, src, err)
	}
	fmt.Fprintf(h, "file %s %d\n", name, len(data))
	h.Write(data)
	return nil
}

// hashDirs lists the absolute directories whose files go into pkg's key.
func (b *Builder) hashDirs(pkg string, extra []string) ([]string, error) {
	rel := defaultHashDirs()
	own, err := b.packageDir(pkg)
	if err != nil {
		return nil, err
	}
	if own != "" {
		rel = append(rel, own)
	}
	rel = append(rel, extra...)
	dirs := make([]string, 0, len(rel))
	for _, d := range rel {
		if !filepath.IsAbs(d) {
			d = filepath.Join(b.Src, d)
		}
		dirs = append(dirs, filepath.Clean(d))
	}
	slices.Sort(dirs)
	return slices.Compact(dirs), nil
}

// packageDir is pkg's directory relative to Src, or "" for a package of
// another module (whose content go.sum pins).
func (b *Builder) packageDir(pkg string) (string, error) {
	if strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../") || pkg == "." {
		return filepath.FromSlash(pkg), nil
	}
	mod, err := modulePath(b.Src)
	if err != nil {
		return "", fmt.Errorf("module at %s: %w", b.Src, err)
	}
	if pkg == mod {
		return ".", nil
	}
	if rest, ok := strings.CutPrefix(pkg, mod+"/"); ok {
		return filepath.FromSlash(rest), nil
	}
	return "", nil
}

// hashTrees hashes the path and content of every file under dirs that can
// be part of a build: all but tests and what the go tool ignores (testdata,
// dot and underscore dirs). Non-Go files count too (embeds, assembly).
// Missing dirs hash as empty.
func hashTrees(h hash.Hash, src string, dirs []string) error {
	files := map[string]bool{}
	for _, dir := range dirs {
		if err := listTree(dir, files); err != nil {
			return err
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := hashFile(h, src, p); err != nil {
			return err
		}
	}
	return nil
}

func listTree(dir string, files map[string]bool) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !strings.HasSuffix(name, "_test.go") {
			files[p] = true
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list files under %s: %w", dir, err)
	}
	return nil
}

func hashFile(h hash.Hash, src, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("hash %s: %w", p, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("hash %s: %w", p, err)
	}
	rel, err := filepath.Rel(src, p)
	if err != nil {
		rel = p
	}
	fmt.Fprintf(h, "file %s %d\n", filepath.ToSlash(rel), info.Size())
	if _, err := io.CopyN(h, f, info.Size()); err != nil {
		return fmt.Errorf("hash %s: %w", p, err)
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
