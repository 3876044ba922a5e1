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
