package netconf

import (
	"errors"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/kiln-project/kiln/spec"
)

// State is where a link stands.
type State string

// States a link can be in.
const (
	StateConfigured State = "configured"
	StateNoCarrier  State = "waiting: no carrier"
	StateNoAnswer   State = "waiting: no DHCP answer"
	StateFailed     State = "failed"
)

// DHCP states of a link (RFC 2131 names); empty when DHCP is off.
const (
	DHCPSelecting = "selecting"
	DHCPBound     = "bound"
	DHCPRenewing  = "renewing"
	DHCPRebinding = "rebinding"
)

// LinkStatus is one managed link as the agent reports it.
type LinkStatus struct {
	Name string `json:"name"`
	MAC  string `json:"mac"`
	// Kind is the netlink kind: "device" for NICs, "vlan" for ours.
	Kind string `json:"kind"`
	// Parent names the link a VLAN sits on.
	Parent string `json:"parent,omitempty"`
	State  State  `json:"state"`
	// Err says why the link failed or what the last attempt saw.
	Err string `json:"error,omitempty"`
	// Addresses are CIDRs, static ones first, then the lease's.
	Addresses []string `json:"addresses"`
	Gateway   string   `json:"gateway,omitempty"`
	DHCP      bool     `json:"dhcp"`
	// DHCPState is one of the DHCP* constants.
	DHCPState   string    `json:"dhcp_state,omitempty"`
	DHCPServer  string    `json:"dhcp_server,omitempty"`
	LeaseExpiry time.Time `json:"lease_expiry,omitempty"`
}

// linkState is a managed link: its plan and what the Manager knows.
type linkState struct {
	status LinkStatus
	iface  spec.Interface
	lease  *lease
}

// showLease sets the status fields that follow from the spec and the
// lease held (nil: none): static addresses first, then the lease's; the
// spec's gateway over DHCP's.
func (ls *linkState) showLease(s *LinkStatus, nl *lease) {
	s.Addresses, s.Gateway = slices.Clone(ls.iface.Addresses), ls.iface.Gateway
	s.DHCPServer, s.LeaseExpiry = "", time.Time{}
	if nl == nil {
		return
	}
	s.Addresses = append(s.Addresses, nl.cidr())
	if s.Gateway == "" {
		s.Gateway = nl.gateway()
	}
	s.DHCPServer, s.LeaseExpiry = nl.server.String(), nl.expiry
}

// listLinks returns the links of the managed kinds, sorted by name.
// Dumps the kernel interrupts are retried.
func (m *Manager) listLinks() ([]netlink.Link, error) {
	var links []netlink.Link
	var err error
	for range 3 {
		links, err = m.nl.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list network links: %w", err)
	}
	out := links[:0]
	for _, l := range links {
		if m.managedKind(l) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b netlink.Link) int {
		return strings.Compare(a.Attrs().Name, b.Attrs().Name)
	})
	return out, nil
}

func (m *Manager) managedKind(l netlink.Link) bool {
	a := l.Attrs()
	return a.Name != "lo" && len(a.HardwareAddr) == 6 && slices.Contains(m.opts.Kinds, l.Type())
}

// interfaceFor returns the spec entry a link takes: the first that
// matches, or plain DHCP when the spec lists none.
func interfaceFor(ifaces []spec.Interface, name string, mac net.HardwareAddr) (spec.Interface, bool) {
	if len(ifaces) == 0 {
		return spec.Interface{}, true
	}
	for _, ifc := range ifaces {
		if matches(ifc.Match, name, mac) {
			return ifc, true
		}
	}
	return spec.Interface{}, false
}

// matches reports whether both globs that are set match; MACs compare
// in lower case.
func matches(mt spec.Match, name string, mac net.HardwareAddr) bool {
	if mt.Name != "" {
		if ok, _ := path.Match(mt.Name, name); !ok {
			return false
		}
	}
	if mt.MAC != "" {
		if ok, _ := path.Match(strings.ToLower(mt.MAC), strings.ToLower(mac.String())); !ok {
			return false
		}
	}
	return true
}

// dhcpOn applies the default: DHCP unless static addresses are given.
func dhcpOn(flag *bool, addrs []string) bool {
	if flag != nil {
		return *flag
	}
	return len(addrs) == 0
}

// adopt starts managing a link if the spec wants it and it is not
// managed yet.
func (m *Manager) adopt(l netlink.Link) {
	a := l.Attrs()
	ifc, ok := interfaceFor(m.cfg.Interfaces, a.Name, a.HardwareAddr)
	if !ok {
		m.log.Debug("link matches no network.interfaces entry; left alone", "link", a.Name)
		return
	}
	ls := &linkState{iface: ifc, status: LinkStatus{
		Name: a.Name, MAC: a.HardwareAddr.String(), Kind: l.Type(),
		DHCP: dhcpOn(ifc.DHCP, ifc.Addresses), State: StateNoCarrier,
	}}
	if !m.register(ls) {
		return
	}
	m.spawn("link "+a.Name, func() { m.runLink(ls, l) })
}

// register adds ls unless a link of that name is managed already.
func (m *Manager) register(ls *linkState) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.links[ls.status.Name]; dup {
		return false
	}
	m.links[ls.status.Name] = ls
	return true
}

// watchLinks adopts links that appear after Up (a USB NIC whose driver
// coldplug or hotplug loads late).
func (m *Manager) watchLinks() error {
	updates := make(chan netlink.LinkUpdate, 16)
	opts := netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) { m.log.Warn("link watch", "err", err) },
	}
	if m.ns.IsOpen() {
		opts.Namespace = &m.ns
	}
	if err := netlink.LinkSubscribeWithOptions(updates, m.ctx.Done(), opts); err != nil {
		return fmt.Errorf("subscribe to link changes: %w", err)
	}
	m.spawn("link watch", func() {
		for {
			select {
			case <-m.ctx.Done():
				return
			case u, ok := <-updates:
				if !ok {
					return
				}
				if u.Link != nil && m.managedKind(u.Link) {
					m.adopt(u.Link)
				}
			}
		}
	})
	return nil
}

// update changes a link's status under the lock and tells listeners.
func (m *Manager) update(ls *linkState, fn func(s *LinkStatus)) {
	m.mu.Lock()
	before := fmt.Sprint(ls.status)
	fn(&ls.status)
	changed := before != fmt.Sprint(ls.status)
	m.mu.Unlock()
	if changed {
		m.notify()
	}
}

// DefaultHostname is kiln-<mac without colons> of the first NIC by name
// (VLANs skipped), or "kiln" when there is none.
func DefaultHostname(links []LinkStatus) string {
	sorted := slices.Clone(links)
	slices.SortFunc(sorted, func(a, b LinkStatus) int { return strings.Compare(a.Name, b.Name) })
	for _, l := range sorted {
		if l.Kind != "vlan" && l.MAC != "" {
			return "kiln-" + strings.ReplaceAll(strings.ToLower(l.MAC), ":", "")
		}
	}
	return "kiln"
}
