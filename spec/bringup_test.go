package spec

import (
	"reflect"
	"testing"
)

const bringUpYAML = `name: demo
hostname: node-1
kernel:
  deb: k.deb
  modules: [virtio, nic]
  module_options:
    e1000e: InterruptThrottleRate=3000
    nvme_core: "default_ps_max_latency_us=0 io_timeout=60"
  blacklist: [nouveau]
firmware:
  sources: [./firmware-misc.deb, {source: ./fw, sha256: ` + hexDigest + `}]
  all: true
network:
  wait: 10s
  dns: [1.1.1.1, "2606:4700:4700::1111"]
  search: [lab.example.com]
  interfaces:
    - match: {name: "en*"}
    - match: {mac: "52:54:00:*"}
      dhcp: false
      addresses: [10.0.0.5/24, fd00::5/64]
      gateway: 10.0.0.1
      routes:
        - {to: 10.1.0.0/16, via: 10.0.0.254}
        - {to: default}
      mtu: 9000
      vlans:
        - {id: 10, dhcp: true}
        - id: 4094
          addresses: [192.168.10.2/24]
          gateway: 192.168.10.1
          mtu: 1500
time:
  ntp: [pool.ntp.org, 10.0.0.1, "fd00::1"]
`

func bringUpSpec() *Spec {
	no, yes := false, true
	return &Spec{Version: 1, Name: "demo", Hostname: "node-1",
		Kernel: Kernel{
			Deb:     &Artifact{Source: "k.deb"},
			Modules: []string{"virtio", "nic"},
			ModuleOptions: map[string]string{
				"e1000e":    "InterruptThrottleRate=3000",
				"nvme_core": "default_ps_max_latency_us=0 io_timeout=60",
			},
			Blacklist: []string{"nouveau"},
		},
		Firmware: Firmware{Sources: []Artifact{{Source: "./firmware-misc.deb"}, {Source: "./fw", SHA256: hexDigest}}, All: true},
		Network: Network{
			Wait:   "10s",
			DNS:    []string{"1.1.1.1", "2606:4700:4700::1111"},
			Search: []string{"lab.example.com"},
			Interfaces: []Interface{
				{Match: Match{Name: "en*"}},
				{
					Match: Match{MAC: "52:54:00:*"}, DHCP: &no,
					Addresses: []string{"10.0.0.5/24", "fd00::5/64"}, Gateway: "10.0.0.1",
					Routes: []Route{{To: "10.1.0.0/16", Via: "10.0.0.254"}, {To: "default"}},
					MTU:    9000,
					VLANs: []VLAN{
						{ID: 10, DHCP: &yes},
						{ID: 4094, Addresses: []string{"192.168.10.2/24"}, Gateway: "192.168.10.1", MTU: 1500},
					},
				},
			},
		},
		Time: Time{NTP: []string{"pool.ntp.org", "10.0.0.1", "fd00::1"}},
	}
}

func TestParseBringUp(t *testing.T) {
	got, err := Parse("kiln.yaml", []byte(bringUpYAML))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := bringUpSpec(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
	if h := got.EffectiveHostname(); h != "node-1" {
		t.Errorf("EffectiveHostname = %q, want node-1", h)
	}
}

// Empty lists and mappings read as absent, so a marshalled spec (which
// writes nil as [] and {}) reads back equal; null *bool stays nil.
func TestParseEmptyCollections(t *testing.T) {
	in := "name: demo\nkernel: {deb: k.deb, modules: [], module_options: {}, blacklist: []}\n" +
		"network: {dns: [], interfaces: [{match: {name: eth0}, dhcp: ~, vlans: []}]}\n"
	got, err := Parse("kiln.yaml", []byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Spec{Version: 1, Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "k.deb"}},
		Network: Network{Wait: "30s", Interfaces: []Interface{{Match: Match{Name: "eth0"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
}

func TestEffectiveHostname(t *testing.T) {
	tests := []struct{ name, hostname, want string }{
		{"demo", "", "demo"},
		{"demo", "node-7", "node-7"},
	}
	for _, tt := range tests {
		s := &Spec{Name: tt.name, Hostname: tt.hostname}
		if got := s.EffectiveHostname(); got != tt.want {
			t.Errorf("EffectiveHostname(name %q, hostname %q) = %q, want %q", tt.name, tt.hostname, got, tt.want)
		}
	}
}
