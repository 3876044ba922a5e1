package qemu

import (
	"strings"
	"testing"
)

func TestGuestFwd(t *testing.T) {
	for _, tc := range []struct {
		rule string
		ok   bool
	}{
		{"tcp:10.0.2.100:80-tcp:127.0.0.1:8080", true},
		{"tcp:10.0.2.100:80-tcp:192.168.1.1:80", false},
		{"tcp:10.0.2.100:80-cmd:nc example.org 80", false},
		{"udp:10.0.2.100:53-tcp:127.0.0.1:53", false},
	} {
		if err := checkGuestFwd(tc.rule); (err == nil) != tc.ok {
			t.Errorf("checkGuestFwd(%q) = %v, want ok=%v", tc.rule, err, tc.ok)
		}
	}
	got := guestFwd([]string{"tcp:10.0.2.100:80-tcp:127.0.0.1:1"})
	if !strings.HasPrefix(got, ",guestfwd=tcp:10.0.2.100:80") {
		t.Errorf("guestFwd = %q", got)
	}
}
