package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDerived(t *testing.T) {
	ctx := context.Background()
	c := &Cache{Dir: t.TempDir()}
	calls := 0
	fill := func(ctx context.Context, dir string) error {
		calls++
		return os.WriteFile(filepath.Join(dir, "out"), []byte("x"), 0o644)
	}
	failing := func(ctx context.Context, dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), []byte("x"), 0o644)
		return errors.New("boom")
	}

	if _, _, err := c.Derived(ctx, "trees", "k1", failing); err == nil {
		t.Fatal("fill error was not returned")
	}
	assertEmpty(t, filepath.Join(c.Dir, "trees"))

	dir, hit, err := c.Derived(ctx, "trees", "k1", fill)
	if err != nil || hit || dir != filepath.Join(c.Dir, "trees", "k1") {
		t.Fatalf("first call: %q, hit=%v, %v", dir, hit, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if _, hit, _ := c.Derived(ctx, "trees", "k1", fill); !hit || calls != 1 {
		t.Fatalf("second call: hit=%v, fill ran %d times", hit, calls)
	}

	// A tree left without its marker (an interrupted run) is rebuilt.
	os.Remove(filepath.Join(dir, completeMarker))
	if _, hit, err := c.Derived(ctx, "trees", "k1", fill); err != nil || hit || calls != 2 {
		t.Fatalf("incomplete tree: hit=%v, fill ran %d times, %v", hit, calls, err)
	}
}
