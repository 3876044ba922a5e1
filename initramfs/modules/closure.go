package modules

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kiln-project/kiln/spec"
)

// Set is the closure of a list of wanted modules: what to pack.
type Set struct {
	ix *Index
	// Modules are the loadable modules to pack, sorted by name.
	Modules []*Module
	// Builtin are the built-in modules that serve wanted names: they need
	// nothing packed. Sorted.
	Builtin []string
}

// Closure returns the wanted modules plus everything they need: their
// transitive hard dependencies and their soft dependencies (pre and post).
// A softdep that names nothing on this kernel is ignored, as modprobe does.
// A wanted name that is neither a module nor built in is an error.
func (ix *Index) Closure(want []string) (*Set, error) {
	s := &Set{ix: ix}
	seen := map[string]bool{}
	var queue []*Module
	add := func(m *Module) {
		if !seen[m.Name] {
			seen[m.Name] = true
			queue = append(queue, m)
		}
	}
	var errs []error
	for _, w := range want {
		mods, builtin := ix.lookup(w)
		if len(mods) == 0 && len(builtin) == 0 {
			errs = append(errs, ix.notFound(w))
		}
		for _, m := range mods {
			add(m)
		}
		s.Builtin = append(s.Builtin, builtin...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		s.Modules = append(s.Modules, m)
		for _, d := range m.Depends {
			dm, ok := ix.mods[d]
			if !ok {
				return nil, fmt.Errorf("module %s (%s) depends on %q, which is not in kernel %s", m.Name, m.RelPath, d, ix.release)
			}
			add(dm)
		}
		for _, sd := range slices.Concat(m.Softdeps.Pre, m.Softdeps.Post) {
			for _, sm := range ix.resolve(sd) {
				add(sm)
			}
		}
	}
	slices.SortFunc(s.Modules, func(a, b *Module) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(s.Builtin)
	s.Builtin = slices.Compact(s.Builtin)
	return s, nil
}

// lookup finds what serves a wanted name: a module or built-in module of
// that name, else, as modprobe would, whatever has it as an alias (so
// "crc32c" finds crc32c_intel and the built-in crc32c_generic).
func (ix *Index) lookup(name string) (mods []*Module, builtin []string) {
	n := normalize(name)
	if m, ok := ix.mods[n]; ok {
		return []*Module{m}, nil
	}
	if ix.builtin[n] {
		return nil, []string{n}
	}
	for _, a := range ix.builtinAliases {
		if ok, _ := path.Match(a.Pattern, name); ok {
			builtin = append(builtin, a.Module)
		}
	}
	return ix.resolve(name), builtin
}

// Contains reports whether the set packs the named module.
func (s *Set) Contains(name string) bool {
	_, ok := s.find(normalize(name))
	return ok
}

func (s *Set) find(name string) (*Module, bool) {
	i, ok := slices.BinarySearchFunc(s.Modules, name, func(m *Module, n string) int { return strings.Compare(m.Name, n) })
	if !ok {
		return nil, false
	}
	return s.Modules[i], true
}

func (ix *Index) notFound(name string) error {
	msg := fmt.Sprintf("module %q not found in kernel %s", name, ix.release)
	if s := ix.suggest(normalize(name)); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return errors.New(msg)
}

// suggest returns the known module name closest to name, if it is close
// enough to be a likely typo.
func (ix *Index) suggest(name string) string {
	names := slices.Sorted(maps.Keys(ix.mods))
	names = append(names, slices.Sorted(maps.Keys(ix.builtin))...)
	if s, ok := spec.Closest(name, names); ok {
		return s
	}
	return ""
}
