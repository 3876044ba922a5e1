package firmware

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxLinks bounds symlink hops in one lookup, as the kernel's does.
const maxLinks = 40

// node is a file or symlink of a firmware tree, by its path relative to
// lib/firmware.
type node struct {
	// src is the file on disk (files only).
	src  string
	link bool
	// raw is a symlink's target as written.
	raw string
	// target is raw as a tree path ("" is lib/firmware itself); valid
	// only when inTree, that is when the link points inside lib/firmware.
	target string
	inTree bool
}

// tree is the sources laid over each other. Directories are implied by
// the paths of the nodes below them.
type tree struct {
	nodes map[string]node
	dirs  map[string]bool
}

func newTree() *tree {
	return &tree{nodes: map[string]node{}, dirs: map[string]bool{"": true}}
}

// scan reads the files and symlinks under root. Other kinds (fifos,
// devices) have no business in firmware and are passed over.
func scan(ctx context.Context, root string) (map[string]node, error) {
	nodes := map[string]node{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case t.IsRegular():
			nodes[rel] = node{src: p}
		case t&fs.ModeSymlink != 0:
			raw, err := os.Readlink(p)
			if err != nil {
				return err
			}
			target, ok := linkTarget(rel, raw)
			nodes[rel] = node{link: true, raw: raw, target: target, inTree: ok}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read firmware tree %s: %w", root, err)
	}
	return nodes, nil
}

// linkTarget turns the target of the symlink at rel into a tree path.
// Absolute targets count when they point into /lib/firmware or
// /usr/lib/firmware, which is where the package meant them to land.
func linkTarget(rel, raw string) (string, bool) {
	if path.IsAbs(raw) {
		clean := path.Clean(raw)
		for _, l := range layouts() {
			if clean == "/"+l {
				return "", true
			}
			if t, ok := strings.CutPrefix(clean, "/"+l+"/"); ok {
				return t, true
			}
		}
		return "", false
	}
	t := path.Join(path.Dir(rel), raw)
	switch {
	case t == "..", strings.HasPrefix(t, "../"):
		return "", false
	case t == ".":
		return "", true
	}
	return t, true
}

// overlay lays src over t: a path in src replaces what t had there,
// including a whole directory replaced by a file, or a file or link
// standing where src has a directory.
func (t *tree) overlay(src map[string]node) {
	for k, n := range src {
		for d := path.Dir(k); d != "."; d = path.Dir(d) {
			delete(t.nodes, d)
		}
		if t.dirs[k] {
			for old := range t.nodes {
				if strings.HasPrefix(old, k+"/") {
					delete(t.nodes, old)
				}
			}
		}
		t.nodes[k] = n
	}
	t.dirs = map[string]bool{"": true}
	for k := range t.nodes {
		for d := path.Dir(k); d != "." && !t.dirs[d]; d = path.Dir(d) {
			t.dirs[d] = true
		}
	}
}

// resolved is where a lookup landed.
type resolved struct {
	// real is the path reached with no symlink in it.
	real string
	// file says real is a file; otherwise it is a directory.
	file bool
	// links are the symlinks crossed, by their real paths.
	links []string
}

// resolve looks p up component by component, following symlinks the
// way the kernel's path walk would; ok is false when p leads nowhere.
func (t *tree) resolve(p string) (res resolved, ok bool) {
	rest := split(p)
	cur := ""
	for hops := 0; len(rest) > 0; {
		next := path.Join(cur, rest[0])
		rest = rest[1:]
		n, isNode := t.nodes[next]
		switch {
		case !isNode && t.dirs[next]:
			cur = next
		case !isNode:
			return resolved{}, false
		case n.link:
			if hops++; hops > maxLinks || !n.inTree {
				return resolved{}, false
			}
			res.links = append(res.links, next)
			rest = append(split(n.target), rest...)
			cur = ""
		case len(rest) > 0: // a file where a directory is needed
			return resolved{}, false
		default:
			res.real, res.file = next, true
			return res, true
		}
	}
	res.real = cur
	return res, true
}

func split(p string) []string {
	if p == "" || p == "." {
		return nil
	}
	return strings.Split(p, "/")
}
