package qemu

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

// Timings is a table of the agent's phases in the order they started:
// final status, duration and uptime at the phase's last event. A phase
// still at "start" is the one the guest was in when the run ended.
func (r *Result) Timings() string {
	var phases []string
	last := map[string]event.Event{}
	for _, e := range r.Events {
		if _, seen := last[e.Phase]; !seen {
			phases = append(phases, e.Phase)
		}
		last[e.Phase] = e
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tMS\tUPTIME")
	for _, phase := range phases {
		e := last[phase]
		ms := "-"
		if e.Status != event.Start && e.Phase != event.PhaseReady {
			ms = strconv.FormatInt(e.MS, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", phase, cmp.Or(string(e.Status), "-"), ms, e.UptimeMS)
	}
	tw.Flush()
	if r.Ready {
		fmt.Fprintf(&b, "QEMU start -> ready: %.2fs (%s)\n", r.ReadyAt.Seconds(), r.Accel)
	} else {
		fmt.Fprintf(&b, "QEMU start -> ready: not reached in %s (%s)\n", r.Elapsed.Round(10*time.Millisecond), r.Accel)
	}
	return b.String()
}
