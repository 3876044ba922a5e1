package qemu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

// ErrTimeout is wrapped by Run's error when Options.Timeout ran out.
var ErrTimeout = errors.New("timed out")

// Kernel messages that tell how the guest stopped; with -no-reboot a
// power-off and a reset both end QEMU with status 0.
const (
	powerOffLine = "reboot: Power down"
	panicLine    = "Kernel panic"
)

// Result is what one run saw.
type Result struct {
	// Accel is the accelerator QEMU ran with: kvm or tcg.
	Accel string
	// Events are the agent's console events in the order they came.
	Events []event.Event
	// Ready says the agent reported the ready phase.
	Ready bool
	// ExpectMatched says Options.Expect matched and the VM was stopped.
	ExpectMatched bool
	// ExitCode is QEMU's exit status; -1 when it was killed.
	ExitCode int
	// Clean: QEMU exited by itself with status 0 after the guest
	// powered off (the kernel printed "reboot: Power down"), not after
	// a reset or panic.
	Clean bool
	// Panic is the kernel's panic line, if the guest panicked.
	Panic string
	// Elapsed is the host time from QEMU's start to its end.
	Elapsed time.Duration
	// ReadyAt is the host time from QEMU's start to the ready event.
	ReadyAt time.Duration
}

// Run boots o.Kernel and o.Initrd in QEMU and returns when QEMU exits,
// Expect matches, Timeout runs out (counted from QEMU's start) or ctx
// ends; in the last three cases it kills QEMU. A nil error means
// success: Expect matched, or without Expect the guest powered off
// cleanly. On other outcomes Run returns the Result so far and an error
// naming the last event and QEMU's stderr. Run does not wait for a read
// from o.Stdin in flight; that copier ends at its next read.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	accel := o.Accel
	if accel == AccelAuto {
		if accel, err = detectAccel(ctx, o.Binary, o.Log); err != nil {
			return nil, fmt.Errorf("boot %s: choose accelerator: %w", o.Kernel, err)
		}
	}
	args := o.args(accel)
	o.Log.Info("booting in QEMU", "kernel", o.Kernel, "initrd", o.Initrd, "accel", accel)
	o.Log.Debug("QEMU command line", "binary", o.Binary, "args", args)
	s := &session{o: o, res: &Result{Accel: accel, ExitCode: -1}}
	if err := s.run(ctx, args); err != nil {
		return s.res, fmt.Errorf("boot %s in QEMU (%s): %w", o.Kernel, accel, err)
	}
	return s.res, nil
}

// ending is why the run loop stopped.
type ending int

const (
	endExited ending = iota
	endMatched
	endTimeout
	endCancelled
)

// session is one QEMU run; only the run loop's goroutine touches res.
type session struct {
	o          Options
	res        *Result
	stderr     tailBuffer
	poweredOff bool
}

func (s *session) run(ctx context.Context, args []string) error {
	cmd := exec.Command(s.o.Binary, args...)
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("make console pipe: %w", err)
	}
	defer pr.Close()
	cmd.Stdout = pw
	cmd.Stderr = &s.stderr
	var stdin io.WriteCloser
	if s.o.Stdin != nil {
		if stdin, err = cmd.StdinPipe(); err != nil {
			pw.Close()
			return fmt.Errorf("make stdin pipe: %w", err)
		}
	}
	start := time.Now()
	p, err := startProc(cmd)
	pw.Close()
	if err != nil {
		return err
	}
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, s.o.Stdin)
			stdin.Close()
		}()
	}

	lines := make(chan consoleLine, 64)
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	cr := &consoleReader{console: s.o.Console, partials: s.o.Expect != nil, log: s.o.Log}
	go func() {
		defer close(readerDone)
		cr.run(pr, lines, stop)
	}()

	end := s.loop(ctx, p, lines, start)
	close(stop)
	if end != endExited && !p.kill() {
		s.o.Log.Warn("QEMU did not go after SIGKILL; leaving it", "pid", cmd.Process.Pid)
	}
	pr.Close() // unblocks the reader if something still holds the pipe
	<-readerDone
	s.res.Elapsed = time.Since(start)
	s.res.ExitCode = p.exitCode()
	return s.verdict(ctx, end)
}

