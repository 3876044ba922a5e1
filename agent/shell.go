package agent

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/kiln-project/kiln/spec/event"
	"github.com/kiln-project/kiln/spec/layout"
)

// debugShell keeps a shell on the console for as long as the node runs.
func (a *Agent) debugShell(ctx context.Context, n *node) (Outcome, error) {
	if n.spec == nil || !n.spec.Agent.DebugShell {
		return Outcome{Skipped: true, Msg: "agent.debug_shell is off"}, nil
	}
	if _, err := os.Stat(layout.Shell); err != nil {
		return Outcome{Skipped: true, Msg: "no shell in the image"}, nil
	}
	Go(a.em, "debugshell", func() { a.runShell(ctx) })
	return Outcome{Msg: "shell on /dev/console"}, nil
}

func (a *Agent) runShell(ctx context.Context) {
	for ctx.Err() == nil {
		tty, err := os.OpenFile("/dev/console", os.O_RDWR, 0)
		if err != nil {
			a.em.Emit(event.Event{Phase: "debugshell", Status: event.Fail, Error: err.Error()})
			return
		}
		cmd := exec.Command(layout.Shell)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.Env = append(os.Environ(), "PATH="+layout.Path, "HOME=/", "TERM=linux")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if ch, err := a.reaper.Start(cmd); err == nil {
			<-ch
		}
		tty.Close()
		time.Sleep(time.Second) // a shell that dies at once must not spin
	}
}
