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
	Name string `yaml:"name"`
	// Hostname overrides Name as the node's hostname (node-level).
	Hostname string   `yaml:"hostname"`
	Kernel   Kernel   `yaml:"kernel"`
	Firmware Firmware `yaml:"firmware"`
	Network  Network  `yaml:"network"`
	Time     Time     `yaml:"time"`
	Agent    Agent    `yaml:"agent"`

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
	// ModuleOptions are parameters per module, written as modprobe.d
	// "options" lines: {e1000e: "InterruptThrottleRate=3000"}.
	ModuleOptions map[string]string `yaml:"module_options"`
	// Blacklist keeps modules from loading by alias (coldplug, hotplug).
	Blacklist []string `yaml:"blacklist"`
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

// Firmware is packed under /lib/firmware.
type Firmware struct {
	// Sources are .debs (their lib/firmware is taken), directories or
	// tarballs laid out like /lib/firmware.
	Sources []Artifact `yaml:"sources"`
	// All packs every file instead of only those the packed modules
	// declare (firmware= in .modinfo).
	All bool `yaml:"all"`
}

// Network configures the node's links.
type Network struct {
	// Wait bounds how long boot waits for the network ("30s" default;
	// Go duration syntax). Links still unconfigured keep trying in the
	// background.
	Wait string `yaml:"wait"`
	// DNS servers for /etc/resolv.conf, in addition to DHCP's.
	DNS []string `yaml:"dns"`
	// Search domains for /etc/resolv.conf.
	Search []string `yaml:"search"`
	// Interfaces are matched in order; a link takes the first that
	// matches. Links no entry matches get DHCP when Interfaces is empty.
	Interfaces []Interface `yaml:"interfaces"`
}

// Interface configures the links it matches.
type Interface struct {
	Match Match `yaml:"match"`
	// DHCP turns on DHCPv4; default true when Addresses is empty.
	DHCP *bool `yaml:"dhcp"`
	// Addresses are static CIDRs ("10.0.0.5/24").
	Addresses []string `yaml:"addresses"`
	Gateway   string   `yaml:"gateway"`
	Routes    []Route  `yaml:"routes"`
	MTU       int      `yaml:"mtu"`
	VLANs     []VLAN   `yaml:"vlans"`
}

// Match selects links by name glob and/or MAC glob (both must match
// when both are set). Globs are path.Match patterns; MAC globs hold only
// hex digits, ':', '*' and '?' and compare case-insensitively (sysfs
// writes MACs lowercase).
type Match struct {
	Name string `yaml:"name"`
	MAC  string `yaml:"mac"`
}

// Route is a static route.
type Route struct {
	To  string `yaml:"to"`
	Via string `yaml:"via"`
}

// VLAN is an 802.1Q sub-interface of the matched link, named
// <link>.<id>.
type VLAN struct {
	ID        int      `yaml:"id"`
	DHCP      *bool    `yaml:"dhcp"`
	Addresses []string `yaml:"addresses"`
	Gateway   string   `yaml:"gateway"`
	MTU       int      `yaml:"mtu"`
}

// Time configures clock sync.
type Time struct {
	// NTP servers; empty uses DHCP option 42, then none.
	NTP []string `yaml:"ntp"`
}
