package spec

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
)

// DefaultNetworkWait is how long boot waits for the network when the
// spec does not say.
const DefaultNetworkWait = "30s"

var (
	domainLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	macGlob     = regexp.MustCompile(`^[0-9a-fA-F:*?]+$`)
)

func (d *decoder) checkNetwork(n *Network) {
	if n.Wait == "" {
		n.Wait = DefaultNetworkWait
	} else if msg := durationProblem(n.Wait); msg != "" {
		d.report("network.wait", "%s", msg)
	}
	for i, s := range n.DNS {
		if msg := ipProblem(s, "1.1.1.1"); msg != "" {
			d.report(fmt.Sprintf("network.dns[%d]", i), "%s", msg)
		}
	}
	for i, s := range n.Search {
		if !isDomainName(s) {
			d.report(fmt.Sprintf("network.search[%d]", i),
				`must be a domain name such as "example.com" (dot-separated labels of letters, digits and '-'), got %q`, s)
		}
	}
	for i := range n.Interfaces {
		d.checkInterface(fmt.Sprintf("network.interfaces[%d]", i), &n.Interfaces[i])
	}
}

func (d *decoder) checkInterface(p string, iface *Interface) {
	d.checkMatch(p+".match", iface.Match)
	d.checkLink(p, iface.Addresses, iface.Gateway, iface.MTU)
	for i, r := range iface.Routes {
		rp := fmt.Sprintf("%s.routes[%d]", p, i)
		switch _, err := netip.ParsePrefix(r.To); {
		case r.To == "":
			d.report(rp+".to", `required; a CIDR such as "10.1.0.0/16", or "default"`)
		case r.To != "default" && err != nil:
			d.report(rp+".to", `must be a CIDR such as "10.1.0.0/16", or "default", got %q`, r.To)
		}
		if r.Via != "" {
			if msg := ipProblem(r.Via, "10.0.0.1"); msg != "" {
				d.report(rp+".via", "%s", msg)
			}
		}
	}
	first := map[int]int{}
	for i, v := range iface.VLANs {
		vp := fmt.Sprintf("%s.vlans[%d]", p, i)
		d.checkLink(vp, v.Addresses, v.Gateway, v.MTU)
		switch j, dup := first[v.ID]; {
		case !d.set(vp + ".id"):
			d.report(vp+".id", "required; the 802.1Q VLAN ID, 1..4094")
		case v.ID < 1 || v.ID > 4094:
			d.report(vp+".id", "must be 1..4094 (an 802.1Q VLAN ID), got %d", v.ID)
		case dup:
			d.report(vp+".id", "VLAN %d repeats %s.vlans[%d]; remove one", v.ID, p, j)
		default:
			first[v.ID] = i
		}
	}
}

// checkMatch requires a selector: an entry matching every link is
// written as name: "*", so that it is a choice and not an omission.
func (d *decoder) checkMatch(p string, m Match) {
	if m.Name == "" && m.MAC == "" {
		d.report(p, `set name (a glob such as "eth*") or mac (such as "52:54:00:12:34:56" or "52:54:00:*") to say which links this entry configures`)
	}
	if m.Name != "" {
		if _, err := path.Match(m.Name, ""); err != nil || strings.ContainsAny(m.Name, "/ \t\r\n\x00") {
			d.report(p+".name", `must be a link name or a glob of one (*, ?, [a-z]; no spaces or '/'), got %q`, m.Name)
		}
	}
	if m.MAC != "" && !isMACPattern(m.MAC) {
		d.report(p+".mac", `must be a MAC address or a glob of one (hex digits, ':', '*' and '?'), such as "52:54:00:12:34:56" or "52:54:00:*", got %q`, m.MAC)
	}
}

func isMACPattern(s string) bool {
	if !macGlob.MatchString(s) {
		return false
	}
	if strings.ContainsAny(s, "*?") {
		return true
	}
	hw, err := net.ParseMAC(s)
	return err == nil && len(hw) == 6
}

// checkLink checks what interfaces and VLANs share.
func (d *decoder) checkLink(p string, addrs []string, gateway string, mtu int) {
	for i, a := range addrs {
		if _, err := netip.ParsePrefix(a); err != nil {
			hint := ""
			if _, err := netip.ParseAddr(a); err == nil {
				hint = fmt.Sprintf("; add the prefix length, e.g. %q", a+"/24")
			}
			d.report(fmt.Sprintf("%s.addresses[%d]", p, i),
				`must be an address with its prefix length (CIDR) such as "10.0.0.5/24" or "fd00::5/64", got %q%s`, a, hint)
		}
	}
	if gateway != "" {
		if msg := ipProblem(gateway, "10.0.0.1"); msg != "" {
			d.report(p+".gateway", "%s", msg)
		}
	}
	if mtu != 0 && (mtu < 68 || mtu > 65535) {
		d.report(p+".mtu", "must be 0 (the link's default) or 68..65535, got %d", mtu)
	}
}

func (d *decoder) checkTime(t *Time) {
	for i, s := range t.NTP {
		if msg := ntpProblem(s); msg != "" {
			d.report(fmt.Sprintf("time.ntp[%d]", i), "%s", msg)
		}
	}
}

// The problem functions below return "" for a good value, else a message
// with its fix; ParseNodeKV shares them with the YAML checks.

func durationProblem(s string) string {
	dur, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Sprintf(`must be a duration such as "30s" or "2m" ("0s": do not wait), got %q`, s)
	case dur < 0:
		return fmt.Sprintf(`must not be negative, got %q; "0s" does not wait`, s)
	}
	return ""
}

func ipProblem(s, example string) string {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return ""
	}
	return fmt.Sprintf("must be an IP address such as %q, got %q", example, s)
}

func ntpProblem(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return fmt.Sprintf("must be a host name or IP address, not a URL; write %q", u.Hostname())
	}
	if _, err := netip.ParseAddr(s); err == nil || isDomainName(s) {
		return ""
	}
	return fmt.Sprintf(`must be a host name such as "pool.ntp.org" or an IP address, got %q`, s)
}

func isDomainName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if !domainLabel.MatchString(label) {
			return false
		}
	}
	return true
}
