package netconf

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/vishvananda/netlink"

	"github.com/kiln-project/kiln/spec"
)

// runLink configures one link: static settings and VLANs at once, then
// DHCP for as long as the Manager lives.
func (m *Manager) runLink(ls *linkState, l netlink.Link) {
	if err := m.applyStatic(l, ls.iface); err != nil {
		m.update(ls, func(s *LinkStatus) { s.State, s.Err = StateFailed, err.Error() })
		m.log.Error("configure link", "link", ls.status.Name, "err", err)
		return
	}
	m.update(ls, func(s *LinkStatus) { ls.showLease(s, nil) })
	for _, v := range ls.iface.VLANs {
		m.startVLAN(l, v)
	}
	if !ls.status.DHCP {
		m.update(ls, func(s *LinkStatus) { s.State = StateConfigured })
		m.log.Info("link configured", "link", ls.status.Name, "addresses", ls.iface.Addresses)
		return
	}
	m.runDHCP(ls)
}

// applyStatic sets MTU, brings the link up and adds the spec's addresses,
// default gateway and routes.
func (m *Manager) applyStatic(l netlink.Link, ifc spec.Interface) error {
	name := l.Attrs().Name
	if ifc.MTU > 0 && l.Attrs().MTU != ifc.MTU {
		if err := m.nl.LinkSetMTU(l, ifc.MTU); err != nil {
			return fmt.Errorf("set MTU %d on %s: %w", ifc.MTU, name, err)
		}
	}
	if err := m.nl.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	var errs []error
	for _, cidr := range ifc.Addresses {
		a, err := netlink.ParseAddr(cidr)
		if err == nil {
			err = m.nl.AddrReplace(l, a)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("add address %s to %s: %w", cidr, name, err))
		}
	}
	if ifc.Gateway != "" {
		errs = append(errs, m.addRoute(l, "", ifc.Gateway))
	}
	for _, r := range ifc.Routes {
		errs = append(errs, m.addRoute(l, r.To, r.Via))
	}
	return errors.Join(errs...)
}

// addRoute installs to (CIDR; empty for default) via gw (empty for a
// directly connected destination) on l.
func (m *Manager) addRoute(l netlink.Link, to, via string) error {
	var dst *net.IPNet
	if to != "" {
		var err error
		if _, dst, err = net.ParseCIDR(to); err != nil {
			return fmt.Errorf("route to %q on %s: %w", to, l.Attrs().Name, err)
		}
	}
	var gw net.IP
	if via != "" {
		if gw = net.ParseIP(via); gw == nil {
			return fmt.Errorf("route via %q on %s: not an IP address", via, l.Attrs().Name)
		}
	}
	if err := m.nl.RouteReplace(route(l, dst, gw)); err != nil {
		return fmt.Errorf("add route to %s via %s on %s: %w", orDefault(to), via, l.Attrs().Name, err)
	}
	return nil
}

// route goes on l to dst (nil: default) via gw (nil or 0.0.0.0: directly
// connected). It is onlink so that a gateway outside the link's subnets
// (common at hosters) still works.
func route(l netlink.Link, dst *net.IPNet, gw net.IP) *netlink.Route {
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Priority: metric(l)}
	if gw == nil || gw.IsUnspecified() {
		r.Scope = netlink.SCOPE_LINK
	} else {
		r.Gw, r.Flags = gw, int(netlink.FLAG_ONLINK)
	}
	return r
}

// metric gives each link its own default route, the lowest interface
// index preferred, instead of one replacing another.
func metric(l netlink.Link) int { return 100 + l.Attrs().Index }

func orDefault(to string) string {
	if to == "" {
		return "default"
	}
	return to
}

// vlanName is <parent>.<id>; the kernel limits names to 15 bytes. The
// name comes back with the error too, to report the VLAN under.
func vlanName(parent string, id int) (string, error) {
	name := parent + "." + strconv.Itoa(id)
	if len(name) > 15 {
		return name, fmt.Errorf("VLAN %d on %s: name %s is longer than the kernel's 15 bytes", id, parent, name)
	}
	return name, nil
}

// startVLAN creates <parent>.<id> (unless present) and manages it like a
// link of its own.
func (m *Manager) startVLAN(parent netlink.Link, v spec.VLAN) {
	pname := parent.Attrs().Name
	name, err := vlanName(pname, v.ID)
	ls := &linkState{
		iface:  spec.Interface{DHCP: v.DHCP, Addresses: v.Addresses, Gateway: v.Gateway, MTU: v.MTU},
		status: LinkStatus{Name: name, Kind: "vlan", Parent: pname, DHCP: dhcpOn(v.DHCP, v.Addresses), State: StateNoCarrier},
	}
	if err != nil {
		ls.status.State, ls.status.Err = StateFailed, err.Error()
	}
	if !m.register(ls) || err != nil {
		return
	}
	l, err := m.ensureVLAN(parent, name, v.ID)
	if err != nil {
		m.update(ls, func(s *LinkStatus) { s.State, s.Err = StateFailed, err.Error() })
		m.log.Error("create VLAN", "link", name, "err", err)
		return
	}
	m.update(ls, func(s *LinkStatus) { s.MAC = l.Attrs().HardwareAddr.String() })
	m.spawn("link "+name, func() { m.runLink(ls, l) })
}

func (m *Manager) ensureVLAN(parent netlink.Link, name string, id int) (netlink.Link, error) {
	if l, err := m.nl.LinkByName(name); err == nil {
		return l, nil
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.ParentIndex = name, parent.Attrs().Index
	if err := m.nl.LinkAdd(&netlink.Vlan{LinkAttrs: attrs, VlanId: id}); err != nil {
		return nil, fmt.Errorf("create VLAN %s (id %d) on %s (is the 8021q module loaded?): %w", name, id, parent.Attrs().Name, err)
	}
	l, err := m.nl.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("find VLAN %s after creating it: %w", name, err)
	}
	return l, nil
}
