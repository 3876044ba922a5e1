package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	getter "github.com/hashicorp/go-getter"
)

func (c *Cache) blobPath(digest string) string {
	return filepath.Join(c.Dir, "blobs", "sha256", digest)
}

// fetchRemote returns the cached blob for want when it is intact, else
// downloads src.
func (c *Cache) fetchRemote(ctx context.Context, field, src, want string) (Fetched, error) {
	if want != "" {
		f, ok, err := c.cachedBlob(ctx, field, src, want)
		if err != nil || ok {
			return f, err
		}
	}
	return c.download(ctx, field, src, want)
}

// cachedBlob reports whether an intact blob for want is cached. A blob
// that no longer matches its name is deleted so it gets fetched again.
func (c *Cache) cachedBlob(ctx context.Context, field, src, want string) (Fetched, bool, error) {
	p := c.blobPath(want)
	got, size, err := FileHash(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return Fetched{}, false, nil
	}
	if err != nil {
		return Fetched{}, false, fmt.Errorf("%s: check cached %s: %w", field, p, err)
	}
	if got != want {
		c.Logger().Warn("cached blob is corrupted; fetching it again", "field", field, "blob", p, "got", got)
		if err := os.Remove(p); err != nil {
			return Fetched{}, false, fmt.Errorf("%s: remove corrupted blob %s: %w", field, p, err)
		}
		return Fetched{}, false, nil
	}
	c.Logger().Debug("cache hit", "field", field, "source", src, "blob", p)
	return Fetched{Source: src, Path: p, SHA256: want, Size: size}, true, nil
}

// download fetches src into a temp file inside the cache, checks it and
// renames it into blobs/, so blobs/ only ever holds verified content.
func (c *Cache) download(ctx context.Context, field, src, want string) (Fetched, error) {
	tmpRoot := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return Fetched{}, fmt.Errorf("%s: create cache dir: %w", field, err)
	}
	tmp, err := os.MkdirTemp(tmpRoot, "fetch-")
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: create temp dir in cache: %w", field, err)
	}
	defer os.RemoveAll(tmp)

	dst := filepath.Join(tmp, "blob")
	c.Logger().Info("downloading", "field", field, "source", src)
	if err := c.client(ctx, src, dst).Get(); err != nil {
		return Fetched{}, fmt.Errorf("%s: download %s: %w; check the URL and your network", field, src, err)
	}
	got, size, err := FileHash(ctx, dst)
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: %w", field, err)
	}
	if want != "" && got != want {
		return Fetched{}, mismatch(field, src, got, want)
	}
	if want == "" {
		c.Logger().Info("fetched without a sha256; pin it to skip the download next time", "field", field, "source", src, "sha256", got)
	}
	p := c.blobPath(got)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return Fetched{}, fmt.Errorf("%s: create blob dir: %w", field, err)
	}
	if err := os.Rename(dst, p); err != nil {
		return Fetched{}, fmt.Errorf("%s: store %s in the cache: %w", field, src, err)
	}
	return Fetched{Source: src, Path: p, SHA256: got, Size: size}, nil
}

// client builds a go-getter client for one file. Getters are built per
// call because go-getter stores the client inside each getter, and its
// package-level getters are shared. Decompressors are off: we keep the
// bytes that were hashed; callers unpack what they need.
func (c *Cache) client(ctx context.Context, src, dst string) *getter.Client {
	httpGetter := &getter.HttpGetter{Netrc: true, DoNotCheckHeadFirst: true}
	cl := &getter.Client{
		Ctx:  ctx,
		Src:  src,
		Dst:  dst,
		Mode: getter.ClientModeFile,
		Getters: map[string]getter.Getter{
			"http":  httpGetter,
			"https": httpGetter,
			"s3":    new(getter.S3Getter),
			"gcs":   new(getter.GCSGetter),
		},
		Decompressors: map[string]getter.Decompressor{},
	}
	if c.Progress != nil {
		cl.ProgressListener = &progress{w: c.Progress}
	}
	return cl
}
