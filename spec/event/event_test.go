package event

import (
	"strings"
	"testing"
)

func TestFormatParseRoundTrip(t *testing.T) {
	e := Event{Phase: "modules", Status: OK, MS: 12, UptimeMS: 2040, Data: map[string]any{"loaded": []any{"virtio_net"}}}
	line := Format(e)
	if !strings.HasPrefix(line, Prefix) || strings.Contains(line, "\n") {
		t.Fatalf("Format = %q", line)
	}
	got, ok, err := Parse(line)
	if !ok || err != nil {
		t.Fatalf("Parse: ok=%v err=%v", ok, err)
	}
	if got.Phase != e.Phase || got.Status != e.Status || got.MS != 12 || got.UptimeMS != 2040 {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line    string
		ok, bad bool
		phase   string
	}{
		{"[    1.23] Run /init as init process", false, false, ""},
		{`kiln-event {"phase":"ready","status":"ok","ms":1,"uptime_ms":2}`, true, false, "ready"},
		// Kernel messages interleave on a serial console.
		{`[    2.00] virtio_net virtio0: kiln-event {"phase":"mounts","ms":0,"uptime_ms":5}` + "\r", true, false, "mounts"},
		{`kiln-event {"phase":`, true, true, ""},
	} {
		e, ok, err := Parse(tc.line)
		if ok != tc.ok || (err != nil) != tc.bad || e.Phase != tc.phase {
			t.Errorf("Parse(%q) = %+v, %v, %v", tc.line, e, ok, err)
		}
	}
}

func TestFormatUnencodableData(t *testing.T) {
	line := Format(Event{Phase: "gpu", Status: OK, Data: map[string]any{"bad": make(chan int)}})
	e, ok, err := Parse(line)
	if !ok || err != nil || e.Phase != "gpu" || e.Error == "" {
		t.Fatalf("fallback event %q -> %+v %v", line, e, err)
	}
}
