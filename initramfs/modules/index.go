// Package modules indexes a kernel's module tree (lib/modules/<release>) on
// the build host, computes the closure of modules to pack into an initramfs,
// and writes the depmod-style index files (modules.dep, modules.alias, ...)
// for just that subset, so no depmod is needed.
package modules

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Module is what the index knows about one loadable module.
type Module struct {
	// Name is the module name with "-" normalised to "_".
	Name string
	// RelPath is the file's path relative to the module tree, as it
	// appears in modules.dep, e.g. "kernel/drivers/net/virtio_net.ko".
	RelPath  string
	Depends  []string // direct hard dependencies (module names)
	Softdeps Softdeps
	Aliases  []string // modalias patterns, e.g. "virtio:d00000001v*"
	Firmware []string // firmware files the module may request
}

// Softdeps are optional modules to load before (Pre) or after (Post) a
// module. Names may be aliases rather than module names.
type Softdeps struct {
	Pre, Post []string
}

func (s Softdeps) merge(o Softdeps) Softdeps {
	return Softdeps{Pre: append(s.Pre, o.Pre...), Post: append(s.Post, o.Post...)}
}

// Alias maps a modalias pattern to the module that serves it.
type Alias struct {
	Pattern, Module string
}

// Index is a scanned module tree. It is read-only after Scan.
type Index struct {
	dir, release   string
	mods           map[string]*Module
	builtin        map[string]bool
	builtinAliases []Alias
	builtinFile    []byte   // modules.builtin, copied verbatim
	order          []string // RelPaths from modules.order
}

// Scan reads every module under modulesDir (<root>/lib/modules/<release>),
// together with modules.builtin, modules.builtin.modinfo and modules.order
// when present.
func Scan(ctx context.Context, modulesDir string) (*Index, error) {
	ix := &Index{
		dir:     modulesDir,
		release: filepath.Base(modulesDir),
		builtin: map[string]bool{},
	}
	paths, err := findModules(modulesDir)
	if err != nil {
		return nil, err
	}
	mods, err := readModules(ctx, modulesDir, paths)
	if err != nil {
		return nil, err
	}
	if ix.mods, err = byName(mods); err != nil {
		return nil, fmt.Errorf("index modules in %s: %w", modulesDir, err)
	}
	if err := ix.readBuiltin(); err != nil {
		return nil, err
	}
	if err := ix.readOrder(); err != nil {
		return nil, err
	}
	return ix, nil
}

// findModules lists module files relative to dir, in lexical order.
func findModules(dir string) ([]string, error) {
	var rels []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && moduleSuffix(d.Name()) != "" {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find modules in %s: %w", dir, err)
	}
	if len(rels) == 0 {
		return nil, fmt.Errorf("no kernel modules (*.ko) found in %s; is it lib/modules/<release>?", dir)
	}
	return rels, nil
}

// readModules parses the modules in parallel; results keep the order of rels.
func readModules(ctx context.Context, dir string, rels []string) ([]*Module, error) {
	mods := make([]*Module, len(rels))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, rel := range rels {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, err := readModule(filepath.Join(dir, filepath.FromSlash(rel)), rel)
			mods[i] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return mods, nil
}

// byName indexes modules by name. A module found twice is an error, except
// that a copy under updates/ overrides the others, as in depmod's default
// search order.
func byName(mods []*Module) (map[string]*Module, error) {
	out := make(map[string]*Module, len(mods))
	for _, m := range mods {
		prev, dup := out[m.Name]
		switch {
		case !dup || strings.HasPrefix(m.RelPath, "updates/"):
			out[m.Name] = m
		case strings.HasPrefix(prev.RelPath, "updates/"):
		default:
			return nil, fmt.Errorf("module %q found twice: %s and %s", m.Name, prev.RelPath, m.RelPath)
		}
	}
	return out, nil
}

func (ix *Index) readBuiltin() error {
	b, err := readOptional(filepath.Join(ix.dir, "modules.builtin"))
	if err != nil {
		return err
	}
	ix.builtinFile = b
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			ix.builtin[nameFromPath(line)] = true
		}
	}
	info, err := readOptional(filepath.Join(ix.dir, "modules.builtin.modinfo"))
	if err != nil {
		return err
	}
	// Entries are "<module>.<key>=<value>", NUL-separated.
	for _, kv := range splitModinfo(info) {
		mk, v, _ := strings.Cut(kv, "=")
		mod, key, ok := strings.Cut(mk, ".")
		if ok && key == "alias" {
			ix.builtinAliases = append(ix.builtinAliases, Alias{Pattern: v, Module: normalize(mod)})
		}
	}
	return nil
}

func (ix *Index) readOrder() error {
	b, err := readOptional(filepath.Join(ix.dir, "modules.order"))
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			ix.order = append(ix.order, line)
		}
	}
	return sc.Err()
}

// readOptional reads a file that a module tree may lack; absent means empty.
func readOptional(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// Dir is the module tree's directory, as given to Scan.
func (ix *Index) Dir() string { return ix.dir }

// Release is the kernel release, the module tree's directory name.
func (ix *Index) Release() string { return ix.release }

// Module looks a loadable module up by name ("-" and "_" are equivalent).
func (ix *Index) Module(name string) (*Module, bool) {
	m, ok := ix.mods[normalize(name)]
	return m, ok
}

// RelPath is the path of a loadable module relative to Dir.
func (ix *Index) RelPath(name string) (string, bool) {
	m, ok := ix.Module(name)
	if !ok {
		return "", false
	}
	return m.RelPath, true
}

// Builtin reports whether a module is built into the kernel image.
func (ix *Index) Builtin(name string) bool { return ix.builtin[normalize(name)] }

// Names lists the loadable modules, sorted.
func (ix *Index) Names() []string {
	names := make([]string, 0, len(ix.mods))
	for n := range ix.mods {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// resolve maps a name that modprobe would accept (a module name or an
// alias, such as a softdep's "crypto-crc32c") to the loadable modules that
// serve it. Built-in modules need no loading and are left out.
func (ix *Index) resolve(name string) []*Module {
	if m, ok := ix.Module(name); ok {
		return []*Module{m}
	}
	if ix.Builtin(name) {
		return nil
	}
	var out []*Module
	for _, n := range ix.Names() {
		m := ix.mods[n]
		for _, a := range m.Aliases {
			if ok, _ := path.Match(a, name); ok {
				out = append(out, m)
				break
			}
		}
	}
	return out
}
