package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseNode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Node
	}{
		{"empty file", "", Node{}},
		{"comments only", "# nothing to override\n", Node{}},
		{"hostname", "hostname: rack3-n7\n", Node{Hostname: "rack3-n7"}},
		{"network gets its default wait", "network:\n  dns: [10.0.0.53]\n",
			Node{Network: &Network{Wait: "30s", DNS: []string{"10.0.0.53"}}}},
		{"empty network replaces with defaults", "network: {}\n", Node{Network: &Network{Wait: "30s"}}},
		{"null network is absent", "network: ~\ntime: ~\n", Node{}},
		{"time", "time: {ntp: [ntp.lab]}\n", Node{Time: &Time{NTP: []string{"ntp.lab"}}}},
		{"static link", "network:\n  wait: 0s\n  interfaces:\n    - match: {mac: \"52:54:00:12:34:56\"}\n      addresses: [10.0.0.7/24]\n",
			Node{Network: &Network{Wait: "0s", Interfaces: []Interface{
				{Match: Match{MAC: "52:54:00:12:34:56"}, Addresses: []string{"10.0.0.7/24"}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNode("node.yaml", []byte(tt.in))
			if err != nil {
				t.Fatalf("ParseNode: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseNode = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestParseNodeErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"kernel is image-only", "hostname: n1\nkernel: {deb: k.deb}\n",
			`node.yaml:2:1: kernel: kernel is built into the image and cannot be set per node (fields here: hostname, network, time)`},
		{"name is image-only", "name: n1\n",
			`node.yaml:1:1: name: name is the appliance's and built into the image; set hostname to name this node (fields here: hostname, network, time)`},
		{"typo", "hostnme: n1\n",
			`node.yaml:1:1: hostnme: unknown field; did you mean "hostname"? (fields here: hostname, network, time)`},
		{"not a mapping", "- n1\n",
			`node.yaml:1:1: a node config must be a mapping with fields hostname, network, time, got a list`},
		{"two documents", "hostname: a\n---\nhostname: b\n",
			`node.yaml:2:1: a node config is one YAML document, found a second; remove the extra '---' and what follows`},
		{"syntax", "hostname: [\n", `node.yaml:1: invalid YAML: did not find expected node content`},
		{"bad hostname", "hostname: Node_1\n",
			`node.yaml:1:11: hostname: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "Node_1"`},
		{"network validated", "network:\n  wait: soon\n  interfaces: [{match: {name: eth0}, mtu: 10}]\n",
			"node.yaml:2:9: network.wait: must be a duration such as \"30s\" or \"2m\" (\"0s\": do not wait), got \"soon\"\n" +
				`node.yaml:3:43: network.interfaces[0].mtu: must be 0 (the link's default) or 68..65535, got 10`},
		{"time validated", "time: {ntp: [\"https://time.example\"]}\n",
			`node.yaml:1:14: time.ntp[0]: must be a host name or IP address, not a URL; write "time.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNode("node.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseNode = %+v, want error %s", n, tt.want)
			}
			if n != nil {
				t.Error("ParseNode returned a Node along with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestWithNode(t *testing.T) {
	yes := true
	base := func() *Spec {
		return &Spec{Version: 1, Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "k.deb"}},
			Network: Network{Wait: "30s", DNS: []string{"1.1.1.1"},
				Interfaces: []Interface{{Match: Match{Name: "eth*"}, DHCP: &yes}}},
			Time: Time{NTP: []string{"pool.ntp.org"}}}
	}
	edit := func(f func(s *Spec)) *Spec { s := base(); f(s); return s }
	tests := []struct {
		name string
		node *Node
		want *Spec
	}{
		{"nil node", nil, base()},
		{"empty node", &Node{}, base()},
		{"hostname", &Node{Hostname: "n7"}, edit(func(s *Spec) { s.Hostname = "n7" })},
		{"network replaces the whole block", &Node{Network: &Network{Wait: "5s", Search: []string{"lab"}}},
			edit(func(s *Spec) { s.Network = Network{Wait: "5s", Search: []string{"lab"}} })},
		{"hand-built network gets the default wait", &Node{Network: &Network{}},
			edit(func(s *Spec) { s.Network = Network{Wait: "30s"} })},
		{"time replaces", &Node{Time: &Time{}}, edit(func(s *Spec) { s.Time = Time{} })},
		{"dns replaces only dns", &Node{DNS: []string{"9.9.9.9"}},
			edit(func(s *Spec) { s.Network.DNS = []string{"9.9.9.9"} })},
		{"wait replaces only wait", &Node{Wait: "0s"}, edit(func(s *Spec) { s.Network.Wait = "0s" })},
		{"ntp replaces only ntp", &Node{NTP: []string{"ntp.lab"}}, edit(func(s *Spec) { s.Time.NTP = []string{"ntp.lab"} })},
		{"fields apply after the block", &Node{Network: &Network{Wait: "5s"}, DNS: []string{"9.9.9.9"}},
			edit(func(s *Spec) { s.Network = Network{Wait: "5s", DNS: []string{"9.9.9.9"}} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			got := s.WithNode(tt.node)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithNode = %+v\nwant %+v", got, tt.want)
			}
			if got == s || !reflect.DeepEqual(s, base()) {
				t.Errorf("WithNode changed its receiver: %+v", s)
			}
		})
	}
}

func TestParseNodeKV(t *testing.T) {
	tests := []struct {
		key, value string
		want       *Node
		err        string
	}{
		{key: "kiln.hostname", value: "n7", want: &Node{Hostname: "n7"}},
		{key: "hostname", value: "n7", want: &Node{Hostname: "n7"}},
		{key: "kiln.ntp", value: "pool.ntp.org, 10.0.0.1", want: &Node{NTP: []string{"pool.ntp.org", "10.0.0.1"}}},
		{key: "kiln.dns", value: "1.1.1.1,fd00::53", want: &Node{DNS: []string{"1.1.1.1", "fd00::53"}}},
		{key: "kiln.wait", value: "10s", want: &Node{Wait: "10s"}},
		{key: "kiln.hostname", value: "N_7",
			err: `kernel command line: kiln.hostname: must be a DNS label (1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit), got "N_7"`},
		{key: "wait", value: "forever",
			err: `kernel command line: kiln.wait: must be a duration such as "30s" or "2m" ("0s": do not wait), got "forever"`},
		{key: "kiln.dns", value: "1.1.1.1,,x",
			err: "kernel command line: kiln.dns[1]: must be an IP address such as \"1.1.1.1\", got \"\"\n" +
				`kernel command line: kiln.dns[2]: must be an IP address such as "1.1.1.1", got "x"`},
		{key: "kiln.ntp", value: "", err: `kernel command line: kiln.ntp: empty; give a comma-separated list such as kiln.ntp=pool.ntp.org`},
		{key: "kiln.ntp", value: "ntp://a.example", err: `kernel command line: kiln.ntp[0]: must be a host name or IP address, not a URL; write "a.example"`},
		{key: "kiln.config", value: "http://x/",
			err: `kernel command line: kiln.config: not a node setting; the keys a node may set are kiln.hostname, kiln.ntp, kiln.dns, kiln.wait`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			got, err := ParseNodeKV(tt.key, tt.value)
			if tt.err != "" {
				var errs Errors
				if err == nil || err.Error() != tt.err || !errors.As(err, &errs) {
					t.Fatalf("ParseNodeKV = %+v, %v; want Errors:\n%s", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNodeKV: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseNodeKV = %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, k := range NodeKeys() {
		if _, err := ParseNodeKV(k, "x"); err != nil && strings.Contains(err.Error(), "not a node setting") {
			t.Errorf("NodeKeys lists %q but ParseNodeKV does not know it", k)
		}
	}
}
