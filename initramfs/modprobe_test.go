package initramfs

import (
	"testing"

	"github.com/kiln-project/kiln/spec"
)

func TestModprobeConf(t *testing.T) {
	got := string(ModprobeConf(spec.Kernel{
		Blacklist:     []string{"nouveau", "floppy", "nouveau"},
		ModuleOptions: map[string]string{"e1000e": " InterruptThrottleRate=3000 ", "bonding": "mode=4"},
	}))
	want := "# Written by kiln from kernel.module_options and kernel.blacklist.\n" +
		"blacklist floppy\nblacklist nouveau\n" +
		"options bonding mode=4\noptions e1000e InterruptThrottleRate=3000\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSpecModules(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		name string
		s    spec.Spec
		want []string
	}{
		{"defaults", spec.Spec{}, DefaultModules()},
		{"asked", spec.Spec{Kernel: spec.Kernel{Modules: []string{"virtio"}}}, []string{"virtio"}},
		{"vlan adds 8021q", spec.Spec{Kernel: spec.Kernel{Modules: []string{"virtio"}},
			Network: spec.Network{Interfaces: []spec.Interface{{DHCP: &yes, VLANs: []spec.VLAN{{ID: 7}}}}}},
			[]string{"virtio", "8021q"}},
	} {
		got := specModules(&tc.s)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}
