package spec

import (
	"strings"
	"testing"
)

// TestParseErrors pins the exact text of each kind of problem: the
// messages are the interface a user sees.
func TestParseErrors(t *testing.T) {
	const kernel = "kernel: {deb: k.deb}\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Decoding.
		{"unknown field with suggestion", "name: demo\nkernel:\n  deb: k.deb\n  cmdlin: quiet\n",
			`kiln.yaml:4:3: kernel.cmdlin: unknown field; did you mean "cmdline"? (fields here: deb, vmlinuz, module_tree, cmdline, modules, module_options, blacklist)`},
		{"unknown field without suggestion", "name: demo\n" + kernel + "initrd: x\n",
			`kiln.yaml:3:1: initrd: unknown field (fields here: version, name, hostname, kernel, firmware, network, time, agent)`},
		{"bool from yes", "name: demo\n" + kernel + "agent:\n  debug_shell: yes\n",
			`kiln.yaml:4:16: agent.debug_shell: expected a boolean (true or false), got string "yes"`},
		{"int from string", "version: one\nname: demo\n" + kernel,
			`kiln.yaml:1:10: version: expected an integer, got string "one"`},
		{"int from float", "version: 1.0\nname: demo\n" + kernel,
			`kiln.yaml:1:10: version: expected an integer, got number 1.0`},
		{"string from list", "name: [a]\n" + kernel,
			`kiln.yaml:1:7: name: expected a string, got a list`},
		{"list from scalar", "name: demo\nkernel:\n  deb: k.deb\n  modules: virtio\n",
			`kiln.yaml:4:12: kernel.modules: expected a list, got string "virtio"; write [virtio]`},
		{"mapping from scalar", "name: demo\nkernel: k.deb\n",
			`kiln.yaml:2:9: kernel: expected a mapping with fields deb, vmlinuz, module_tree, cmdline, modules, module_options, blacklist, got string "k.deb"`},
		{"artifact from list", "name: demo\nkernel:\n  deb: [a, b]\n",
			`kiln.yaml:3:8: kernel.deb: expected a path or URL, or a mapping {source: ..., sha256: ...}, got a list`},
		{"duplicate key", "name: demo\nname: other\n" + kernel,
			`kiln.yaml:2:1: name: duplicate key (first set at line 1:1); keep one of them`},
		{"alias", "name: &n demo\n" + kernel + "agent: {debug_shell: *n}\n",
			`kiln.yaml:3:22: agent.debug_shell: aliases (*n) are not supported in a spec; write the value out`},
		{"merge key", "name: demo\n" + kernel + "agent:\n  <<: {debug_shell: true}\n",
			`kiln.yaml:4:3: agent.<<: merge keys (<<) are not supported in a spec; write the fields out (fields here: debug_shell)`},
		{"non-scalar key", "name: demo\n" + kernel + "agent:\n  ? [a]\n  : 1\n",
			`kiln.yaml:4:5: agent: keys must be plain field names, got a list`},

		// The document as a whole.
		{"empty", "", `kiln.yaml:1:1: empty spec; it needs at least name: and kernel: (e.g. kernel: {deb: ./linux-image.deb})`},
		{"comments only", "# nothing yet\n", `kiln.yaml:1:1: empty spec; it needs at least name: and kernel: (e.g. kernel: {deb: ./linux-image.deb})`},
		{"null document", "\n---\n", `kiln.yaml:2:1: empty spec; it needs at least name: and kernel: (e.g. kernel: {deb: ./linux-image.deb})`},
		{"list root", "- name: demo\n", `kiln.yaml:1:1: a spec must be a mapping with fields version, name, hostname, kernel, firmware, network, time, agent, got a list`},
		{"scalar root", "demo\n", `kiln.yaml:1:1: a spec must be a mapping with fields version, name, hostname, kernel, firmware, network, time, agent, got string "demo"`},
		{"two documents", "name: demo\n" + kernel + "---\nname: two\n",
			`kiln.yaml:3:1: a spec is one YAML document, found a second; remove the extra '---' and what follows`},
		{"syntax error", "name: demo\nkernel:\n\tdeb: k.deb\n",
			`kiln.yaml:3: invalid YAML: found character that cannot start any token`},
		{"syntax error without line", "name: demo\n" + kernel + "agent: *nope\n",
			`kiln.yaml: invalid YAML: unknown anchor 'nope' referenced`},

		// Defaults and validation.
		{"version 2", "version: 2\nname: demo\n" + kernel,
			`kiln.yaml:1:10: version: this Kiln reads version 1, got 2; set version: 1 (or leave it out)`},
		{"version 0 given", "version: 0\nname: demo\n" + kernel,
			`kiln.yaml:1:10: version: this Kiln reads version 1, got 0; set version: 1 (or leave it out)`},
		{"name missing", kernel,
			`kiln.yaml:1:1: name: required; set it to a DNS label such as "my-node"`},
		{"name null", "name:\n" + kernel,
			`kiln.yaml:1:6: name: required; set it to a DNS label such as "my-node"`},
		{"name not a DNS label", "name: My_Node\n" + kernel,
			`kiln.yaml:1:7: name: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "My_Node"`},
		{"name too long", "name: " + strings.Repeat("a", 64) + "\n" + kernel,
			`kiln.yaml:1:7: name: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "` + strings.Repeat("a", 64) + `"`},
		{"name ends in dash", "name: demo-\n" + kernel,
			`kiln.yaml:1:7: name: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "demo-"`},
		{"kernel missing", "name: demo\n",
			`kiln.yaml:1:1: kernel: set one of deb (a linux-image .deb) or vmlinuz (a kernel image)`},
		{"kernel without image", "name: demo\nkernel:\n  cmdline: quiet\n",
			`kiln.yaml:2:1: kernel: set one of deb (a linux-image .deb) or vmlinuz (a kernel image)`},
		{"deb and vmlinuz", "name: demo\nkernel:\n  deb: k.deb\n  vmlinuz: vmlinuz\n",
			`kiln.yaml:4:12: kernel.vmlinuz: deb and vmlinuz are both set; keep one (a .deb holds its own vmlinuz)`},
		{"module tree with deb", "name: demo\nkernel:\n  deb: k.deb\n  module_tree: ./mods\n",
			`kiln.yaml:4:16: kernel.module_tree: only goes with vmlinuz (a .deb holds its own modules); remove it`},
		{"empty artifact string", "name: demo\nkernel:\n  deb: \"\"\n",
			`kiln.yaml:3:8: kernel.deb: empty; give a path (relative to the spec) or a URL`},
		{"artifact mapping without source", "name: demo\nkernel:\n  deb:\n    sha256: " + hexDigest + "\n",
			`kiln.yaml:3:3: kernel.deb.source: required; add source: with a path (relative to the spec) or a URL`},
		{"artifact mapping with blank source", "name: demo\nkernel:\n  deb: {source: \" \"}\n",
			`kiln.yaml:3:17: kernel.deb.source: empty; give a path (relative to the spec) or a URL`},
		{"bad sha256", "name: demo\nkernel:\n  deb: {source: k.deb, sha256: abc}\n",
			`kiln.yaml:3:32: kernel.deb.sha256: must be 64 lowercase hex digits (the output of sha256sum), got "abc"`},
		{"uppercase sha256", "name: demo\nkernel:\n  vmlinuz: {source: v, sha256: " + strings.ToUpper(hexDigest) + "}\n",
			`kiln.yaml:3:32: kernel.vmlinuz.sha256: must be 64 lowercase hex digits (the output of sha256sum), got "` + strings.ToUpper(hexDigest) + `"`},
		{"cmdline folded with newline", "name: demo\nkernel:\n  deb: k.deb\n  cmdline: >\n    quiet\n    loglevel=3\n",
			`kiln.yaml:4:12: kernel.cmdline: must be one line (no newlines or NUL bytes), got "quiet loglevel=3\n"; for a folded block write >- to drop the final newline`},
		{"cmdline with NUL", "name: demo\nkernel:\n  deb: k.deb\n  cmdline: \"a\\0b\"\n",
			`kiln.yaml:4:12: kernel.cmdline: must be one line (no newlines or NUL bytes), got "a\x00b"`},
		{"module name with space", "name: demo\nkernel:\n  deb: k.deb\n  modules: [virtio, \"e 1000\"]\n",
			`kiln.yaml:4:21: kernel.modules[1]: invalid module name "e 1000": use letters, digits, '_' and '-' (a module as modprobe names it, or one of the sets virtio, nic, storage, container, gpu, all)`},
		{"module name with .ko", "name: demo\nkernel:\n  deb: k.deb\n  modules:\n    - e1000.ko\n",
			`kiln.yaml:5:7: kernel.modules[0]: invalid module name "e1000.ko": use letters, digits, '_' and '-' (a module as modprobe names it, or one of the sets virtio, nic, storage, container, gpu, all); write "e1000" without .ko`},
		{"duplicate module", "name: demo\nkernel:\n  deb: k.deb\n  modules: [virtio, e1000, virtio]\n",
			`kiln.yaml:4:28: kernel.modules[2]: "virtio" repeats kernel.modules[0] ("virtio"); remove one`},
		{"duplicate module dash and underscore", "name: demo\nkernel:\n  deb: k.deb\n  modules: [virtio-net, virtio_net]\n",
			`kiln.yaml:4:25: kernel.modules[1]: "virtio_net" repeats kernel.modules[0] ("virtio-net"); remove one`},

		// Everything at once, in file order, without follow-on noise
		// for fields whose decoding failed.
		{"multiple errors collected", `version: 2
name: Demo
kernel:
  deb: {source: k.deb, sha256: abc}
  cmdlin: quiet
  modules: [virtio, virtio]
agent:
  debug_shell: yes
`, strings.Join([]string{
			`kiln.yaml:1:10: version: this Kiln reads version 1, got 2; set version: 1 (or leave it out)`,
			`kiln.yaml:2:7: name: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "Demo"`,
			`kiln.yaml:4:32: kernel.deb.sha256: must be 64 lowercase hex digits (the output of sha256sum), got "abc"`,
			`kiln.yaml:5:3: kernel.cmdlin: unknown field; did you mean "cmdline"? (fields here: deb, vmlinuz, module_tree, cmdline, modules, module_options, blacklist)`,
			`kiln.yaml:6:21: kernel.modules[1]: "virtio" repeats kernel.modules[0] ("virtio"); remove one`,
			`kiln.yaml:8:16: agent.debug_shell: expected a boolean (true or false), got string "yes"`,
		}, "\n")},
		{"no follow-on error after a type error", "name: demo\nkernel:\n  deb: {source: [a]}\n",
			`kiln.yaml:3:17: kernel.deb.source: expected a string, got a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantParseError(t, tt.in, tt.want) })
	}
}

// wantParseError checks that Parse fails on in with exactly want.
func wantParseError(t *testing.T, in, want string) {
	t.Helper()
	s, err := Parse("kiln.yaml", []byte(in))
	if err == nil {
		t.Fatalf("Parse succeeded with %+v, want error:\n%s", s, want)
	}
	if s != nil {
		t.Errorf("Parse returned a spec along with its error")
	}
	if got := err.Error(); got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
}
