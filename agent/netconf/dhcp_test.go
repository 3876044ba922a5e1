package netconf

import (
	"context"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/vishvananda/netlink"

	"github.com/kiln-project/kiln/internal/testnetns"
	"github.com/kiln-project/kiln/spec"
)

func TestDHCPLeaseFromDnsmasq(t *testing.T) {
	t.Parallel()
	cns, sns := testnetns.New(t, "kiln-t"), testnetns.New(t, "kiln-t")
	mac := "02:00:00:71:00:01"
	veth(t, cns, "c0", mac, sns, "s0", "10.71.0.1/24", false)
	log := dnsmasq(t, sns, "s0", "10.71.0.50,10.71.0.60,2m",
		"--dhcp-option=option:router,10.71.0.1",
		"--dhcp-option=option:dns-server,10.71.0.53",
		"--dhcp-option=option:domain-search,lab.test",
		"--dhcp-option=option:ntp-server,10.71.0.123",
		"--dhcp-option=option:mtu,1400",
		"--dhcp-host="+mac+",node7")
	opts := testOpts(t, cns)
	cfg := spec.Network{Wait: "10s", DNS: []string{"10.0.0.53"}, Search: []string{"spec.test"}}

	start := time.Now()
	m, err := Up(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	closeOnCleanup(t, m)
	t.Logf("Up took %v", time.Since(start))

	st := linkStatus(m, "c0")
	if st.State != StateConfigured || st.DHCPState != DHCPBound {
		t.Fatalf("c0 status = %+v, want configured and bound", st)
	}
	if until := time.Until(st.LeaseExpiry); until < time.Minute || until > 2*time.Minute {
		t.Errorf("lease expiry in %v, want about 2m", until)
	}
	nl := handle(t, cns)
	got := addrs(t, nl, "c0")
	if len(got) != 1 || !strings.HasPrefix(got[0], "10.71.0.5") || !strings.HasSuffix(got[0], "/24") {
		t.Errorf("c0 addresses = %v, want one 10.71.0.5x/24", got)
	}
	if gw := defaultVia(t, nl, "c0"); gw != "10.71.0.1" {
		t.Errorf("default route via %q, want 10.71.0.1", gw)
	}
	if l, _ := nl.LinkByName("c0"); l.Attrs().MTU != 1400 {
		t.Errorf("c0 MTU = %d, want 1400 from option 26", l.Attrs().MTU)
	}
	if h := m.DHCPHostname(); h != "node7" {
		t.Errorf("DHCPHostname = %q, want node7", h)
	}
	if ntp := m.NTPServers(); !slices.Equal(ntp, []string{"10.71.0.123"}) {
		t.Errorf("NTPServers = %v, want [10.71.0.123]", ntp)
	}
	want := "# Written by the kiln agent from network.dns and DHCP.\n" +
		"nameserver 10.0.0.53\nnameserver 10.71.0.53\nsearch spec.test lab.test\n"
	if got := mustRead(t, opts.ResolvConf); got != want {
		t.Errorf("resolv.conf:\n%s\nwant:\n%s", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, 3*time.Second, "DHCPRELEASE in dnsmasq's log", func() bool {
		return strings.Contains(log.String(), "DHCPRELEASE(s0)")
	})
	if got := addrs(t, nl, "c0"); len(got) != 0 {
		t.Errorf("after Close c0 still has %v", got)
	}
}

func TestDHCPRenewExpireRecoverRelease(t *testing.T) {
	t.Parallel()
	cns, sns := testnetns.New(t, "kiln-t"), testnetns.New(t, "kiln-t")
	veth(t, cns, "c0", "02:00:00:72:00:01", sns, "s0", "10.72.0.1/24", false)
	leased := net.IPv4(10, 72, 0, 50).To4()
	srv := &fakeServer{addr: leased, server: net.IPv4(10, 72, 0, 1).To4(), leaseTime: 4 * time.Second}
	startFakeServer(t, sns, "s0", srv)

	m, err := Up(context.Background(), spec.Network{Wait: "5s"}, testOpts(t, cns))
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	closeOnCleanup(t, m)
	if st := linkStatus(m, "c0"); st.State != StateConfigured {
		t.Fatalf("c0 status = %+v, want configured", st)
	}
	bound := time.Now()

	// T1 = 2s: a REQUEST from the bound address, unicast, before expiry.
	waitFor(t, 4*time.Second, "renewal REQUEST", func() bool {
		for _, r := range srv.find(dhcpv4.MessageTypeRequest) {
			if r.ciaddr.Equal(leased) {
				return true
			}
		}
		return false
	})
	renewals := slices.DeleteFunc(srv.find(dhcpv4.MessageTypeRequest), func(r seenMsg) bool { return !r.ciaddr.Equal(leased) })
	first := renewals[0]
	if !first.from.Equal(leased) {
		t.Errorf("renewal came from %v, want unicast from %v", first.from, leased)
	}
	if at := first.at.Sub(bound); at < 1500*time.Millisecond || at > 3*time.Second {
		t.Errorf("renewal %v after binding, want about T1 = 2s", at)
	}

	// Server gone: renew and rebind fail, the lease expires, the address goes.
	srv.stop()
	nl := handle(t, cns)
	waitFor(t, 8*time.Second, "lease expiry", func() bool { return linkStatus(m, "c0").State == StateNoAnswer })
	if got := addrs(t, nl, "c0"); len(got) != 0 {
		t.Errorf("after expiry c0 still has %v", got)
	}

	// Server back: the link is configured again in the background.
	startFakeServer(t, sns, "s0", srv)
	waitFor(t, 6*time.Second, "lease after the server came back", func() bool { return linkStatus(m, "c0").State == StateConfigured })
	if got := addrs(t, nl, "c0"); !slices.Equal(got, []string{"10.72.0.50/24"}) {
		t.Errorf("c0 addresses = %v, want [10.72.0.50/24]", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, 2*time.Second, "DHCPRELEASE", func() bool { return len(srv.find(dhcpv4.MessageTypeRelease)) > 0 })
	if rel := srv.find(dhcpv4.MessageTypeRelease)[0]; !rel.ciaddr.Equal(leased) {
		t.Errorf("RELEASE for %v, want %v", rel.ciaddr, leased)
	}
}

func TestMissingCarrierAndServerDoNotStall(t *testing.T) {
	t.Parallel()
	cns, sns := testnetns.New(t, "kiln-t"), testnetns.New(t, "kiln-t")
	veth(t, cns, "c0", "02:00:00:73:00:01", sns, "s0", "10.73.0.1/24", false)
	veth(t, cns, "c1", "02:00:00:73:00:02", sns, "s1", "10.73.1.1/24", true)  // peer down: no carrier
	veth(t, cns, "c2", "02:00:00:73:00:03", sns, "s2", "10.73.2.1/24", false) // carrier, no server
	dnsmasq(t, sns, "s0", "10.73.0.50,10.73.0.60,2m")

	start := time.Now()
	m, err := Up(context.Background(), spec.Network{Wait: "2s"}, testOpts(t, cns))
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	closeOnCleanup(t, m)
	if took := time.Since(start); took < 1900*time.Millisecond || took > 3*time.Second {
		t.Errorf("Up took %v, want about network.wait = 2s", took)
	}
	want := map[string]State{"c0": StateConfigured, "c1": StateNoCarrier, "c2": StateNoAnswer}
	for name, state := range want {
		if st := linkStatus(m, name); st.State != state {
			t.Errorf("%s state = %q (err %q), want %q", name, st.State, st.Err, state)
		}
	}

	// Cable plugged in and a server appears: c1 comes up in the background.
	srv := &fakeServer{addr: net.IPv4(10, 73, 1, 50).To4(), server: net.IPv4(10, 73, 1, 1).To4(), leaseTime: time.Minute}
	startFakeServer(t, sns, "s1", srv)
	testnetns.IP(t, "-n", sns, "link", "set", "s1", "up")
	deadline := time.After(6 * time.Second)
	for linkStatus(m, "c1").State != StateConfigured {
		select {
		case <-m.Changes():
		case <-deadline:
			t.Fatalf("c1 not configured after carrier and server came: %+v", linkStatus(m, "c1"))
		}
	}
	if got := addrs(t, handle(t, cns), "c1"); !slices.Equal(got, []string{"10.73.1.50/24"}) {
		t.Errorf("c1 addresses = %v, want [10.73.1.50/24]", got)
	}
}

func TestStaticConfig(t *testing.T) {
	t.Parallel()
	cns, sns := testnetns.New(t, "kiln-t"), testnetns.New(t, "kiln-t")
	veth(t, cns, "c0", "02:00:00:74:00:01", sns, "s0", "10.74.0.1/24", false)
	veth(t, cns, "other", "02:00:00:74:00:02", sns, "s1", "10.74.9.1/24", false)
	cfg := spec.Network{
		Wait: "5s",
		DNS:  []string{"10.74.0.53"},
		Interfaces: []spec.Interface{
			{
				Match:     spec.Match{Name: "c*", MAC: "02:00:00:74:*"},
				Addresses: []string{"10.74.0.5/24", "10.74.1.5/24"},
				Gateway:   "10.74.0.1",
				Routes:    []spec.Route{{To: "192.168.50.0/24", Via: "10.74.0.254"}, {To: "192.168.60.0/24"}},
				MTU:       1280,
				VLANs:     []spec.VLAN{{ID: 7, Addresses: []string{"10.75.0.5/24"}}},
			},
			{Match: spec.Match{Name: "hot*"}, Addresses: []string{"10.76.0.5/24"}},
		},
	}
	opts := testOpts(t, cns)
	start := time.Now()
	m, err := Up(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	closeOnCleanup(t, m)
	if took := time.Since(start); took > time.Second {
		t.Errorf("static-only Up took %v, want no waiting", took)
	}
	nl := handle(t, cns)
	if got := addrs(t, nl, "c0"); !slices.Equal(got, []string{"10.74.0.5/24", "10.74.1.5/24"}) {
		t.Errorf("c0 addresses = %v", got)
	}
	if l, _ := nl.LinkByName("c0"); l.Attrs().MTU != 1280 {
		t.Errorf("c0 MTU = %d, want 1280", l.Attrs().MTU)
	}
	if gw := defaultVia(t, nl, "c0"); gw != "10.74.0.1" {
		t.Errorf("default route via %q, want 10.74.0.1", gw)
	}
	checkRoute(t, nl, "192.168.50.0/24", "10.74.0.254")
	checkRoute(t, nl, "192.168.60.0/24", "<nil>")
	if got := addrs(t, nl, "other"); len(got) != 0 {
		t.Errorf("unmatched link got addresses %v", got)
	}
	if st := linkStatus(m, "other"); st.Name != "" {
		t.Errorf("unmatched link is managed: %+v", st)
	}
	if got, want := mustRead(t, opts.ResolvConf), "# Written by the kiln agent from network.dns and DHCP.\nnameserver 10.74.0.53\n"; got != want {
		t.Errorf("resolv.conf = %q, want %q", got, want)
	}
	checkVLAN(t, m, nl)

	// A NIC that appears after Up (hotplug) is adopted too.
	veth(t, cns, "hot0", "02:00:00:74:00:03", sns, "s9", "10.76.0.1/24", false)
	waitFor(t, 3*time.Second, "hotplugged hot0 configured", func() bool { return linkStatus(m, "hot0").State == StateConfigured })
	if got := addrs(t, nl, "hot0"); !slices.Equal(got, []string{"10.76.0.5/24"}) {
		t.Errorf("hot0 addresses = %v", got)
	}
}

// checkRoute finds dst in the main table and compares its gateway.
func checkRoute(t *testing.T, nl *netlink.Handle, dst, via string) {
	t.Helper()
	routes, err := nl.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == dst {
			if r.Gw.String() != via {
				t.Errorf("route to %s via %s, want via %s", dst, r.Gw, via)
			}
			return
		}
	}
	t.Errorf("no route to %s", dst)
}

// checkVLAN checks c0.7: configured where the kernel has 802.1Q, a
// failed status naming the 8021q module where it does not (this build
// host's kernel), never a hang or a failed parent.
func checkVLAN(t *testing.T, m *Manager, nl *netlink.Handle) {
	t.Helper()
	st := linkStatus(m, "c0.7")
	if !kernelHasVLAN(t) {
		if st.State != StateFailed || !strings.Contains(st.Err, "8021q") {
			t.Errorf("c0.7 on a kernel without VLANs: status %+v, want failed naming 8021q", st)
		}
		if linkStatus(m, "c0").State != StateConfigured {
			t.Error("VLAN failure broke its parent link")
		}
		return
	}
	waitFor(t, 2*time.Second, "c0.7 configured", func() bool { return linkStatus(m, "c0.7").State == StateConfigured })
	l, err := nl.LinkByName("c0.7")
	if err != nil {
		t.Fatalf("VLAN c0.7 missing: %v", err)
	}
	if v, ok := l.(*netlink.Vlan); !ok || v.VlanId != 7 {
		t.Errorf("c0.7 = %T %+v, want VLAN id 7", l, l)
	}
	if got := addrs(t, nl, "c0.7"); !slices.Equal(got, []string{"10.75.0.5/24"}) {
		t.Errorf("c0.7 addresses = %v", got)
	}
}

// kernelHasVLAN tries to make a VLAN in a scratch namespace.
func kernelHasVLAN(t *testing.T) bool {
	probe := testnetns.New(t, "kiln-vlan")
	return exec.Command("ip", "-n", probe, "link", "add", "p0", "type", "veth", "peer", "name", "p1").Run() == nil &&
		exec.Command("ip", "-n", probe, "link", "add", "link", "p0", "name", "p0.7", "type", "vlan", "id", "7").Run() == nil
}
