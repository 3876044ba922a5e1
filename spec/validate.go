package spec

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	moduleName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// check applies defaults and validates what decoding produced. It runs
// even after decoding errors so one pass reports everything, but stays
// quiet about a field whose decoding already failed.
func (d *decoder) check(s *Spec) {
	d.checkVersion(s)
	d.checkName(s.Name)
	d.checkKernel(&s.Kernel)
}

// report adds a validation error at path, or at the nearest enclosing
// mapping present in the file when path itself is missing.
func (d *decoder) report(path, format string, args ...any) {
	if d.failed(path) {
		return
	}
	p := d.at(path)
	d.errs = append(d.errs, &FieldError{
		File: d.file, Line: p.line, Col: p.col, Path: path,
		Msg: fmt.Sprintf(format, args...),
	})
}

func (d *decoder) at(path string) pos {
	for {
		if p, ok := d.seen[path]; ok || path == "" {
			return p
		}
		path = parentPath(path)
	}
}

// failed reports whether decoding already complained about path or a
// field enclosing it.
func (d *decoder) failed(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if d.failedPaths[p] {
			return true
		}
	}
	return false
}

// set reports whether path holds a non-null value in the file.
func (d *decoder) set(path string) bool {
	p, ok := d.seen[path]
	return ok && !p.null
}

func (d *decoder) checkVersion(s *Spec) {
	if !d.set("version") {
		s.Version = Version
		return
	}
	if s.Version != Version {
		d.report("version", "this Kiln reads version %d, got %d; set version: %d (or leave it out)", Version, s.Version, Version)
	}
}

func (d *decoder) checkName(name string) {
	switch {
	case name == "":
		d.report("name", `required; set it to a DNS label such as "my-node"`)
	case !dnsLabel.MatchString(name):
		d.report("name", "must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got %q", name)
	}
}

func (d *decoder) checkKernel(k *Kernel) {
	switch {
	case k.Deb == nil && k.Vmlinuz == nil:
		d.report("kernel", "set one of deb (a linux-image .deb) or vmlinuz (a kernel image)")
	case k.Deb != nil && k.Vmlinuz != nil:
		d.report("kernel.vmlinuz", "deb and vmlinuz are both set; keep one (a .deb holds its own vmlinuz)")
	}
	if k.ModuleTree != nil && k.Deb != nil {
		d.report("kernel.module_tree", "only goes with vmlinuz (a .deb holds its own modules); remove it")
	}
	d.checkArtifact("kernel.deb", k.Deb)
	d.checkArtifact("kernel.vmlinuz", k.Vmlinuz)
	d.checkArtifact("kernel.module_tree", k.ModuleTree)
	d.checkCmdline(k.Cmdline)
	d.checkModules(k.Modules)
}

func (d *decoder) checkArtifact(path string, a *Artifact) {
	if a == nil {
		return
	}
	src := path
	if d.seen[path].kind == yaml.MappingNode {
		src = path + ".source"
	}
	switch {
	case !d.set(src):
		d.report(src, "required; add source: with a path (relative to the spec) or a URL")
	case strings.TrimSpace(a.Source) == "":
		d.report(src, "empty; give a path (relative to the spec) or a URL")
	}
	if a.SHA256 != "" && !sha256Hex.MatchString(a.SHA256) {
		d.report(path+".sha256", "must be 64 lowercase hex digits (the output of sha256sum), got %q", a.SHA256)
	}
}

func (d *decoder) checkCmdline(c string) {
	if !strings.ContainsAny(c, "\x00\r\n") {
		return
	}
	hint := ""
	if strings.HasSuffix(c, "\n") {
		hint = "; for a folded block write >- to drop the final newline"
	}
	d.report("kernel.cmdline", "must be one line (no newlines or NUL bytes), got %q%s", c, hint)
}

func (d *decoder) checkModules(mods []string) {
	first := map[string]int{}
	for i, m := range mods {
		path := fmt.Sprintf("kernel.modules[%d]", i)
		if !moduleName.MatchString(m) {
			hint := ""
			if base, ok := strings.CutSuffix(m, ".ko"); ok && moduleName.MatchString(base) {
				hint = fmt.Sprintf("; write %q without .ko", base)
			}
			d.report(path, "invalid module name %q: use letters, digits, '_' and '-' (a module as modprobe names it, or one of the sets %s)%s",
				m, strings.Join(ModuleSets(), ", "), hint)
			continue
		}
		// The kernel treats '-' and '_' in module names alike.
		key := strings.ReplaceAll(m, "-", "_")
		if j, dup := first[key]; dup {
			d.report(path, "%q repeats kernel.modules[%d] (%q); remove one", m, j, mods[j])
			continue
		}
		first[key] = i
	}
}
