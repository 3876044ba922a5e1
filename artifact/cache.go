// Package artifact fetches the files a spec names (local paths or URLs
// that go-getter understands), checks their sha256 and keeps remote ones
// in a content-addressed cache.
package artifact

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kiln-project/kiln/spec"
)

// Cache fetches artifacts. Remote downloads live under
// Dir/blobs/sha256/<hex>; derived trees (unpacked archives) under
// Dir/<kind>/<key>.
type Cache struct {
	// Dir is the cache root; see DefaultDir.
	Dir string
	// Log receives warnings and progress notes; nil discards them.
	Log *slog.Logger
	// Progress, when set, shows download progress for people.
	Progress io.Writer
}

// Fetched is one artifact on local disk, ready to read.
type Fetched struct {
	// Field is the spec path that named it, e.g. "kernel.deb".
	Field string
	// Source is the source as resolved: an absolute path or a URL.
	Source string
	// Path is the absolute local path of the file or directory.
	Path string
	// SHA256 is the hex digest of the file, or the tree hash of a
	// directory (see TreeHash).
	SHA256 string
	// Size is the file size, or the sum of regular file sizes for a
	// directory.
	Size int64
	// Dir is true when Path is a directory.
	Dir bool
}

// DefaultDir is $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
func DefaultDir() (string, error) {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "kiln"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory: %w; set XDG_CACHE_HOME", err)
	}
	return filepath.Join(home, ".cache", "kiln"), nil
}

// Fetch makes artifact a, named by field in the spec, available locally
// and checks its sha256 when the spec gives one. Relative local sources
// resolve against baseDir (the spec's directory).
//
// Local files and directories are used in place. URLs are downloaded
// into the cache; with a sha256 a cached copy is reused without any
// network access. Without a sha256 we cannot know a URL is unchanged, so
// it is downloaded every time (and the digest logged so it can be
// pinned).
func (c *Cache) Fetch(ctx context.Context, field string, a spec.Artifact, baseDir string) (Fetched, error) {
	if strings.TrimSpace(a.Source) == "" {
		return Fetched{}, fmt.Errorf("%s: no source given; set %s to a path or URL", field, field)
	}
	want, err := normalizeDigest(field, a.SHA256)
	if err != nil {
		return Fetched{}, err
	}
	src, remote, err := classify(a.Source, baseDir)
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: %w", field, err)
	}
	var f Fetched
	if remote {
		f, err = c.fetchRemote(ctx, field, src, want)
	} else {
		f, err = fetchLocal(ctx, field, src, want)
	}
	f.Field = field
	return f, err
}

// Logger is c.Log, or a logger that discards when that is nil.
func (c *Cache) Logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// normalizeDigest accepts an empty digest (unchecked) or 64 hex digits.
func normalizeDigest(field, d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "sha256:")
	if d == "" {
		return "", nil
	}
	if b, err := hex.DecodeString(d); err != nil || len(b) != 32 {
		return "", fmt.Errorf("%s.sha256: %q is not a sha256 (64 hex digits); fix %s.sha256", field, d, field)
	}
	return d, nil
}

// forcedGetter matches go-getter's "getter::source" syntax.
var forcedGetter = regexp.MustCompile(`^[A-Za-z0-9]+::.+`)

// classify says whether src is remote (a URL or forced getter) and, for
// local paths, makes them absolute against baseDir.
func classify(src, baseDir string) (string, bool, error) {
	if forcedGetter.MatchString(src) {
		return src, true, nil
	}
	// One-letter schemes are Windows drive letters, not URLs.
	if u, err := url.Parse(src); err == nil && len(u.Scheme) > 1 {
		if u.Scheme != "file" {
			return src, true, nil
		}
		src = u.Path
	}
	if !filepath.IsAbs(src) {
		src = filepath.Join(baseDir, src)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", false, fmt.Errorf("make %s absolute: %w", src, err)
	}
	return abs, false, nil
}

func mismatch(field, what, got, want string) error {
	return fmt.Errorf("%s: sha256 mismatch for %s: got %s, spec says %s; fix %s.sha256 or the file",
		field, what, got, want, field)
}
