package qemu

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// killGrace is how long to wait for QEMU to go after SIGKILL. A QEMU
// whose vCPU is stuck inside the host kernel (KVM under nested virt) may
// never be reaped; we must not hang with it.
const killGrace = time.Second

// proc is a started QEMU in its own process group, so that killing it
// also kills anything it started.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startProc starts cmd; a goroutine owned by the proc reaps it.
func startProc(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = killGrace
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // what we need of it is in cmd.ProcessState
		close(p.exited)
	}()
	return p, nil
}

// kill sends SIGKILL to the process group and reports whether QEMU was
// reaped within killGrace.
func (p *proc) kill() bool {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
		return true
	case <-time.After(killGrace):
		return false
	}
}

// exitCode is QEMU's exit status, or -1 when it was killed by a signal,
// is not reaped yet, or never ran.
func (p *proc) exitCode() int {
	select {
	case <-p.exited:
	default:
		return -1
	}
	return p.cmd.ProcessState.ExitCode() // -1 on a nil state too
}
