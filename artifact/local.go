package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// fetchLocal hashes a local file or directory in place.
func fetchLocal(ctx context.Context, field, path, want string) (Fetched, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Fetched{}, fmt.Errorf("%s: %s does not exist; check the path", field, path)
	}
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: stat %s: %w", field, path, err)
	}
	f := Fetched{Source: path, Path: path, Dir: fi.IsDir()}
	switch {
	case fi.IsDir():
		// A walk does not descend into a symlinked root, and the real
		// name (often the kernel release) is what callers want.
		if f.Path, err = filepath.EvalSymlinks(path); err != nil {
			return Fetched{}, fmt.Errorf("%s: resolve %s: %w", field, path, err)
		}
		f.SHA256, f.Size, err = TreeHash(ctx, f.Path)
	case fi.Mode().IsRegular():
		f.SHA256, f.Size, err = FileHash(ctx, path)
	default:
		return Fetched{}, fmt.Errorf("%s: %s is a %s, not a file or directory; check the path", field, path, fi.Mode().Type())
	}
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: %w", field, err)
	}
	if want != "" && f.SHA256 != want {
		return Fetched{}, mismatch(field, path, f.SHA256, want)
	}
	return f, nil
}

// FileHash returns the hex sha256 and size of the file at path.
func FileHash(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ctxReader stops a long copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// TreeHash returns a digest of the directory tree at root and the total
// size of its regular files. It covers, for every entry below root in
// lexical order, the slash-separated relative path, the type and
// permission bits, and the content digest (files) or target (symlinks);
// not owners or times, so copies and checkouts of a tree hash the same.
func TreeHash(ctx context.Context, root string) (string, int64, error) {
	h := sha256.New()
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		payload, size, err := treeEntry(ctx, p, d)
		if err != nil {
			return err
		}
		total += size
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%s %o\x00%s\n", filepath.ToSlash(rel), kindOf(d.Type()), info.Mode().Perm(), payload)
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("hash tree %s: %w", root, err)
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

func treeEntry(ctx context.Context, p string, d fs.DirEntry) (string, int64, error) {
	switch t := d.Type(); {
	case t.IsDir():
		return "", 0, nil
	case t&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		return target, 0, err
	case t.IsRegular():
		return FileHash(ctx, p)
	default:
		return "", 0, fmt.Errorf("%s is a %s; only files, directories and symlinks can be hashed", p, t)
	}
}

func kindOf(t fs.FileMode) string {
	switch {
	case t.IsDir():
		return "d"
	case t&fs.ModeSymlink != 0:
		return "l"
	default:
		return "f"
	}
}
