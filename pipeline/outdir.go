package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
)

// stage is a directory beside the output directory where a build writes
// everything before it is swapped in whole: a failed build leaves the old
// output untouched and no partial files.
type stage struct {
	dir, final string
}

func newStage(final string) (*stage, error) {
	final, err := filepath.Abs(final)
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", final, err)
	}
	if err := replaceable(final); err != nil {
		return nil, err
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	dir, err := os.MkdirTemp(parent, "."+filepath.Base(final)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("create staging directory in %s: %w", parent, err)
	}
	return &stage{dir: dir, final: final}, nil
}

func (s *stage) path(name string) string { return filepath.Join(s.dir, name) }

// commit replaces the final directory with the staged one. The old output,
// if any, is moved aside first and removed after the swap.
func (s *stage) commit() error {
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", s.dir, err)
	}
	old := ""
	if _, err := os.Stat(s.final); err == nil {
		old = s.dir + ".old"
		if err := os.Rename(s.final, old); err != nil {
			return fmt.Errorf("move old output %s aside: %w", s.final, err)
		}
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		if old != "" {
			_ = os.Rename(old, s.final)
		}
		return fmt.Errorf("move build into %s: %w", s.final, err)
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return nil
}

// abort removes the staging directory.
func (s *stage) abort() { _ = os.RemoveAll(s.dir) }

// replaceable refuses to swap out a directory that is not an earlier Kiln
// build: "-o ." must never delete someone's files.
func replaceable(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) || (err == nil && len(ents) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("output directory %s exists and holds no %s, so it is not a Kiln build; choose another -o or empty it", dir, ManifestName)
	}
	return nil
}
