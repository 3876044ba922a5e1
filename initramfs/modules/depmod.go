package modules

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one generated index file.
type File struct {
	Name string // e.g. "modules.dep"
	Data []byte
}

// IndexFiles renders the index files a loader needs for the packed subset,
// in a fixed order: modules.dep, modules.alias, modules.softdep,
// modules.builtin, modules.order.
func (s *Set) IndexFiles() ([]File, error) {
	writers := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"modules.dep", s.WriteDep},
		{"modules.alias", s.WriteAlias},
		{"modules.softdep", s.WriteSoftdep},
		{"modules.builtin", s.WriteBuiltin},
		{"modules.order", s.WriteOrder},
	}
	files := make([]File, 0, len(writers))
	for _, w := range writers {
		var buf bytes.Buffer
		if err := w.write(&buf); err != nil {
			return nil, fmt.Errorf("render %s: %w", w.name, err)
		}
		files = append(files, File{Name: w.name, Data: buf.Bytes()})
	}
	return files, nil
}

// WriteIndexFiles writes IndexFiles into dir, each through a temporary file
// renamed into place.
func (s *Set) WriteIndexFiles(dir string) error {
	files, err := s.IndexFiles()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.Name), f.Data); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(p string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// WriteDep writes modules.dep: one line per packed module, sorted by name,
// listing all transitive dependencies in load order as depmod does (direct
// users before what they use, so the deepest dependencies come last). A
// module without dependencies is "path:" with no trailing space.
func (s *Set) WriteDep(w io.Writer) error {
	rank, err := s.loadRank()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for _, m := range s.Modules {
		deps := s.transitiveDeps(m)
		slices.SortFunc(deps, func(a, b *Module) int { return rank[a.Name] - rank[b.Name] })
		bw.WriteString(m.RelPath + ":")
		for _, d := range deps {
			bw.WriteString(" " + d.RelPath)
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// loadRank orders the packed modules topologically, users before the
// modules they depend on (Kahn's algorithm, ties broken by name), like
// depmod's dep_sort_idx. Where depmod's tie-breaking (by position in the
// whole tree) differs, the order is still a valid load order.
func (s *Set) loadRank() (map[string]int, error) {
	users := map[string]int{}
	for _, m := range s.Modules {
		for _, d := range m.Depends {
			users[d]++
		}
	}
	// A stack, as in depmod, follows one dependency chain down before the
	// next; names are pushed in reverse so the smallest is taken first.
	var stack []*Module
	for _, m := range slices.Backward(s.Modules) {
		if users[m.Name] == 0 {
			stack = append(stack, m)
		}
	}
	rank := make(map[string]int, len(s.Modules))
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		rank[m.Name] = len(rank)
		deps := slices.Sorted(slices.Values(m.Depends))
		for _, d := range slices.Backward(deps) {
			if users[d]--; users[d] == 0 {
				dm, ok := s.find(d)
				if !ok {
					return nil, fmt.Errorf("module %s depends on %s, which is not packed", m.Name, d)
				}
				stack = append(stack, dm)
			}
		}
	}
	if len(rank) != len(s.Modules) {
		return nil, fmt.Errorf("dependency cycle among modules: %s", strings.Join(s.unranked(rank), ", "))
	}
	return rank, nil
}

func (s *Set) unranked(rank map[string]int) []string {
	var out []string
	for _, m := range s.Modules {
		if _, ok := rank[m.Name]; !ok {
			out = append(out, m.Name)
		}
	}
	return out
}

func (s *Set) transitiveDeps(m *Module) []*Module {
	seen := map[string]bool{m.Name: true}
	var out []*Module
	var visit func(*Module)
	visit = func(m *Module) {
		for _, d := range m.Depends {
			if seen[d] {
				continue
			}
			seen[d] = true
			if dm, ok := s.find(d); ok {
				out = append(out, dm)
				visit(dm)
			}
		}
	}
	visit(m)
	return out
}

// WriteAlias writes modules.alias: "alias <pattern> <module>" for every
// alias of a packed module and of every built-in module (so that coldplug
// knows a device is already served by the kernel), sorted by module then
// pattern.
func (s *Set) WriteAlias(w io.Writer) error {
	var aliases []Alias
	for _, m := range s.Modules {
		for _, a := range m.Aliases {
			aliases = append(aliases, Alias{Pattern: a, Module: m.Name})
		}
	}
	aliases = append(aliases, s.ix.builtinAliases...)
	slices.SortFunc(aliases, func(a, b Alias) int {
		return cmp.Or(strings.Compare(a.Module, b.Module), strings.Compare(a.Pattern, b.Pattern))
	})
	aliases = slices.Compact(aliases)
	bw := bufio.NewWriter(w)
	for _, a := range aliases {
		fmt.Fprintf(bw, "alias %s %s\n", a.Pattern, a.Module)
	}
	return bw.Flush()
}

// WriteSoftdep writes modules.softdep: "softdep <module> pre: a b post: c"
// for packed modules with soft dependencies. Unlike depmod, names are
// resolved to the packed modules that serve them (an alias such as
// "crypto-crc32c" becomes a module name, a built-in or absent one is
// dropped), so a loader needs no alias lookup.
func (s *Set) WriteSoftdep(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, m := range s.Modules {
		pre, post := s.packedNames(m.Softdeps.Pre), s.packedNames(m.Softdeps.Post)
		if len(pre) == 0 && len(post) == 0 {
			continue
		}
		bw.WriteString("softdep " + m.Name)
		if len(pre) > 0 {
			bw.WriteString(" pre: " + strings.Join(pre, " "))
		}
		if len(post) > 0 {
			bw.WriteString(" post: " + strings.Join(post, " "))
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

func (s *Set) packedNames(names []string) []string {
	var out []string
	for _, n := range names {
		for _, m := range s.ix.resolve(n) {
			if s.Contains(m.Name) && !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}

// WriteBuiltin copies the tree's modules.builtin.
func (s *Set) WriteBuiltin(w io.Writer) error {
	_, err := w.Write(s.ix.builtinFile)
	return err
}

// WriteOrder writes modules.order for the packed modules: the tree's order,
// then any packed module it does not list, sorted by path. modules.order
// may name "x.ko" for a file installed compressed as "x.ko.xz"; the file's
// real path is written.
func (s *Set) WriteOrder(w io.Writer) error {
	packed := map[string]string{} // path without suffix -> RelPath
	for _, m := range s.Modules {
		packed[trimSuffix(m.RelPath)] = m.RelPath
	}
	bw := bufio.NewWriter(w)
	for _, rel := range s.ix.order {
		if p, ok := packed[trimSuffix(rel)]; ok {
			bw.WriteString(p + "\n")
			delete(packed, trimSuffix(rel))
		}
	}
	for _, p := range slices.Sorted(maps.Values(packed)) {
		bw.WriteString(p + "\n")
	}
	return bw.Flush()
}

func trimSuffix(p string) string { return strings.TrimSuffix(p, moduleSuffix(p)) }

// Firmware lists the firmware files the packed modules may request, sorted
// and without duplicates.
func (s *Set) Firmware() []string {
	var fw []string
	for _, m := range s.Modules {
		fw = append(fw, m.Firmware...)
	}
	slices.Sort(fw)
	return slices.Compact(fw)
}
