package boot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// Reaper collects every exited child of PID 1: orphans reparented to us
// and the processes we start. A process started through Start gets its
// status through a listener instead of exec.Cmd.Wait, which would race
// the reaper for the same wait4.
type Reaper struct {
	mu        sync.Mutex
	listeners map[int]chan unix.WaitStatus
	log       *slog.Logger
}

// NewReaper returns a Reaper; call Run to start reaping.
func NewReaper(log *slog.Logger) *Reaper {
	return &Reaper{listeners: map[int]chan unix.WaitStatus{}, log: log}
}

// Run reaps on every SIGCHLD until ctx ends.
func (r *Reaper) Run(ctx context.Context) {
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, unix.SIGCHLD)
	defer signal.Stop(sig)
	r.reap()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			r.reap()
		}
	}
}

// Start starts cmd and returns a channel that receives its wait status.
// cmd's stdio must be nil or *os.File: with other writers exec.Cmd needs
// its own Wait to finish copying.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan unix.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Holding the lock across the fork means the child cannot be reaped
	// before its listener exists.
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	ch := make(chan unix.WaitStatus, 1)
	r.listeners[cmd.Process.Pid] = ch
	return ch, nil
}

func (r *Reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if ch, ok := r.listeners[pid]; ok {
			ch <- ws
			delete(r.listeners, pid)
			continue
		}
		r.log.Debug("reaped orphan", "pid", pid, "status", ws.ExitStatus())
	}
}
