// Package spec is the kiln.yaml schema: types, defaults, strict decoding
// and validation with field paths. It imports nothing of ours: both the
// build side and the agent read it.
package spec

// Version is the only schema version this Kiln reads.
const Version = 1

// Spec is one kiln.yaml.
type Spec struct {
	// Version of the schema; 1 when omitted.
	Version int `yaml:"version"`
	// Name of the appliance; used for hostnames and output names.
	Name   string `yaml:"name"`
	Kernel Kernel `yaml:"kernel"`
	Agent  Agent  `yaml:"agent"`

	// Dir is the directory of the spec file; relative artifact paths
	// resolve against it. Not part of the YAML.
	Dir string `yaml:"-"`
}

// Kernel says where the kernel comes from and what of it goes in.
// Exactly one of Deb or Vmlinuz is set; ModuleTree only with Vmlinuz.
type Kernel struct {
	// Deb is a Debian linux-image .deb holding boot/vmlinuz-* and
	// lib/modules/<release>.
	Deb *Artifact `yaml:"deb"`
	// Vmlinuz is a bare kernel image.
	Vmlinuz *Artifact `yaml:"vmlinuz"`
	// ModuleTree is a directory or tarball holding lib/modules/<release>
	// (or the <release> directory itself) for Vmlinuz.
	ModuleTree *Artifact `yaml:"module_tree"`
	// Cmdline is appended to the command line Kiln always sets.
	Cmdline string `yaml:"cmdline"`
	// Modules are module names or named sets ("virtio", ...) to pack;
	// their dependency closure is packed with them.
	Modules []string `yaml:"modules"`
}

// Artifact is a file or directory fetched by path or URL. In YAML it is
// either a plain string (the source) or a mapping with source and sha256.
type Artifact struct {
	// Source is a local path (relative to the spec) or a URL that
	// go-getter understands.
	Source string `yaml:"source"`
	// SHA256 is the expected hex digest of the fetched file; empty means
	// not checked.
	SHA256 string `yaml:"sha256"`
}

// Agent configures the PID-1 agent.
type Agent struct {
	// DebugShell packs u-root's shell and a few tools for debugging.
	DebugShell bool `yaml:"debug_shell"`
}
