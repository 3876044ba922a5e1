package spec

import (
	"strings"
	"testing"
)

// TestParseNodeLevelErrors pins the messages for the node bring-up
// fields: hostname, kernel module options and blacklist, firmware,
// network and time.
func TestParseNodeLevelErrors(t *testing.T) {
	const head = "name: demo\nkernel: {deb: k.deb}\n"
	iface := func(body string) string {
		return head + "network:\n  interfaces:\n    - match: {name: eth0}\n" + body
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"hostname not a label", head + "hostname: node_1\n",
			`kiln.yaml:3:11: hostname: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "node_1"`},

		// kernel.module_options: a mapping of module names to one line.
		{"module options not a mapping", "name: demo\nkernel:\n  deb: k.deb\n  module_options: [e1000e]\n",
			`kiln.yaml:4:19: kernel.module_options: expected a mapping of names to values, got a list`},
		{"module option value a list", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    e1000e: [a]\n",
			`kiln.yaml:5:13: kernel.module_options.e1000e: expected a string, got a list`},
		{"module option duplicate key", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    e1000e: a=1\n    e1000e: a=2\n",
			`kiln.yaml:6:5: kernel.module_options.e1000e: duplicate key (first set at line 5:5); keep one of them`},
		{"module option same module", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    nvme-core: a=1\n    nvme_core: a=2\n",
			`kiln.yaml:6:5: kernel.module_options.nvme_core: "nvme_core" names the same module as "nvme-core" ('-' and '_' are alike in module names); keep one`},
		{"module option bad name at key", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    e1000e.ko: a=1\n",
			`kiln.yaml:5:5: kernel.module_options.e1000e.ko: invalid module name "e1000e.ko": use letters, digits, '_' and '-' (a module as modprobe names it); write "e1000e" without .ko`},
		{"module option empty", "name: demo\nkernel:\n  deb: k.deb\n  module_options: {e1000e: }\n",
			`kiln.yaml:4:28: kernel.module_options.e1000e: empty; write the module's parameters such as "debug=1", or remove the entry`},
		{"module option two lines", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    e1000e: |\n      a=1\n      b=2\n",
			`kiln.yaml:5:13: kernel.module_options.e1000e: must be one line (no newlines or NUL bytes), got "a=1\nb=2\n"`},
		{"module option merge key", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    <<: {a: b}\n",
			`kiln.yaml:5:5: kernel.module_options: merge keys (<<) are not supported in a spec; write the entries out`},
		{"module option list key", "name: demo\nkernel:\n  deb: k.deb\n  module_options:\n    ? [a]\n    : x\n",
			`kiln.yaml:5:7: kernel.module_options: keys must be plain names, got a list`},
		{"blacklist bad and repeated", "name: demo\nkernel:\n  deb: k.deb\n  blacklist: [nouveau, \"a b\", nouveau]\n",
			"kiln.yaml:4:24: kernel.blacklist[1]: invalid module name \"a b\": use letters, digits, '_' and '-' (a module as modprobe names it)\n" +
				`kiln.yaml:4:31: kernel.blacklist[2]: "nouveau" repeats kernel.blacklist[0] ("nouveau"); remove one`},

		{"firmware source empty", head + "firmware:\n  sources: [fw.deb, \"\"]\n",
			`kiln.yaml:4:21: firmware.sources[1]: empty; give a path (relative to the spec) or a URL`},
		{"firmware all not bool", head + "firmware: {all: 1}\n",
			`kiln.yaml:3:17: firmware.all: expected a boolean (true or false), got integer 1`},

		// network, top level.
		{"wait not a duration", head + "network: {wait: 30}\n",
			`kiln.yaml:3:17: network.wait: must be a duration such as "30s" or "2m" ("0s": do not wait), got "30"`},
		{"wait negative", head + "network: {wait: -1s}\n",
			`kiln.yaml:3:17: network.wait: must not be negative, got "-1s"; "0s" does not wait`},
		{"dns not an IP", head + "network: {dns: [1.1.1.1, dns.google]}\n",
			`kiln.yaml:3:26: network.dns[1]: must be an IP address such as "1.1.1.1", got "dns.google"`},
		{"search not a domain", head + "network: {search: [example.com, -bad.example]}\n",
			`kiln.yaml:3:33: network.search[1]: must be a domain name such as "example.com" (dot-separated labels of letters, digits and '-'), got "-bad.example"`},
		{"interfaces not a list", head + "network: {interfaces: {name: eth0}}\n",
			`kiln.yaml:3:23: network.interfaces: expected a list, got a mapping`},
		{"interface unknown field", head + "network:\n  interfaces:\n    - match: {name: eth0}\n      adresses: [10.0.0.5/24]\n",
			`kiln.yaml:6:7: network.interfaces[0].adresses: unknown field; did you mean "addresses"? (fields here: match, dhcp, addresses, gateway, routes, mtu, vlans)`},

		// network.interfaces[].match
		{"match missing", head + "network:\n  interfaces:\n    - dhcp: true\n",
			`kiln.yaml:5:7: network.interfaces[0].match: set name (a glob such as "eth*") or mac (such as "52:54:00:12:34:56" or "52:54:00:*") to say which links this entry configures`},
		{"match empty", head + "network:\n  interfaces:\n    - match: {}\n",
			`kiln.yaml:5:7: network.interfaces[0].match: set name (a glob such as "eth*") or mac (such as "52:54:00:12:34:56" or "52:54:00:*") to say which links this entry configures`},
		{"match bad glob", head + "network:\n  interfaces:\n    - match: {name: \"eth[0\"}\n",
			`kiln.yaml:5:21: network.interfaces[0].match.name: must be a link name or a glob of one (*, ?, [a-z]; no spaces or '/'), got "eth[0"`},
		{"match name with slash", head + "network:\n  interfaces:\n    - match: {name: a/b}\n",
			`kiln.yaml:5:21: network.interfaces[0].match.name: must be a link name or a glob of one (*, ?, [a-z]; no spaces or '/'), got "a/b"`},
		{"match mac bad chars", head + "network:\n  interfaces:\n    - match: {mac: \"52:54:00:[0-9]*\"}\n",
			`kiln.yaml:5:20: network.interfaces[0].match.mac: must be a MAC address or a glob of one (hex digits, ':', '*' and '?'), such as "52:54:00:12:34:56" or "52:54:00:*", got "52:54:00:[0-9]*"`},
		{"match mac too short", head + "network:\n  interfaces:\n    - match: {mac: \"52:54:00:12\"}\n",
			`kiln.yaml:5:20: network.interfaces[0].match.mac: must be a MAC address or a glob of one (hex digits, ':', '*' and '?'), such as "52:54:00:12:34:56" or "52:54:00:*", got "52:54:00:12"`},

		// network.interfaces[] settings
		{"dhcp not bool", iface("      dhcp: maybe\n"),
			`kiln.yaml:6:13: network.interfaces[0].dhcp: expected a boolean (true or false), got string "maybe"`},
		{"address without prefix", iface("      addresses: [10.0.0.5]\n"),
			`kiln.yaml:6:19: network.interfaces[0].addresses[0]: must be an address with its prefix length (CIDR) such as "10.0.0.5/24" or "fd00::5/64", got "10.0.0.5"; add the prefix length, e.g. "10.0.0.5/24"`},
		{"address garbage", iface("      addresses: [fd00::5/64, x/24]\n"),
			`kiln.yaml:6:31: network.interfaces[0].addresses[1]: must be an address with its prefix length (CIDR) such as "10.0.0.5/24" or "fd00::5/64", got "x/24"`},
		{"gateway not an IP", iface("      gateway: 10.0.0.1/24\n"),
			`kiln.yaml:6:16: network.interfaces[0].gateway: must be an IP address such as "10.0.0.1", got "10.0.0.1/24"`},
		{"mtu too small", iface("      mtu: 67\n"),
			`kiln.yaml:6:12: network.interfaces[0].mtu: must be 0 (the link's default) or 68..65535, got 67`},
		{"mtu too big", iface("      mtu: 65536\n"),
			`kiln.yaml:6:12: network.interfaces[0].mtu: must be 0 (the link's default) or 68..65535, got 65536`},
		{"route without to", iface("      routes:\n        - via: 10.0.0.1\n"),
			`kiln.yaml:7:11: network.interfaces[0].routes[0].to: required; a CIDR such as "10.1.0.0/16", or "default"`},
		{"route to not a CIDR", iface("      routes: [{to: 10.1.0.0, via: 10.0.0.1}]\n"),
			`kiln.yaml:6:21: network.interfaces[0].routes[0].to: must be a CIDR such as "10.1.0.0/16", or "default", got "10.1.0.0"`},
		{"route via not an IP", iface("      routes: [{to: default, via: gw}]\n"),
			`kiln.yaml:6:35: network.interfaces[0].routes[0].via: must be an IP address such as "10.0.0.1", got "gw"`},

		// VLANs
		{"vlan id missing", iface("      vlans:\n        - dhcp: true\n"),
			`kiln.yaml:7:11: network.interfaces[0].vlans[0].id: required; the 802.1Q VLAN ID, 1..4094`},
		{"vlan id out of range", iface("      vlans: [{id: 4095}]\n"),
			`kiln.yaml:6:20: network.interfaces[0].vlans[0].id: must be 1..4094 (an 802.1Q VLAN ID), got 4095`},
		{"vlan id zero", iface("      vlans: [{id: 0}]\n"),
			`kiln.yaml:6:20: network.interfaces[0].vlans[0].id: must be 1..4094 (an 802.1Q VLAN ID), got 0`},
		{"vlan id repeated", iface("      vlans: [{id: 10}, {id: 20}, {id: 10}]\n"),
			`kiln.yaml:6:40: network.interfaces[0].vlans[2].id: VLAN 10 repeats network.interfaces[0].vlans[0]; remove one`},
		{"vlan link settings", iface("      vlans: [{id: 10, addresses: [bad], gateway: x, mtu: 1}]\n"),
			strings.Join([]string{
				`kiln.yaml:6:36: network.interfaces[0].vlans[0].addresses[0]: must be an address with its prefix length (CIDR) such as "10.0.0.5/24" or "fd00::5/64", got "bad"`,
				`kiln.yaml:6:51: network.interfaces[0].vlans[0].gateway: must be an IP address such as "10.0.0.1", got "x"`,
				`kiln.yaml:6:59: network.interfaces[0].vlans[0].mtu: must be 0 (the link's default) or 68..65535, got 1`,
			}, "\n")},

		// time
		{"ntp URL", head + "time:\n  ntp: [\"ntp://pool.ntp.org:123\"]\n",
			`kiln.yaml:4:9: time.ntp[0]: must be a host name or IP address, not a URL; write "pool.ntp.org"`},
		{"ntp garbage", head + "time:\n  ntp: [pool.ntp.org, \"a b\"]\n",
			`kiln.yaml:4:23: time.ntp[1]: must be a host name such as "pool.ntp.org" or an IP address, got "a b"`},
		{"ntp not a list", head + "time: {ntp: pool.ntp.org}\n",
			`kiln.yaml:3:13: time.ntp: expected a list, got string "pool.ntp.org"; write [pool.ntp.org]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantParseError(t, tt.in, tt.want) })
	}
}
