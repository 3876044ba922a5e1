package spec

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
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
	d.checkHostname(s.Hostname)
	d.checkKernel(&s.Kernel)
	d.checkFirmware(&s.Firmware)
	d.checkNetwork(&s.Network)
	d.checkTime(&s.Time)
}

// report adds a validation error at path, or at the nearest enclosing
// mapping present in the file when path itself is missing.
func (d *decoder) report(path, format string, args ...any) {
	d.add(d.at(path), path, fmt.Sprintf(format, args...))
}

// reportKey adds a validation error at the key of a free-form mapping
// entry (a module name in kernel.module_options).
func (d *decoder) reportKey(path, format string, args ...any) {
	p, ok := d.keys[path]
	if !ok {
		p = d.at(path)
	}
	d.add(p, path, fmt.Sprintf(format, args...))
}

// add records a validation error at p unless decoding already failed
// at path or a field enclosing it.
func (d *decoder) add(p pos, path, msg string) {
	if d.failed(path) {
		return
	}
	d.errs = append(d.errs, &FieldError{File: d.file, Line: p.line, Col: p.col, Path: path, Msg: msg})
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
	if name == "" {
		d.report("name", `required; set it to a DNS label such as "my-node"`)
		return
	}
	d.checkLabel("name", name)
}

// checkHostname allows an empty hostname: it means "use name".
func (d *decoder) checkHostname(h string) {
	if h != "" {
		d.checkLabel("hostname", h)
	}
}

func (d *decoder) checkLabel(path, s string) {
	if msg := labelProblem(s); msg != "" {
		d.report(path, "%s", msg)
	}
}

func labelProblem(s string) string {
	if dnsLabel.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got %q", s)
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
	d.checkModuleList("kernel.modules", k.Modules, aModule+", or one of the sets "+strings.Join(ModuleSets(), ", "))
	d.checkModuleOptions(k.ModuleOptions)
	d.checkModuleList("kernel.blacklist", k.Blacklist, aModule)
}

func (d *decoder) checkFirmware(f *Firmware) {
	for i := range f.Sources {
		d.checkArtifact(fmt.Sprintf("firmware.sources[%d]", i), &f.Sources[i])
	}
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

// checkModuleList checks names and repeats in a list of modules; what
// says what an entry may be.
func (d *decoder) checkModuleList(path string, mods []string, what string) {
	first := map[string]int{}
	for i, m := range mods {
		p := fmt.Sprintf("%s[%d]", path, i)
		if msg := moduleNameProblem(m, what); msg != "" {
			d.report(p, "%s", msg)
			continue
		}
		key := sameModule(m)
		if j, dup := first[key]; dup {
			d.report(p, "%q repeats %s[%d] (%q); remove one", m, path, j, mods[j])
			continue
		}
		first[key] = i
	}
}

// aModule says, in a bad name's message, what a module entry may be.
const aModule = "a module as modprobe names it"

func moduleNameProblem(m, what string) string {
	if moduleName.MatchString(m) {
		return ""
	}
	hint := ""
	if base, ok := strings.CutSuffix(m, ".ko"); ok && moduleName.MatchString(base) {
		hint = fmt.Sprintf("; write %q without .ko", base)
	}
	return fmt.Sprintf("invalid module name %q: use letters, digits, '_' and '-' (%s)%s", m, what, hint)
}

// sameModule folds a module name so that names the kernel treats alike
// ('-' and '_' are one) compare equal.
func sameModule(m string) string { return strings.ReplaceAll(m, "-", "_") }

func (d *decoder) checkModuleOptions(opts map[string]string) {
	// In file order, so "repeats" names the earlier entry.
	names := slices.SortedFunc(maps.Keys(opts), func(a, b string) int {
		pa, pb := d.keys["kernel.module_options."+a], d.keys["kernel.module_options."+b]
		return cmp.Or(cmp.Compare(pa.line, pb.line), cmp.Compare(pa.col, pb.col), strings.Compare(a, b))
	})
	first := map[string]string{}
	for _, m := range names {
		path := "kernel.module_options." + m
		if msg := moduleNameProblem(m, aModule); msg != "" {
			d.reportKey(path, "%s", msg)
			continue
		}
		if prev, dup := first[sameModule(m)]; dup {
			d.reportKey(path, "%q names the same module as %q ('-' and '_' are alike in module names); keep one", m, prev)
			continue
		}
		first[sameModule(m)] = m
		switch v := opts[m]; {
		case strings.TrimSpace(v) == "":
			d.report(path, `empty; write the module's parameters such as "debug=1", or remove the entry`)
		case strings.ContainsAny(v, "\x00\r\n"):
			d.report(path, "must be one line (no newlines or NUL bytes), got %q", v)
		}
	}
}
