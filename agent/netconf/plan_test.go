package netconf

import (
	"flag"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/rfc1035label"

	"github.com/kiln-project/kiln/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestInterfaceFor(t *testing.T) {
	mac, _ := net.ParseMAC("52:54:00:AB:cd:01")
	ifaces := []spec.Interface{
		{Match: spec.Match{Name: "eth*", MAC: "52:54:00:*"}, MTU: 1},
		{Match: spec.Match{Name: "enp*"}, MTU: 2},
		{Match: spec.Match{MAC: "52:54:00:AB:CD:0?"}, MTU: 3},
	}
	tests := []struct {
		name    string
		ifaces  []spec.Interface
		mac     net.HardwareAddr
		wantMTU int
		wantOK  bool
	}{
		{name: "eth0", ifaces: ifaces, mac: mac, wantMTU: 1, wantOK: true},
		{name: "enp3s0", ifaces: ifaces, mac: mac, wantMTU: 2, wantOK: true},
		{name: "wlan0", ifaces: ifaces, mac: mac, wantMTU: 3, wantOK: true}, // MAC glob is case-blind
		{name: "eth0", ifaces: ifaces[:1], mac: net.HardwareAddr{2, 0, 0, 0, 0, 1}, wantOK: false},
		{name: "anything", ifaces: nil, mac: mac, wantMTU: 0, wantOK: true}, // no entries: DHCP everywhere
	}
	for _, tc := range tests {
		got, ok := interfaceFor(tc.ifaces, tc.name, tc.mac)
		if ok != tc.wantOK || got.MTU != tc.wantMTU {
			t.Errorf("interfaceFor(%s, %s) = MTU %d, %v; want MTU %d, %v", tc.name, tc.mac, got.MTU, ok, tc.wantMTU, tc.wantOK)
		}
	}
}

func TestDHCPDefault(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		flag  *bool
		addrs []string
		want  bool
	}{{nil, nil, true}, {nil, []string{"10.0.0.2/24"}, false}, {&yes, []string{"10.0.0.2/24"}, true}, {&no, nil, false}} {
		if got := dhcpOn(tc.flag, tc.addrs); got != tc.want {
			t.Errorf("dhcpOn(%v, %v) = %v, want %v", tc.flag, tc.addrs, got, tc.want)
		}
	}
}

func TestDefaultHostname(t *testing.T) {
	links := []LinkStatus{
		{Name: "eth1", MAC: "52:54:00:00:00:02", Kind: "device"},
		{Name: "eth0.7", MAC: "52:54:00:00:00:09", Kind: "vlan"},
		{Name: "eth0", MAC: "52:54:00:AA:00:01", Kind: "device"},
	}
	if got, want := DefaultHostname(links), "kiln-525400aa0001"; got != want {
		t.Errorf("DefaultHostname = %q, want %q", got, want)
	}
	if got := DefaultHostname(nil); got != "kiln" {
		t.Errorf("DefaultHostname(nil) = %q, want kiln", got)
	}
}

func TestVLANName(t *testing.T) {
	if got, err := vlanName("eth0", 42); err != nil || got != "eth0.42" {
		t.Errorf("vlanName(eth0, 42) = %q, %v", got, err)
	}
	if got, err := vlanName("enp0s31f6abc", 4000); err == nil || got != "enp0s31f6abc.4000" {
		t.Errorf("vlanName(enp0s31f6abc, 4000) = %q, %v; want the 17-byte name and an error", got, err)
	}
}

func ack(t *testing.T, mods ...dhcpv4.Modifier) *nclient4.Lease {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.IPv4(10, 9, 0, 50)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 9, 0, 1))),
	}, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &nclient4.Lease{ACK: m, CreationTime: time.Unix(1000, 0)}
}

func TestNewLease(t *testing.T) {
	raw := ack(t,
		dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(24, 32))),
		dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(100*time.Second)),
		dhcpv4.WithOption(dhcpv4.OptRouter(net.IPv4(10, 9, 0, 1))),
		dhcpv4.WithOption(dhcpv4.OptDNS(net.IPv4(10, 9, 0, 53))),
		dhcpv4.WithOption(dhcpv4.OptHostName("node7")),
		dhcpv4.WithOption(dhcpv4.OptNTPServers(net.IPv4(10, 9, 0, 123))),
		dhcpv4.WithOption(dhcpv4.OptDomainName("lab.test")),
		dhcpv4.WithOption(dhcpv4.OptDomainSearch(&rfc1035label.Labels{Labels: []string{"a.test", "b.test"}})),
		dhcpv4.WithOption(dhcpv4.Option{Code: dhcpv4.OptionInterfaceMTU, Value: dhcpv4.Uint16(1400)}),
	)
	l, err := newLease(raw)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1000, 0)
	checks := []struct {
		what      string
		got, want any
	}{
		{"cidr", l.cidr(), "10.9.0.50/24"},
		{"gateway", l.gateway(), "10.9.0.1"},
		{"server", l.server.String(), "10.9.0.1"},
		{"hostname", l.hostname, "node7"},
		{"mtu", l.mtu, 1400},
		{"search", l.search, []string{"a.test", "b.test", "lab.test"}},
		{"ntp", l.ntp[0].String(), "10.9.0.123"},
		{"t1", l.t1.Sub(start), 50 * time.Second},
		{"t2", l.t2.Sub(start), 87500 * time.Millisecond},
		{"expiry", l.expiry.Sub(start), 100 * time.Second},
		{"lifetime", l.lifetime(start.Add(40 * time.Second)), 60},
		{"broadcast", broadcastOf(l.addr).String(), "10.9.0.255"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestNewLeaseFixesTimers(t *testing.T) {
	raw := ack(t,
		dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(10*time.Second)),
		dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(20*time.Second)),
		dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(30*time.Second)),
	)
	l, err := newLease(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !(l.t1.Before(l.t2) && l.t2.Before(l.expiry)) {
		t.Errorf("timers out of order: t1 %v t2 %v expiry %v", l.t1, l.t2, l.expiry)
	}
	if got := l.addr.Mask.String(); got != "ff000000" { // no option 1: class A default
		t.Errorf("mask = %s, want ff000000", got)
	}
}

func TestNewLeaseRejectsNoAddress(t *testing.T) {
	if _, err := newLease(ack(t, dhcpv4.WithYourIP(net.IPv4zero))); err == nil {
		t.Error("newLease accepted an ACK without yiaddr")
	}
}

func TestRenderResolv(t *testing.T) {
	got := renderResolv(dnsConfig{servers: []string{"10.0.0.53", "10.9.0.53"}, search: []string{"lab.test", "b.test"}})
	golden := filepath.Join("testdata", "resolv.conf.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("renderResolv:\n%s\nwant:\n%s", got, want)
	}
	if renderResolv(dnsConfig{}) != nil {
		t.Error("empty DNS config rendered bytes")
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{max: 5 * time.Second}
	var got []time.Duration
	for range 5 {
		got = append(got, b.wait())
	}
	bounds := [][2]time.Duration{{900, 1100}, {1800, 2200}, {3600, 4400}, {4500, 5000}, {4500, 5000}}
	for i, d := range got {
		if lo, hi := bounds[i][0]*time.Millisecond, bounds[i][1]*time.Millisecond; d < lo || d > hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, lo, hi)
		}
	}
	b.reset()
	if d := b.wait(); d > 1100*time.Millisecond {
		t.Errorf("after reset wait = %v, want about 1s", d)
	}
}
