package netconf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// carrierPoll is how often a link without carrier is looked at again.
const carrierPoll = 100 * time.Millisecond

// requested asks the server for the options a lease uses.
func requested() dhcpv4.Modifier {
	return dhcpv4.WithRequestedOptions(
		dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer,
		dhcpv4.OptionHostName, dhcpv4.OptionDomainName, dhcpv4.OptionInterfaceMTU,
		dhcpv4.OptionBroadcastAddress, dhcpv4.OptionNTPServers,
		dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue,
		dhcpv4.OptionRebindingTimeValue, dhcpv4.OptionDNSDomainSearchList,
		dhcpv4.OptionClasslessStaticRoute,
	)
}

// runDHCP keeps a lease on the link until the Manager closes: wait for
// carrier, acquire (with backoff), hold it through renew and rebind,
// and start over when it expires. On close the lease is released.
func (m *Manager) runDHCP(ls *linkState) {
	retry := backoff{max: m.opts.RetryMax}
	for {
		l, ok := m.waitCarrier(ls)
		if !ok {
			return
		}
		err := m.acquire(ls, l)
		if err == nil {
			retry.reset()
			m.hold(ls, l)
			if m.ctx.Err() != nil {
				m.release(ls, l)
				return
			}
			continue
		}
		if m.ctx.Err() != nil {
			return
		}
		m.update(ls, func(s *LinkStatus) { s.State, s.Err = StateNoAnswer, err.Error() })
		m.log.Debug("no DHCP lease yet", "link", ls.status.Name, "err", err)
		if !sleep(m.ctx, retry.wait()) {
			return
		}
	}
}

// waitCarrier polls the link until it has carrier (IFF_RUNNING). It
// returns false when the Manager closes or the link disappears.
func (m *Manager) waitCarrier(ls *linkState) (netlink.Link, bool) {
	for {
		l, err := m.nl.LinkByName(ls.status.Name)
		if err != nil {
			m.update(ls, func(s *LinkStatus) { s.State, s.Err = StateFailed, "link gone: "+err.Error() })
			m.forget(ls)
			return nil, false
		}
		if l.Attrs().RawFlags&unix.IFF_RUNNING != 0 {
			m.update(ls, func(s *LinkStatus) { s.State, s.DHCPState = StateNoAnswer, DHCPSelecting })
			return l, true
		}
		m.update(ls, func(s *LinkStatus) { s.State, s.Err = StateNoCarrier, "" })
		if !sleep(m.ctx, carrierPoll) {
			return nil, false
		}
	}
}

// forget stops managing a vanished link so it is adopted again if it
// comes back (a replugged USB NIC).
func (m *Manager) forget(ls *linkState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.links[ls.status.Name] == ls {
		delete(m.links, ls.status.Name)
	}
}

