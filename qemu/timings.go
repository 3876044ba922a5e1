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

// phaseRow is the latest state of one phase.
type phaseRow struct {
	phase  string
	status event.Status
	ms     string
	uptime int64
}

// Timings is a table of the agent's phases in the order they started:
// final status, duration and uptime at the phase's last event. A phase
// still at "start" is the one the guest was in when the run ended.
func (r *Result) Timings() string {
	var rows []*phaseRow
	byPhase := map[string]*phaseRow{}
	for _, e := range r.Events {
		row := byPhase[e.Phase]
		if row == nil {
			row = &phaseRow{phase: e.Phase}
			byPhase[e.Phase] = row
			rows = append(rows, row)
		}
		row.status, row.uptime, row.ms = e.Status, e.UptimeMS, "-"
		if e.Status != event.Start && e.Phase != event.PhaseReady {
			row.ms = strconv.FormatInt(e.MS, 10)
		}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tMS\tUPTIME")
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", row.phase, cmp.Or(string(row.status), "-"), row.ms, row.uptime)
	}
	tw.Flush()
	if r.Ready {
		fmt.Fprintf(&b, "QEMU start -> ready: %.2fs (%s)\n", r.ReadyAt.Seconds(), r.Accel)
	} else {
		fmt.Fprintf(&b, "QEMU start -> ready: not reached in %s (%s)\n", r.Elapsed.Round(10*time.Millisecond), r.Accel)
	}
	return b.String()
}
