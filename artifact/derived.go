package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// completeMarker is written last into a derived tree; a tree without it
// was left behind by an interrupted run and is rebuilt.
const completeMarker = ".kiln-complete"

// Derived returns Dir/<kind>/<key>, a tree computed from cached inputs
// (an unpacked archive, keyed by the archive's sha256). On a miss fill
// builds it in a temp dir inside the cache, which is then renamed into
// place, so the tree is either complete or absent. hit reports whether
// it was already there.
func (c *Cache) Derived(ctx context.Context, kind, key string, fill func(ctx context.Context, dir string) error) (dir string, hit bool, err error) {
	final := filepath.Join(c.Dir, kind, key)
	if complete(final) {
		return final, true, nil
	}
	if err := os.RemoveAll(final); err != nil {
		return "", false, fmt.Errorf("remove incomplete %s: %w", final, err)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", false, fmt.Errorf("create cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".tmp-"+key+"-")
	if err != nil {
		return "", false, fmt.Errorf("create temp dir in cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(ctx, tmp); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, completeMarker), nil, 0o644); err != nil {
		return "", false, fmt.Errorf("mark %s complete: %w", tmp, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process may have finished the same tree first.
		if complete(final) {
			return final, false, nil
		}
		return "", false, fmt.Errorf("move %s into place: %w", final, err)
	}
	return final, false, nil
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, completeMarker))
	return err == nil
}
