// Package event is the wire format of the agent's console events, shared
// by the agent (which prints them) and the build side (which reads them).
package event

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Prefix starts every event line on the console.
const Prefix = "kiln-event "

// Status of a phase.
type Status string

// Statuses a phase reports.
const (
	Start Status = "start"
	OK    Status = "ok"
	Fail  Status = "fail"
	Skip  Status = "skip"
)

// PhaseReady is the phase reported once the node is fully up.
const PhaseReady = "ready"

// Event is one line of progress from the agent.
type Event struct {
	Phase    string `json:"phase"`
	Status   Status `json:"status,omitempty"`
	MS       int64  `json:"ms"`
	UptimeMS int64  `json:"uptime_ms"`
	// Msg is a human summary; Error is set when Status is Fail.
	Msg   string `json:"msg,omitempty"`
	Error string `json:"error,omitempty"`
	// Data carries phase-specific fields (loaded modules, addresses, ...).
	Data map[string]any `json:"data,omitempty"`
}

// Format renders e as one console line without a trailing newline.
func Format(e Event) string {
	b, err := json.Marshal(e)
	if err != nil {
		// Data holds only values the agent put there; fall back to
		// something a reader still parses rather than losing the event.
		b, _ = json.Marshal(Event{Phase: e.Phase, Status: e.Status, MS: e.MS, UptimeMS: e.UptimeMS, Error: err.Error()})
	}
	return Prefix + string(b)
}

// Parse finds an event in one console line. Serial consoles interleave
// kernel output, so the prefix may appear anywhere in the line.
func Parse(line string) (Event, bool, error) {
	i := strings.Index(line, Prefix)
	if i < 0 {
		return Event{}, false, nil
	}
	var e Event
	if err := json.Unmarshal([]byte(strings.TrimSpace(line[i+len(Prefix):])), &e); err != nil {
		return Event{}, true, fmt.Errorf("parse event %q: %w", line[i:], err)
	}
	return e, true, nil
}
