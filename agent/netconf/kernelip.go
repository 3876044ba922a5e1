package netconf

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/kiln-project/kiln/spec"
)

// KernelIP is what the kernel's ip= parameter asks for.
type KernelIP struct {
	Network  spec.Network
	Hostname string
	NTP      []string
}

// kernelIPSyntax names the colon-separated fields of ip=, in order
// (Documentation/admin-guide/nfs/nfsroot.rst).
const kernelIPSyntax = "client-ip:server-ip:gw-ip:netmask:hostname:device:autoconf:dns0-ip:dns1-ip:ntp0-ip"

// ParseKernelIP reads the value of ip= ("dhcp", "off", or
// client-ip:server-ip:gw-ip:netmask:hostname:device:autoconf:dns0:dns1:ntp0).
// A client-ip means a static address (netmask defaulting by address
// class); without one, or with autoconf dhcp/on/any/both/bootp/rarp, the
// link does DHCP (our only autoconf protocol). An empty device means
// every link. server-ip (the NFS server) is ignored.
func ParseKernelIP(s string) (KernelIP, error) {
	if !strings.Contains(s, ":") {
		if dhcp, ok := autoconf(s); ok {
			return KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "*"}, DHCP: &dhcp}}}}, nil
		}
	}
	names := strings.Split(kernelIPSyntax, ":")
	f := strings.Split(s, ":")
	if len(f) > len(names) {
		return KernelIP{}, fmt.Errorf("ip=%s: %d fields, at most %d (%s)", s, len(f), len(names), kernelIPSyntax)
	}
	f = append(f, make([]string, len(names)-len(f))...)
	for _, i := range []int{0, 2, 7, 8, 9} {
		if f[i] != "" && net.ParseIP(f[i]).To4() == nil {
			return KernelIP{}, fmt.Errorf("ip=%s: field %s %q is not an IPv4 address", s, names[i], f[i])
		}
	}
	dhcp, ok := autoconf(f[6])
	if !ok && f[6] != "" {
		return KernelIP{}, fmt.Errorf("ip=%s: field autoconf %q: want off, none, on, any, dhcp, bootp, rarp or both", s, f[6])
	}
	ifc := spec.Interface{Match: spec.Match{Name: f[5]}, Gateway: f[2]}
	if ifc.Match.Name == "" {
		ifc.Match.Name = "*"
	}
	if f[0] != "" {
		ones, err := prefixLen(f[0], f[3])
		if err != nil {
			return KernelIP{}, fmt.Errorf("ip=%s: field netmask: %w", s, err)
		}
		ifc.Addresses = []string{fmt.Sprintf("%s/%d", f[0], ones)}
		dhcp = dhcp && f[6] != ""
	}
	ifc.DHCP = &dhcp
	out := KernelIP{Hostname: f[4], Network: spec.Network{Interfaces: []spec.Interface{ifc}}}
	for _, d := range f[7:9] {
		if d != "" {
			out.Network.DNS = append(out.Network.DNS, d)
		}
	}
	if f[9] != "" {
		out.NTP = []string{f[9]}
	}
	return out, nil
}

// autoconf maps the autoconf field to "use DHCP"; ok is false for
// unknown or empty values.
func autoconf(v string) (dhcp, ok bool) {
	switch v {
	case "off", "none":
		return false, true
	case "on", "any", "dhcp", "bootp", "rarp", "both":
		return true, true
	}
	return false, false
}

// prefixLen turns a dotted netmask (or a bare prefix length) into a
// prefix length; empty means the client address's class default.
func prefixLen(client, mask string) (int, error) {
	if mask == "" {
		ones, _ := net.ParseIP(client).To4().DefaultMask().Size()
		return ones, nil
	}
	if n, err := strconv.Atoi(mask); err == nil && n >= 0 && n <= 32 {
		return n, nil
	}
	ip := net.ParseIP(mask).To4()
	if ip == nil {
		return 0, fmt.Errorf("%q is not a netmask", mask)
	}
	ones, bits := net.IPMask(ip).Size()
	if bits == 0 {
		return 0, fmt.Errorf("%q is not a contiguous netmask", mask)
	}
	return ones, nil
}
