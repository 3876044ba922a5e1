// Package agent is the node's PID 1: it runs the bring-up phases in order,
// reports each as a kiln-event, then serves until told to shut down.
package agent

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

// Outcome is what a phase reports besides success.
type Outcome struct {
	Msg     string
	Data    map[string]any
	Skipped bool
}

// Phase is one named step of bring-up. Critical phases stop the boot when
// they fail (the node cannot do anything useful without them); the rest
// are reported and the agent goes on.
type Phase struct {
	Name     string
	Critical bool
	Run      func(ctx context.Context) (Outcome, error)
}

// Emitter is where phase events go.
type Emitter interface{ Emit(event.Event) }

// Result of one phase.
type Result struct {
	Phase    string
	Status   event.Status
	Duration time.Duration
	Err      error
	// Fatal: a critical phase failed and the phases after it did not run.
	Fatal bool
}

// RunPhases runs phases in order, each reported as a start event and an
// ok, skip or fail event. A panicking phase is a failed phase. It stops
// early only when a critical phase fails.
func RunPhases(ctx context.Context, em Emitter, phases []Phase) []Result {
	var results []Result
	for _, p := range phases {
		r := runOne(ctx, em, p)
		r.Fatal = r.Status == event.Fail && p.Critical
		results = append(results, r)
		if r.Fatal {
			break
		}
	}
	return results
}

func runOne(ctx context.Context, em Emitter, p Phase) Result {
	em.Emit(event.Event{Phase: p.Name, Status: event.Start})
	start := time.Now()
	out, err := protect(ctx, p)
	d := time.Since(start)
	ev := event.Event{Phase: p.Name, Status: event.OK, MS: d.Milliseconds(), Msg: out.Msg, Data: out.Data}
	switch {
	case err != nil:
		ev.Status, ev.Error = event.Fail, err.Error()
	case out.Skipped:
		ev.Status = event.Skip
	}
	em.Emit(ev)
	return Result{Phase: p.Name, Status: ev.Status, Duration: d, Err: err}
}

// protect turns a panic in a phase into its error: PID 1 must not die.
func protect(ctx context.Context, p Phase) (out Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("phase %s panicked: %v\n%s", p.Name, r, debug.Stack())
		}
	}()
	return p.Run(ctx)
}

// Go runs fn in a goroutine whose panics are reported instead of killing
// PID 1.
func Go(em Emitter, name string, fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				em.Emit(event.Event{Phase: name, Status: event.Fail, Error: fmt.Sprintf("panic: %v", r)})
			}
		}()
		fn()
	}()
}
