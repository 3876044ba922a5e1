package deb

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// ExtractTar writes the entries of the (uncompressed) tar stream r for
// which keep returns true (all when keep is nil) under dst: regular
// files, directories, symlinks (targets kept as is) and hard links, with
// their permission bits. keep sees cleaned relative names without a
// leading "./" ("boot/vmlinuz-6.1.0"). Entries whose names escape dst
// are refused, and nothing is written through a symlink that points
// outside dst.
func ExtractTar(ctx context.Context, r io.Reader, dst string, keep func(name string) bool) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return fmt.Errorf("open %s: %w", dst, err)
	}
	defer root.Close()
	x := &extractor{root: root, keep: keep}
	if err := walkTar(ctx, tar.NewReader(r), x.entry); err != nil {
		return err
	}
	return x.finish()
}

// ExtractTarball is ExtractTar for a tarball file, compressed in any way
// Decompress knows or not at all.
func ExtractTarball(ctx context.Context, tarball, dst string, keep func(name string) bool) error {
	f, err := os.Open(tarball)
	if err != nil {
		return fmt.Errorf("open tarball: %w", err)
	}
	defer f.Close()
	r, err := Decompress(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", tarball, err)
	}
	defer r.Close()
	if err := ExtractTar(ctx, r, dst, keep); err != nil {
		return fmt.Errorf("extract %s into %s: %w", tarball, dst, err)
	}
	return nil
}

// walkTar calls fn for each entry of tr.
func walkTar(ctx context.Context, tr *tar.Reader, fn func(*tar.Header, io.Reader) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if err := fn(hdr, tr); err != nil {
			return err
		}
	}
}

type extractor struct {
	root *os.Root
	keep func(string) bool
	// dirs get their modes last, so a read-only directory can still be
	// filled first.
	dirs []dirMode
}

type dirMode struct {
	name string
	mode fs.FileMode
}

// cleanName turns a tar entry name into a relative slash path without
// "./"; "" is the archive root. Names that climb out with ".." fail.
func cleanName(name string) (string, error) {
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("tar entry %q escapes the destination", name)
	}
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil || name == "" {
		return err
	}
	if x.keep != nil && !x.keep(name) {
		return nil
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("extract %s: %w", name, err)
		}
	}
	mode := hdr.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	switch hdr.Typeflag {
	case tar.TypeDir:
		err = x.root.MkdirAll(name, 0o755)
		x.dirs = append(x.dirs, dirMode{name, mode})
	case tar.TypeReg, tar.TypeRegA:
		err = x.file(name, mode, r)
	case tar.TypeSymlink:
		if err = x.clear(name); err == nil {
			err = x.root.Symlink(hdr.Linkname, name)
		}
	case tar.TypeLink:
		err = x.link(name, hdr.Linkname)
	default:
		// Devices and fifos have no place in what we unpack.
		return nil
	}
	if err != nil {
		return fmt.Errorf("extract %s: %w", name, err)
	}
	return nil
}

// clear removes a non-directory left at name by an earlier entry, so we
// replace it rather than write through it.
func (x *extractor) clear(name string) error {
	fi, err := x.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || fi.IsDir() {
		return err
	}
	return x.root.Remove(name)
}

func (x *extractor) file(name string, mode fs.FileMode, r io.Reader) error {
	if err := x.clear(name); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return x.root.Chmod(name, mode)
}

func (x *extractor) link(name, target string) error {
	t, err := cleanName(target)
	if err != nil {
		return err
	}
	if _, err := x.root.Lstat(t); err != nil {
		return fmt.Errorf("hard link to %s, which was not extracted: %w", target, err)
	}
	if err := x.clear(name); err != nil {
		return err
	}
	return x.root.Link(t, name)
}

func (x *extractor) finish() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if err := x.root.Chmod(d.name, d.mode); err != nil {
			return fmt.Errorf("set mode of %s: %w", d.name, err)
		}
	}
	return nil
}
