package netconf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// applyLease puts a (new or renewed) lease on the link: MTU, address
// with the lease's lifetime, routes; then status and resolv.conf.
func (m *Manager) applyLease(ls *linkState, l netlink.Link, nl *lease) error {
	name := l.Attrs().Name
	if ls.iface.MTU == 0 && nl.mtu > 0 && nl.mtu != l.Attrs().MTU {
		if err := m.nl.LinkSetMTU(l, nl.mtu); err != nil {
			m.log.Warn("set MTU from DHCP", "link", name, "mtu", nl.mtu, "err", err)
		}
	}
	life := nl.lifetime(time.Now())
	addr := &netlink.Addr{IPNet: nl.addr, Broadcast: broadcastOf(nl.addr), ValidLft: life, PreferedLft: life}
	if err := m.nl.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("add leased address %s to %s: %w", nl.cidr(), name, err)
	}
	old := m.currentLease(ls)
	if old != nil && !old.addr.IP.Equal(nl.addr.IP) {
		m.removeLease(l, old)
	}
	var errs []error
	nl.installed, errs = m.leaseRoutes(ls, l, nl)
	m.mu.Lock()
	ls.lease = nl
	m.mu.Unlock()
	// resolv.conf first: Up returns as soon as the link reads configured.
	m.writeResolv()
	m.update(ls, func(s *LinkStatus) {
		s.State, s.Err, s.DHCPState = StateConfigured, "", DHCPBound
		ls.showLease(s, nl)
	})
	if err := errors.Join(errs...); err != nil {
		m.log.Warn("DHCP routes", "link", name, "err", err)
	}
	return nil
}

// leaseRoutes installs the lease's option 121 routes, or else a default
// route via its first router; a gateway in the spec wins over DHCP's.
func (m *Manager) leaseRoutes(ls *linkState, l netlink.Link, nl *lease) ([]routeKey, []error) {
	var want []routeKey
	for _, r := range nl.classless {
		want = append(want, routeKey{dst: r.Dest, gw: r.Router})
	}
	if len(want) == 0 && len(nl.routers) > 0 && ls.iface.Gateway == "" {
		want = append(want, routeKey{gw: nl.routers[0]})
	}
	var done []routeKey
	var errs []error
	for _, k := range want {
		if err := m.nl.RouteReplace(m.leaseRoute(l, nl, k)); err != nil {
			errs = append(errs, fmt.Errorf("add route to %v via %s: %w", k.dst, k.gw, err))
			continue
		}
		done = append(done, k)
	}
	return done, errs
}

func (m *Manager) leaseRoute(l netlink.Link, nl *lease, k routeKey) *netlink.Route {
	r := route(l, k.dst, k.gw)
	r.Src, r.Protocol = nl.addr.IP, unix.RTPROT_DHCP
	return r
}

// dropLease removes an expired, refused or released lease from the
// link and forgets it.
func (m *Manager) dropLease(ls *linkState, l netlink.Link) {
	old := m.currentLease(ls)
	if old == nil {
		return
	}
	m.removeLease(l, old)
	m.mu.Lock()
	ls.lease = nil
	m.mu.Unlock()
	m.update(ls, func(s *LinkStatus) {
		s.State, s.DHCPState = StateNoAnswer, DHCPSelecting
		ls.showLease(s, nil)
	})
	m.writeResolv()
}

// removeLease deletes the lease's routes and address; ones the kernel
// already removed (lifetime ran out) are not errors.
func (m *Manager) removeLease(l netlink.Link, old *lease) {
	for _, k := range old.installed {
		if err := m.nl.RouteDel(m.leaseRoute(l, old, k)); err != nil && !gone(err) {
			m.log.Warn("remove DHCP route", "link", l.Attrs().Name, "err", err)
		}
	}
	if err := m.nl.AddrDel(l, &netlink.Addr{IPNet: old.addr}); err != nil && !gone(err) {
		m.log.Warn("remove leased address", "link", l.Attrs().Name, "address", old.cidr(), "err", err)
	}
}

func gone(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EADDRNOTAVAIL) ||
		errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, os.ErrNotExist)
}

// broadcastOf is the subnet's broadcast address.
func broadcastOf(n *net.IPNet) net.IP {
	ip := n.IP.To4()
	b := make(net.IP, len(ip))
	for i := range ip {
		b[i] = ip[i] | ^n.Mask[len(n.Mask)-len(ip)+i]
	}
	return b
}
