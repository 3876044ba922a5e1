// Package kmod loads kernel modules on the node: it reads the index files
// the builder wrote (modules.dep, .alias, .softdep, .builtin) and
// modprobe.d, matches device modaliases against alias globs and loads the
// winners with their dependencies.
package kmod

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Softdep is a module's soft dependencies.
type Softdep struct{ Pre, Post []string }

type alias struct{ pattern, module string }

// DB is the module index of one kernel release.
type DB struct {
	dir       string
	paths     map[string]string   // module -> path relative to dir
	deps      map[string][]string // module -> deps, as modules.dep orders them
	aliases   []alias
	softdeps  map[string]Softdep
	builtin   map[string]bool
	blacklist map[string]bool
	options   map[string]string
}

// Name normalises a module name: modprobe treats - and _ alike.
func Name(s string) string {
	s = path.Base(s)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		s = strings.TrimSuffix(s, ext)
	}
	return strings.ReplaceAll(strings.TrimSuffix(s, ".ko"), "-", "_")
}

// Open reads the index files in modDir (/lib/modules/<release>) and the
// *.conf files of the modprobe.d directories. Missing files are empty:
// a kernel without modules still boots.
func Open(modDir string, modprobeDirs ...string) (*DB, error) {
	db := &DB{dir: modDir, paths: map[string]string{}, deps: map[string][]string{},
		softdeps: map[string]Softdep{}, builtin: map[string]bool{},
		blacklist: map[string]bool{}, options: map[string]string{}}
	files := []struct {
		name  string
		parse func(io.Reader) error
	}{
		{"modules.dep", db.parseDep},
		{"modules.alias", db.parseAlias},
		{"modules.softdep", db.parseConf},
		{"modules.builtin", db.parseBuiltin},
	}
	for _, f := range files {
		if err := parseFile(filepath.Join(modDir, f.name), f.parse); err != nil {
			return nil, err
		}
	}
	for _, d := range modprobeDirs {
		confs, _ := filepath.Glob(filepath.Join(d, "*.conf"))
		sort.Strings(confs)
		for _, c := range confs {
			if err := parseFile(c, db.parseConf); err != nil {
				return nil, err
			}
		}
	}
	return db, nil
}

func parseFile(p string, parse func(io.Reader) error) error {
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open module index: %w", err)
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return fmt.Errorf("parse %s: %w", p, err)
	}
	return nil
}

func lines(r io.Reader, fn func(fields []string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fn(strings.Fields(l))
	}
	return sc.Err()
}

func (db *DB) parseDep(r io.Reader) error {
	return lines(r, func(f []string) {
		mod := strings.TrimSuffix(f[0], ":")
		name := Name(mod)
		db.paths[name] = mod
		for _, d := range f[1:] {
			db.deps[name] = append(db.deps[name], Name(d))
		}
	})
}

func (db *DB) parseAlias(r io.Reader) error {
	return lines(r, func(f []string) {
		if len(f) == 3 && f[0] == "alias" {
			db.aliases = append(db.aliases, alias{f[1], Name(f[2])})
		}
	})
}

func (db *DB) parseBuiltin(r io.Reader) error {
	return lines(r, func(f []string) { db.builtin[Name(f[0])] = true })
}

// parseConf reads modprobe.d syntax: blacklist, options, softdep, alias.
func (db *DB) parseConf(r io.Reader) error {
	return lines(r, func(f []string) {
		switch {
		case f[0] == "blacklist" && len(f) == 2:
			db.blacklist[Name(f[1])] = true
		case f[0] == "options" && len(f) >= 3:
			n := Name(f[1])
			db.options[n] = strings.TrimSpace(db.options[n] + " " + strings.Join(f[2:], " "))
		case f[0] == "alias" && len(f) == 3:
			db.aliases = append(db.aliases, alias{f[1], Name(f[2])})
		case f[0] == "softdep" && len(f) >= 2:
			db.softdeps[Name(f[1])] = parseSoftdep(f[2:])
		}
	})
}

func parseSoftdep(f []string) Softdep {
	var sd Softdep
	var into *[]string
	for _, w := range f {
		switch w {
		case "pre:":
			into = &sd.Pre
		case "post:":
			into = &sd.Post
		default:
			if into != nil {
				*into = append(*into, Name(w))
			}
		}
	}
	return sd
}

// Match returns the modules whose alias globs match modalias, without
// blacklisted ones, in alias-file order without repeats. modules.alias
// patterns are fnmatch globs; modaliases hold no '/', so path.Match
// behaves the same.
func (db *DB) Match(modalias string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range db.aliases {
		if seen[a.module] || db.blacklist[a.module] {
			continue
		}
		if ok, _ := path.Match(a.pattern, modalias); ok {
			seen[a.module] = true
			out = append(out, a.module)
		}
	}
	return out
}

// Builtin reports whether name is compiled into the kernel.
func (db *DB) Builtin(name string) bool { return db.builtin[Name(name)] }

// Known reports whether name is a loadable module of this index.
func (db *DB) Known(name string) bool { _, ok := db.paths[Name(name)]; return ok }