// acquire runs DISCOVER/OFFER/REQUEST/ACK on a raw socket (the link has
// no address yet) and applies the lease.
func (m *Manager) acquire(ls *linkState, l netlink.Link) error {
	c, err := m.client(l, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	raw, err := c.Request(m.ctx, requested())
	if err != nil {
		return fmt.Errorf("DHCP on %s: %w", l.Attrs().Name, err)
	}
	return m.bind(ls, l, raw)
}

func (m *Manager) bind(ls *linkState, l netlink.Link, raw *nclient4.Lease) error {
	nl, err := newLease(raw)
	if err != nil {
		return err
	}
	if err := m.applyLease(ls, l, nl); err != nil {
		return err
	}
	m.log.Info("DHCP lease", "link", ls.status.Name, "address", nl.cidr(), "gateway", nl.gateway(),
		"server", nl.server, "expires", nl.expiry.Format(time.RFC3339))
	return nil
}

// hold keeps the current lease: at T1 renew by unicast to the server,
// at T2 rebind by broadcast, at expiry drop it. It returns when the
// lease is gone or the Manager closes (lease still held then).
func (m *Manager) hold(ls *linkState, l netlink.Link) {
	for {
		cur := m.currentLease(ls)
		now := time.Now()
		var deadline time.Time
		var broadcast bool
		switch {
		case !now.Before(cur.expiry):
			m.log.Warn("DHCP lease expired", "link", ls.status.Name, "address", cur.cidr())
			m.dropLease(ls, l)
			return
		case now.Before(cur.t1):
			if !sleep(m.ctx, cur.t1.Sub(now)) {
				return
			}
			continue
		case now.Before(cur.t2):
			deadline = cur.t2
			m.update(ls, func(s *LinkStatus) { s.DHCPState = DHCPRenewing })
		default:
			deadline, broadcast = cur.expiry, true
			m.update(ls, func(s *LinkStatus) { s.DHCPState = DHCPRebinding })
		}
		err := m.renew(ls, l, cur, deadline, broadcast)
		var nak *nclient4.ErrNak
		if errors.As(err, &nak) {
			m.log.Warn("DHCP server refused renewal", "link", ls.status.Name, "err", err)
			m.dropLease(ls, l)
			return
		}
		if m.ctx.Err() != nil {
			return
		}
		if err != nil {
			m.log.Debug("DHCP renewal failed; retrying", "link", ls.status.Name, "err", err)
			// RFC 2131 4.4.5: wait half the time left to the deadline.
			left := time.Until(deadline)
			if !sleep(m.ctx, max(left/2, min(time.Second, left))) {
				return
			}
		}
	}
}

// client opens a DHCP client on l. With a lease it talks unicast from the
// bound address to the lease's server through the kernel's UDP stack;
// without one it broadcasts on a raw socket, as a link with no address
// must.
func (m *Manager) client(l netlink.Link, unicast *lease) (*nclient4.Client, error) {
	opts := []nclient4.ClientOpt{nclient4.WithTimeout(m.opts.DHCPTimeout), nclient4.WithRetry(3),
		nclient4.WithHWAddr(l.Attrs().HardwareAddr)}
	if unicast != nil {
		opts = append(opts,
			nclient4.WithUnicast(&net.UDPAddr{IP: unicast.addr.IP, Port: nclient4.ClientPort}),
			nclient4.WithServerAddr(&net.UDPAddr{IP: unicast.server, Port: nclient4.ServerPort}))
	}
	c, err := nclient4.New(l.Attrs().Name, opts...)
	if err != nil {
		return nil, fmt.Errorf("open DHCP socket on %s: %w", l.Attrs().Name, err)
	}
	return c, nil
}

// renew asks for an extension until deadline: unicast while renewing,
// broadcast while rebinding.
func (m *Manager) renew(ls *linkState, l netlink.Link, cur *lease, deadline time.Time, broadcast bool) error {
	unicast := cur
	if broadcast {
		unicast = nil
	}
	c, err := m.client(l, unicast)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithDeadline(m.ctx, deadline)
	defer cancel()
	raw, err := c.Renew(ctx, cur.raw, requested())
	if err != nil {
		return fmt.Errorf("renew DHCP lease of %s on %s: %w", cur.addr.IP, l.Attrs().Name, err)
	}
	return m.bind(ls, l, raw)
}

// release tells the server the address is free (RFC 2131 4.4.6, unicast
// from the bound address) and removes it from the link.
func (m *Manager) release(ls *linkState, l netlink.Link) {
	cur := m.currentLease(ls)
	if cur == nil {
		return
	}
	c, err := m.client(l, cur)
	if err == nil {
		err = c.Release(cur.raw)
		c.Close()
	}
	if err != nil {
		m.log.Warn("DHCP release failed", "link", ls.status.Name, "address", cur.cidr(), "err", err)
	} else {
		m.log.Info("DHCP lease released", "link", ls.status.Name, "address", cur.cidr())
	}
	m.dropLease(ls, l)
}

func (m *Manager) currentLease(ls *linkState) *lease {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ls.lease
}
