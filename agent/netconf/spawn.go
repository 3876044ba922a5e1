package netconf

import (
	"context"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/vishvananda/netns"
)

// spawn runs fn in a goroutine the Manager owns: Close waits for it, a
// panic is logged instead of killing PID 1, and with Options.NetNSPath
// the goroutine's thread enters that namespace first, so the sockets it
// opens (raw DHCP, UDP) live there.
func (m *Manager) spawn(what string, fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				m.log.Error("network goroutine panicked", "task", what, "panic", r, "stack", string(debug.Stack()))
			}
		}()
		if m.ns.IsOpen() {
			// Never unlocked: the runtime discards a thread that exits
			// locked, so no other goroutine inherits the namespace.
			runtime.LockOSThread()
			if err := netns.Set(m.ns); err != nil {
				m.log.Error("enter network namespace", "task", what, "err", err)
				return
			}
		}
		fn()
	}()
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff doubles from 1s up to max, with ±10% jitter so that many nodes
// rebooting together do not retry in step.
type backoff struct {
	max  time.Duration
	next time.Duration
}

func (b *backoff) wait() time.Duration {
	if b.next == 0 {
		b.next = time.Second
	}
	d := b.next
	b.next = min(2*b.next, b.max)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return min(d+jitter, b.max)
}

func (b *backoff) reset() { b.next = 0 }
