package netconf

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// defaultLeaseTime stands in for a lease time the server left out.
const defaultLeaseTime = time.Hour

// lease is what one DHCP ACK grants, with its timers.
type lease struct {
	raw       *nclient4.Lease
	addr      *net.IPNet
	server    net.IP
	routers   []net.IP
	classless []*dhcpv4.Route // option 121; replaces routers when present
	dns       []net.IP
	search    []string
	hostname  string
	ntp       []net.IP
	mtu       int

	start, t1, t2, expiry time.Time
	// installed are the routes we added for this lease, to remove them.
	installed []routeKey
}

// routeKey identifies a route for deletion.
type routeKey struct {
	dst *net.IPNet
	gw  net.IP
}

// newLease reads an ACK. T1 and T2 default to 1/2 and 7/8 of the lease
// and are forced into order when a server sends nonsense.
func newLease(raw *nclient4.Lease) (*lease, error) {
	ack := raw.ACK
	ip := ack.YourIPAddr.To4()
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("DHCP ACK from %s has no address", ack.ServerIdentifier())
	}
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ip.DefaultMask()
	}
	lt := ack.IPAddressLeaseTime(defaultLeaseTime)
	t1 := ack.IPAddressRenewalTime(lt / 2)
	t2 := ack.IPAddressRebindingTime(lt * 7 / 8)
	if t2 <= 0 || t2 > lt {
		t2 = lt * 7 / 8
	}
	if t1 <= 0 || t1 > t2 {
		t1 = t2 / 2
	}
	l := &lease{
		raw:       raw,
		addr:      &net.IPNet{IP: ip, Mask: mask},
		server:    ack.ServerIdentifier(),
		routers:   ack.Router(),
		classless: ack.ClasslessStaticRoute(),
		dns:       ack.DNS(),
		hostname:  ack.HostName(),
		ntp:       ack.NTPServers(),
		mtu:       optionMTU(ack),
		start:     raw.CreationTime,
	}
	if l.server == nil {
		l.server = ack.ServerIPAddr
	}
	if ds := ack.DomainSearch(); ds != nil {
		l.search = append(l.search, ds.Labels...)
	}
	if dn := ack.DomainName(); dn != "" {
		l.search = append(l.search, dn)
	}
	l.t1, l.t2, l.expiry = l.start.Add(t1), l.start.Add(t2), l.start.Add(lt)
	return l, nil
}

// optionMTU reads option 26; values below IPv4's minimum are ignored.
func optionMTU(ack *dhcpv4.DHCPv4) int {
	b := ack.Options.Get(dhcpv4.OptionInterfaceMTU)
	if len(b) != 2 {
		return 0
	}
	if mtu := int(binary.BigEndian.Uint16(b)); mtu >= 576 {
		return mtu
	}
	return 0
}

// lifetime is the address lifetime in seconds left at now, so that the
// kernel drops the address itself should the agent stop renewing.
func (l *lease) lifetime(now time.Time) int {
	secs := l.expiry.Sub(now).Seconds()
	return int(max(1, min(secs, math.MaxUint32-1)))
}

func (l *lease) cidr() string {
	ones, _ := l.addr.Mask.Size()
	return fmt.Sprintf("%s/%d", l.addr.IP, ones)
}

// gateway is the first router, or "" when option 121 routes rule.
func (l *lease) gateway() string {
	if len(l.classless) == 0 && len(l.routers) > 0 {
		return l.routers[0].String()
	}
	for _, r := range l.classless {
		if ones, _ := r.Dest.Mask.Size(); ones == 0 {
			return r.Router.String()
		}
	}
	return ""
}
