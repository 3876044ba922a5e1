package netconf

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kiln-project/kiln/internal/testnetns"
)

// Everything here happens inside network namespaces the test creates
// and deletes; no packet reaches the host's links.

// veth links client (in cns, with mac, left down for Up to raise) to
// server (in sns, with addr, up unless serverDown).
func veth(t *testing.T, cns, client, mac, sns, server, addr string, serverDown bool) {
	t.Helper()
	testnetns.IP(t, "-n", cns, "link", "add", client, "address", mac, "type", "veth", "peer", "name", server, "netns", sns)
	testnetns.IP(t, "-n", sns, "addr", "add", addr, "dev", server)
	if !serverDown {
		testnetns.IP(t, "-n", sns, "link", "set", server, "up")
	}
}

// handle is a netlink handle inside ns, for checking what Up did.
func handle(t *testing.T, ns string) *netlink.Handle {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nl.Close)
	return nl
}

// addrs lists the IPv4 CIDRs on link.
func addrs(t *testing.T, nl *netlink.Handle, link string) []string {
	t.Helper()
	l, err := nl.LinkByName(link)
	if err != nil {
		t.Fatalf("find %s: %v", link, err)
	}
	list, err := nl.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.IPNet.String())
	}
	return out
}

// defaultVia reports the gateway of link's default route, or "".
func defaultVia(t *testing.T, nl *netlink.Handle, link string) string {
	t.Helper()
	l, err := nl.LinkByName(link)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := nl.RouteList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			return r.Gw.String()
		}
	}
	return ""
}

// testOpts runs Up in cns with fast retries and a temp resolv.conf.
func testOpts(t *testing.T, cns string) Options {
	return Options{
		ResolvConf:  filepath.Join(t.TempDir(), "resolv.conf"),
		NetNSPath:   testnetns.Path(cns),
		Kinds:       []string{"veth"},
		DHCPTimeout: 500 * time.Millisecond,
		RetryMax:    time.Second,
	}
}

// closeOnCleanup makes sure the Manager stops even when a check fails.
func closeOnCleanup(t *testing.T, m *Manager) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func linkStatus(m *Manager, name string) LinkStatus {
	for _, s := range m.Status() {
		if s.Name == name {
			return s
		}
	}
	return LinkStatus{}
}

// dnsmasq runs Debian's dnsmasq as the DHCP server on iface in ns.
func dnsmasq(t *testing.T, ns, iface, rangeSpec string, extra ...string) *testnetns.Buffer {
	t.Helper()
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		t.Fatal("dnsmasq not installed: apt-get install -y dnsmasq")
	}
	dir := t.TempDir()
	args := append([]string{"dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--user=root", "--bind-interfaces", "--interface=" + iface, "--no-ping", "--log-dhcp",
		"--dhcp-range=" + rangeSpec, "--dhcp-leasefile=" + filepath.Join(dir, "leases"),
		"--pid-file=" + filepath.Join(dir, "pid")}, extra...)
	log := testnetns.Start(t, ns, args...)
	waitFor(t, 3*time.Second, "dnsmasq to start", func() bool { return strings.Contains(log.String(), "DHCP, IP range") })
	return log
}

// fakeServer is a DHCP server with a short lease, recording what it
// hears, for renewal, expiry and release checks.
type fakeServer struct {
	addr, server net.IP
	leaseTime    time.Duration

	mu   sync.Mutex
	seen []seenMsg
	srv  *server4.Server
}

type seenMsg struct {
	typ    dhcpv4.MessageType
	ciaddr net.IP
	from   net.IP
	at     time.Time
}

// startFakeServer serves on iface in ns; the socket is opened inside
// ns and keeps serving there from any thread.
func startFakeServer(t *testing.T, ns, iface string, f *fakeServer) {
	t.Helper()
	var err error
	testnetns.Do(t, ns, func() {
		f.srv, err = server4.NewServer(iface, &net.UDPAddr{Port: dhcpv4.ServerPort}, f.handle)
	})
	if err != nil {
		t.Fatalf("start DHCP server in %s: %v", ns, err)
	}
	srv := f.srv
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
}

func (f *fakeServer) stop() { f.srv.Close() }

func (f *fakeServer) handle(conn net.PacketConn, peer net.Addr, m *dhcpv4.DHCPv4) {
	f.mu.Lock()
	f.seen = append(f.seen, seenMsg{typ: m.MessageType(), ciaddr: m.ClientIPAddr, from: peer.(*net.UDPAddr).IP, at: time.Now()})
	f.mu.Unlock()
	var typ dhcpv4.MessageType
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		typ = dhcpv4.MessageTypeOffer
	case dhcpv4.MessageTypeRequest:
		typ = dhcpv4.MessageTypeAck
	default:
		return
	}
	reply, err := dhcpv4.NewReplyFromRequest(m,
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithYourIP(f.addr),
		dhcpv4.WithServerIP(f.server),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(f.server)),
		dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(24, 32))),
		dhcpv4.WithOption(dhcpv4.OptRouter(f.server)),
		dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(f.leaseTime)),
	)
	if err != nil {
		return
	}
	conn.WriteTo(reply.ToBytes(), peer)
}

// find returns the messages of type typ seen so far.
func (f *fakeServer) find(typ dhcpv4.MessageType) []seenMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seenMsg
	for _, s := range f.seen {
		if s.typ == typ {
			out = append(out, s)
		}
	}
	return out
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
