package agent

import (
	"reflect"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Cmdline
	}{
		{"console=ttyS0 panic=10", Cmdline{}},
		{"quiet kiln.poweroff=ready\n", Cmdline{"poweroff": "ready"}},
		{`kiln.debug kiln.name="two words" x=kiln.no`, Cmdline{"debug": "1", "name": "two words"}},
		{"kiln.a=1 kiln.a=2", Cmdline{"a": "2"}},
	} {
		if got := ParseCmdline(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCmdline(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestKernelArgs(t *testing.T) {
	got := KernelArgs(`console=ttyS0 ip=dhcp kiln.ip=x ip="10.0.0.2::10.0.0.1:255.255.255.0::eth0:off" quiet`, "ip", "quiet")
	want := map[string]string{"ip": "10.0.0.2::10.0.0.1:255.255.255.0::eth0:off", "quiet": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("KernelArgs = %v, want %v", got, want)
	}
}
