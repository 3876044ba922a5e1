package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

type recordEmitter struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recordEmitter) Emit(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func ok(context.Context) (Outcome, error) { return Outcome{}, nil }

func TestRunPhases(t *testing.T) {
	boom := func(context.Context) (Outcome, error) { panic("boom") }
	fail := func(context.Context) (Outcome, error) { return Outcome{}, errors.New("no disk") }
	skip := func(context.Context) (Outcome, error) { return Outcome{Skipped: true}, nil }
	for _, tc := range []struct {
		name   string
		phases []Phase
		want   []string // phase:status of the end events
	}{
		{"all ok", []Phase{{Name: "a", Run: ok}, {Name: "b", Run: ok}}, []string{"a:ok", "b:ok"}},
		{"panic survives", []Phase{{Name: "a", Run: boom}, {Name: "b", Run: ok}}, []string{"a:fail", "b:ok"}},
		{"failure goes on", []Phase{{Name: "a", Run: fail}, {Name: "b", Run: skip}}, []string{"a:fail", "b:skip"}},
		{"critical stops", []Phase{{Name: "a", Run: fail, Critical: true}, {Name: "b", Run: ok}}, []string{"a:fail"}},
		{"critical panic stops", []Phase{{Name: "a", Run: boom, Critical: true}, {Name: "b", Run: ok}}, []string{"a:fail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			em := &recordEmitter{}
			res := RunPhases(context.Background(), em, tc.phases)
			var got []string
			for _, e := range em.events {
				if e.Status != event.Start {
					got = append(got, e.Phase+":"+string(e.Status))
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			if len(res) != len(tc.want) {
				t.Fatalf("%d results, want %d", len(res), len(tc.want))
			}
			wantFatal := tc.phases[len(res)-1].Critical && res[len(res)-1].Status == event.Fail
			if res[len(res)-1].Fatal != wantFatal {
				t.Errorf("last result Fatal = %v, want %v", res[len(res)-1].Fatal, wantFatal)
			}
		})
	}
}

func TestPanicErrorNamesPhase(t *testing.T) {
	em := &recordEmitter{}
	RunPhases(context.Background(), em, []Phase{{Name: "kmod", Run: func(context.Context) (Outcome, error) {
		var m map[string]int
		m["x"] = 1 // a real runtime panic, not a string
		return Outcome{}, nil
	}}})
	last := em.events[len(em.events)-1]
	if !strings.Contains(last.Error, "phase kmod panicked") || !strings.Contains(last.Error, "nil map") {
		t.Fatalf("error = %q", last.Error)
	}
}

func TestGoRecovers(t *testing.T) {
	em := &recordEmitter{}
	Go(em, "watcher", func() { panic("lost") })
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		em.mu.Lock()
		evs := append([]event.Event(nil), em.events...)
		em.mu.Unlock()
		if len(evs) == 1 {
			if evs[0].Phase != "watcher" || evs[0].Status != event.Fail || !strings.Contains(evs[0].Error, "lost") {
				t.Fatalf("event = %+v", evs[0])
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no event for the panicking goroutine")
}
