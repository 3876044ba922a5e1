package netconf

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/spec"
)

func TestParseKernelIP(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		in      string
		want    KernelIP
		wantErr string
	}{
		{in: "dhcp", want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "*"}, DHCP: &yes}}}}},
		{in: "off", want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "*"}, DHCP: &no}}}}},
		{in: ":::::eth1:dhcp", want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "eth1"}, DHCP: &yes}}}}},
		{in: "::::node7::dhcp", want: KernelIP{Hostname: "node7", Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "*"}, DHCP: &yes}}}}},
		{
			in: "10.0.0.5:10.0.0.9:10.0.0.1:255.255.255.0:node7:eth0:off:1.1.1.1:9.9.9.9:10.0.0.2",
			want: KernelIP{Hostname: "node7", NTP: []string{"10.0.0.2"}, Network: spec.Network{
				DNS:        []string{"1.1.1.1", "9.9.9.9"},
				Interfaces: []spec.Interface{{Match: spec.Match{Name: "eth0"}, DHCP: &no, Addresses: []string{"10.0.0.5/24"}, Gateway: "10.0.0.1"}},
			}},
		},
		{ // no netmask: class A default; no autoconf with an address: static only
			in:   "10.1.2.3::10.0.0.1::::",
			want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "*"}, DHCP: &no, Addresses: []string{"10.1.2.3/8"}, Gateway: "10.0.0.1"}}}},
		},
		{ // address plus explicit dhcp: both
			in:   "192.168.7.2:::255.255.0.0::eth0:dhcp",
			want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "eth0"}, DHCP: &yes, Addresses: []string{"192.168.7.2/16"}}}}},
		},
		{in: "192.168.7.2:::20::eth0:none", want: KernelIP{Network: spec.Network{Interfaces: []spec.Interface{{Match: spec.Match{Name: "eth0"}, DHCP: &no, Addresses: []string{"192.168.7.2/20"}}}}}},
		{in: "10.0.0.300::::::", wantErr: "client-ip"},
		{in: "10.0.0.5::gateway:::::", wantErr: "gw-ip"},
		{in: "10.0.0.5:::255.0.255.0:::", wantErr: "contiguous"},
		{in: "10.0.0.5:::mask:::", wantErr: "netmask"},
		{in: ":::::eth0:carrier-pigeon", wantErr: "autoconf"},
		{in: "::::::::::extra", wantErr: "at most 10"},
		{in: ":::::::8.8.8.8:nope", wantErr: "dns1-ip"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseKernelIP(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseKernelIP(%q) error = %v, want one mentioning %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKernelIP(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseKernelIP(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}
