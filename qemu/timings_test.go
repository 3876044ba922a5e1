package qemu

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestTimings(t *testing.T) {
	events := []event.Event{
		{Phase: "early", Status: event.Start, UptimeMS: 355},
		{Phase: "early", Status: event.OK, MS: 65, UptimeMS: 420},
		{Phase: "drivers", Status: event.OK, MS: 480, UptimeMS: 900},
		{Phase: "gpu", Status: event.Skip, UptimeMS: 901},
		{Phase: "network", Status: event.Fail, MS: 2000, UptimeMS: 2910, Error: "no carrier"},
		{Phase: "runtime", Status: event.Start, UptimeMS: 2911},
		{Phase: event.PhaseReady, Status: event.OK, UptimeMS: 3120},
	}
	tests := []struct {
		name string
		res  Result
	}{
		{"ready", Result{Accel: AccelTCG, Events: events, Ready: true, ReadyAt: 4812 * time.Millisecond}},
		{"not-ready", Result{Accel: AccelKVM, Events: events[:6], Elapsed: 30 * time.Second}},
		{"no-events", Result{Accel: AccelTCG, Elapsed: 1500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, filepath.Join("testdata", "timings-"+tt.name+".golden"), tt.res.Timings())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
