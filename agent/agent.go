package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kiln-project/kiln/agent/boot"
	"github.com/kiln-project/kiln/agent/events"
	"github.com/kiln-project/kiln/agent/kmod"
	"github.com/kiln-project/kiln/agent/netconf"
	"github.com/kiln-project/kiln/spec"
	"github.com/kiln-project/kiln/spec/event"
	"github.com/kiln-project/kiln/spec/layout"
)

// Agent is PID 1. Its fields are the long-lived services; what phases
// learn is handed between them as typed values in bringUp.
type Agent struct {
	em       *events.Emitter
	log      *slog.Logger
	reaper   *boot.Reaper
	shutdown chan boot.Action
}

// Main is the body of PID 1. It never returns.
func Main() {
	ctx := context.Background()
	os.Setenv("PATH", layout.Path)
	em := events.New(os.Stdout)
	log := slog.New(slog.NewTextHandler(em, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a := &Agent{em: em, log: log, reaper: boot.NewReaper(log), shutdown: make(chan boot.Action, 1)}
	Go(em, "reaper", func() { a.reaper.Run(ctx) })
	if os.Getpid() == 1 {
		if err := boot.BindRoot(layout.Init); err != nil {
			em.Emit(event.Event{Phase: "bindroot", Status: event.Fail, Error: err.Error()})
		}
	}
	a.watchSignals()
	n := a.bringUp(ctx)
	a.serve(ctx, n)
}

// watchSignals turns SIGTERM/SIGINT (and Ctrl-Alt-Del, which the kernel
// sends as SIGINT once CAD is off) into an orderly power off.
func (a *Agent) watchSignals() {
	if os.Getpid() == 1 {
		_ = unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGTERM, unix.SIGINT, unix.SIGUSR2)
	Go(a.em, "signals", func() {
		for s := range sig {
			a.log.Info("signal received", "signal", s)
			a.requestShutdown(boot.PowerOff)
		}
	})
}

func (a *Agent) requestShutdown(act boot.Action) {
	select {
	case a.shutdown <- act:
	default:
	}
}

// serve keeps PID 1 alive after bring-up: it waits for a shutdown request
// and carries it out; if the kernel refuses to halt it keeps waiting.
func (a *Agent) serve(ctx context.Context, n *node) {
	if n.cmdline["poweroff"] == "ready" {
		a.requestShutdown(boot.PowerOff)
	}
	for {
		act := <-a.shutdown
		if n.net != nil {
			// Release DHCP leases while the links still work.
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_ = n.net.Close(cctx)
			cancel()
		}
		a.doShutdown(act)
	}
}

func (a *Agent) doShutdown(act boot.Action) {
	a.em.Emit(event.Event{Phase: "shutdown", Status: event.Start, Data: map[string]any{"action": act.String()}})
	start := time.Now()
	boot.StopProcesses(5 * time.Second)
	a.em.Reopen()
	var errs []error
	if f, err := boot.MountsFile(); err == nil {
		errs = boot.UnmountAll(f)
		f.Close()
	}
	ev := event.Event{Phase: "shutdown", Status: event.OK, MS: time.Since(start).Milliseconds(), Data: map[string]any{"action": act.String()}}
	if len(errs) > 0 {
		ev.Msg = fmt.Sprintf("%d filesystems stayed mounted", len(errs))
	}
	a.em.Emit(ev)
	a.em.Drain()
	if err := boot.Halt(act); err != nil {
		a.em.Emit(event.Event{Phase: "shutdown", Status: event.Fail, Error: err.Error()})
	}
}

// node is what bring-up learned, passed from phase to phase.
type node struct {
	cmdline    Cmdline
	kernelArgs map[string]string // plain kernel arguments the agent reads (ip=)
	spec       *spec.Spec
	release    string
	net        *netconf.Manager
	loader     *kmod.Loader // loads what later phases need by name
	kernelNTP  []string
}
