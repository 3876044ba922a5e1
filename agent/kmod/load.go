package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/u-root/u-root/pkg/kmodule"
	"golang.org/x/sys/unix"
)

// InsertFunc inserts one module file with its parameters. The real one is
// finit_module; tests pass a recorder.
type InsertFunc func(path, params string) error

// Insert loads a module file into the running kernel.
func Insert(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return kmodule.FileInit(f, params, 0)
}

// Loader loads modules by name with their dependencies, each at most once.
type Loader struct {
	db     *DB
	insert InsertFunc
	mu     sync.Mutex
	loaded map[string]bool
	order  []string
}

// NewLoader returns a Loader over db; loaded lists modules already in the
// kernel (from /proc/modules).
func NewLoader(db *DB, insert InsertFunc, loaded []string) *Loader {
	l := &Loader{db: db, insert: insert, loaded: map[string]bool{}}
	for _, m := range loaded {
		l.loaded[Name(m)] = true
	}
	return l
}

// Loaded returns the modules this Loader inserted, in order.
func (l *Loader) Loaded() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.order...)
}

// IsLoaded reports whether name is in the kernel: built in, listed in
// /proc/modules when the Loader was made, or inserted by it since.
func (l *Loader) IsLoaded(name string) bool {
	n := Name(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded[n] || l.db.builtin[n]
}

// Load inserts name: softdeps pre, hard deps, the module, softdeps post.
// A built-in or already loaded module is a no-op. A missing soft
// dependency is ignored, as modprobe does.
func (l *Loader) Load(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load(Name(name), map[string]bool{})
}

func (l *Loader) load(name string, visiting map[string]bool) error {
	if l.loaded[name] || l.db.builtin[name] || visiting[name] {
		return nil
	}
	visiting[name] = true
	rel, ok := l.db.paths[name]
	if !ok {
		return fmt.Errorf("module %s: not in %s/modules.dep", name, l.db.dir)
	}
	sd := l.db.softdeps[name]
	l.loadSoft(sd.Pre, visiting)
	deps := l.db.deps[name]
	// modules.dep lists the deepest dependency last; load it first.
	for i := len(deps) - 1; i >= 0; i-- {
		if err := l.load(deps[i], visiting); err != nil {
			return fmt.Errorf("module %s needs %s: %w", name, deps[i], err)
		}
	}
	err := l.insert(filepath.Join(l.db.dir, rel), l.db.options[name])
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("insert %s: %w", name, err)
	}
	l.loaded[name] = true
	l.order = append(l.order, name)
	l.loadSoft(sd.Post, visiting)
	return nil
}

func (l *Loader) loadSoft(names []string, visiting map[string]bool) {
	for _, s := range names {
		if _, ok := l.db.paths[s]; ok {
			_ = l.load(s, visiting)
		}
	}
}

// ProcModules lists the modules in the kernel from /proc/modules.
func ProcModules(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}