// loop handles console lines until QEMU is gone and its output read,
// Expect matches, the timeout runs out or ctx ends.
func (s *session) loop(ctx context.Context, p *proc, lines <-chan consoleLine, start time.Time) ending {
	var timeout <-chan time.Time
	if s.o.Timeout > 0 {
		t := time.NewTimer(s.o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	exited := p.exited
	var drained <-chan time.Time // bounds reading the rest after exit
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				if exited == nil {
					return endExited
				}
				continue
			}
			if s.handle(l, start) {
				return endMatched
			}
		case <-exited:
			exited = nil
			if lines == nil {
				return endExited
			}
			drained = time.After(killGrace)
		case <-drained:
			return endExited
		case <-timeout:
			return endTimeout
		case <-ctx.Done():
			return endCancelled
		}
	}
}

// handle takes one console line and reports whether Expect matched.
func (s *session) handle(l consoleLine, start time.Time) bool {
	if !l.partial {
		s.observe(l, start)
	}
	if s.o.Expect != nil && s.o.Expect.MatchString(l.text) {
		s.res.ExpectMatched = true
		return true
	}
	return false
}

func (s *session) observe(l consoleLine, start time.Time) {
	if strings.Contains(l.text, powerOffLine) {
		s.poweredOff = true
	}
	if i := strings.Index(l.text, panicLine); i >= 0 && s.res.Panic == "" {
		s.res.Panic = l.text[i:]
	}
	e, found, err := event.Parse(l.text)
	if !found {
		return
	}
	if err != nil {
		s.o.Log.Warn("skipping malformed console event", "err", err)
		return
	}
	s.o.Log.Debug("console event", "phase", e.Phase, "status", e.Status, "ms", e.MS, "uptime_ms", e.UptimeMS)
	s.res.Events = append(s.res.Events, e)
	if e.Phase == event.PhaseReady && !s.res.Ready {
		s.res.Ready = true
		s.res.ReadyAt = l.at.Sub(start)
	}
}

// verdict decides success from how the run ended.
func (s *session) verdict(ctx context.Context, end ending) error {
	r := s.res
	detail := "; last event: " + lastEvent(r.Events) + s.stderrNote()
	switch end {
	case endMatched:
		return nil
	case endTimeout:
		return fmt.Errorf("%w after %s waiting for %s%s", ErrTimeout, s.o.Timeout, s.awaited(), detail)
	case endCancelled:
		return fmt.Errorf("stopped before %s: %w%s", s.awaited(), context.Cause(ctx), detail)
	}
	r.Clean = r.ExitCode == 0 && s.poweredOff
	switch {
	case r.ExitCode != 0:
		return fmt.Errorf("QEMU exited with status %d%s", r.ExitCode, detail)
	case s.o.Expect != nil:
		return fmt.Errorf("guest stopped before the console matched %q%s%s", s.o.Expect, s.panicNote(), detail)
	case !r.Clean:
		return fmt.Errorf("guest reset instead of powering off%s%s", s.panicNote(), detail)
	}
	return nil
}

func (s *session) awaited() string {
	if s.o.Expect != nil {
		return fmt.Sprintf("the console to match %q", s.o.Expect)
	}
	return "the guest to power off"
}

func (s *session) stderrNote() string {
	if e := s.stderr.String(); e != "" {
		return "; QEMU stderr: " + e
	}
	return ""
}

func (s *session) panicNote() string {
	if s.res.Panic != "" {
		return " (" + s.res.Panic + ")"
	}
	return ""
}

// lastEvent describes the last event for an error message.
func lastEvent(events []event.Event) string {
	if len(events) == 0 {
		return "none (the agent never reported; read the console)"
	}
	e := events[len(events)-1]
	s := fmt.Sprintf("%s %s at uptime %d ms", e.Phase, cmp.Or(string(e.Status), "-"), e.UptimeMS)
	if e.Error != "" {
		s += ": " + e.Error
	}
	return s
}
