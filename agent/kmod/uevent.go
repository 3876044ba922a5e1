package kmod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Uevent is one kernel uevent as the kobject netlink socket carries it.
type Uevent struct {
	Action    string // add, remove, change, move, online, offline, bind, unbind
	Devpath   string // under /sys, e.g. /devices/pci0000:00/0000:00:02.0
	Subsystem string
	Modalias  string // empty for devices no driver binds to
	Seqnum    uint64 // 0 when absent
	Env       map[string]string
}

// ErrNotKernel marks a message that udev, not the kernel, sent: its
// processed copies start with "libudev\0" and must not be acted on twice.
var ErrNotKernel = errors.New("uevent: not from the kernel")

// ParseUevent decodes "ACTION@DEVPATH\0KEY=VALUE\0...".
func ParseUevent(b []byte) (Uevent, error) {
	if bytes.HasPrefix(b, []byte("libudev\x00")) {
		return Uevent{}, ErrNotKernel
	}
	fields := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	action, devpath, ok := strings.Cut(fields[0], "@")
	if !ok || action == "" || !strings.HasPrefix(devpath, "/") {
		return Uevent{}, fmt.Errorf("uevent header %q: want ACTION@/DEVPATH", trim(fields[0]))
	}
	ev := Uevent{Action: action, Devpath: devpath, Env: make(map[string]string, len(fields)-1)}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return Uevent{}, fmt.Errorf("uevent %s@%s: field %q is not KEY=VALUE", action, devpath, trim(f))
		}
		ev.Env[k] = v
	}
	if a := ev.Env["ACTION"]; a != "" && a != action {
		return Uevent{}, fmt.Errorf("uevent %s@%s: ACTION=%s disagrees with the header", action, devpath, a)
	}
	ev.Subsystem, ev.Modalias = ev.Env["SUBSYSTEM"], ev.Env["MODALIAS"]
	if s, ok := ev.Env["SEQNUM"]; ok {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return Uevent{}, fmt.Errorf("uevent %s@%s: SEQNUM=%q: %w", action, devpath, trim(s), err)
		}
		ev.Seqnum = n
	}
	return ev, nil
}

// trim keeps error messages short when the input is garbage.
func trim(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Hotplug says what one uevent made the node load.
type Hotplug struct {
	Action, Devpath, Modalias, Subsystem string
	Loaded                               []string // inserted for this event, dependencies included, in order
	Err                                  error    // failed modules, or a socket error (then the other fields are empty)
}

// handle loads the modules an add event's modalias matches. It reports
// false when nothing was tried: not an add, no modalias, no match, or all
// matches are in the kernel already. Uevents arrive in SEQNUM order on one
// socket, and adds are idempotent while removes are ignored (the kernel
// keeps a module when its device goes), so no reordering is needed.
func (l *Loader) handle(ev Uevent) (Hotplug, bool) {
	if ev.Action != "add" || ev.Modalias == "" {
		return Hotplug{}, false
	}
	var todo []string
	for _, m := range l.db.Match(ev.Modalias) {
		if !l.IsLoaded(m) {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return Hotplug{}, false
	}
	h := Hotplug{Action: ev.Action, Devpath: ev.Devpath, Modalias: ev.Modalias, Subsystem: ev.Subsystem}
	var errs []error
	for _, m := range todo {
		loaded, err := l.loadNew(m)
		h.Loaded = append(h.Loaded, loaded...)
		// ENODEV: the module found no device it can drive; coldplug
		// ignores it too.
		if err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, err)
		}
	}
	h.Err = errors.Join(errs...)
	return h, true
}

// loadNew loads name and returns what it inserted, under one lock so a
// concurrent coldplug cannot slip its modules into the list.
func (l *Loader) loadNew(name string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.order)
	err := l.load(Name(name), map[string]bool{})
	return append([]string(nil), l.order[n:]...), err
}

// UeventSocket is a netlink socket bound to the kernel's uevent group.
// Open it before coldplug and Serve after, so that no device that appears
// in between is missed; the Loader skips what coldplug already loaded.
type UeventSocket struct {
	f      *os.File
	rc     syscall.RawConn
	buf    []byte
	closed atomic.Bool
}

// Group 1 is the kernel's broadcast; udev re-sends processed events on 2.
const ueventKernelGroup = 1

// OpenUevents opens and binds the uevent socket. It needs CAP_NET_ADMIN
// only for the larger receive buffer, which it asks for but can do without.
func OpenUevents() (*UeventSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("open uevent netlink socket: %w", err)
	}
	// A hub full of devices bursts hundreds of events; the default
	// buffer drops them (ENOBUFS).
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: ueventKernelGroup}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind uevent netlink socket to group %d: %w", ueventKernelGroup, err)
	}
	// A non-blocking fd goes to the runtime poller, so Close wakes a
	// blocked Read instead of leaving a thread stuck in recvfrom.
	f := os.NewFile(uintptr(fd), "uevent-netlink")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("uevent socket: %w", err)
	}
	return &UeventSocket{f: f, rc: rc, buf: make([]byte, 16<<10)}, nil
}

// Close releases the socket and wakes a blocked Read.
func (s *UeventSocket) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.f.Close()
}

// Read blocks for the next kernel uevent. Messages from user space and
// libudev copies are skipped. After Close it returns os.ErrClosed.
func (s *UeventSocket) Read() (Uevent, error) {
	for {
		n, from, err := s.recv()
		switch {
		case s.closed.Load():
			return Uevent{}, os.ErrClosed
		case err != nil:
			return Uevent{}, fmt.Errorf("read uevent socket: %w", err)
		case n > len(s.buf):
			return Uevent{}, fmt.Errorf("read uevent socket: %d-byte message truncated to %d", n, len(s.buf))
		}
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue // only the kernel (port 0) speaks for devices
		}
		ev, err := ParseUevent(s.buf[:n])
		if errors.Is(err, ErrNotKernel) {
			continue
		}
		return ev, err
	}
}

func (s *UeventSocket) recv() (n int, from unix.Sockaddr, err error) {
	rerr := s.rc.Read(func(fd uintptr) bool {
		// MSG_TRUNC makes n the real length, so truncation is visible.
		n, from, err = unix.Recvfrom(int(fd), s.buf, unix.MSG_TRUNC)
		return err != unix.EAGAIN
	})
	if rerr != nil {
		return 0, nil, rerr
	}
	return n, from, err
}

// Serve loads drivers for devices that appear until ctx is done, then
// closes the socket. It calls report for each add event that led to a
// load attempt and for each socket error (the loop then backs off and
// goes on). An ENOBUFS error means events were lost; a caller that cares
// can run Coldplug again to catch up.
func (s *UeventSocket) Serve(ctx context.Context, l *Loader, report func(Hotplug)) {
	s.Watch(ctx, func(ev Uevent) {
		if h, ok := l.handle(ev); ok {
			report(h)
		}
	}, func(err error) { report(Hotplug{Err: err}) })
}

// Watch calls fn for every kernel uevent and onErr for every read error
// until ctx is done or the socket is closed, then closes the socket.
// After an error it waits, longer each time in a row, so a broken socket
// cannot spin.
func (s *UeventSocket) Watch(ctx context.Context, fn func(Uevent), onErr func(error)) {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.Close()
	const minWait, maxWait = 50 * time.Millisecond, 5 * time.Second
	wait := minWait
	for {
		ev, err := s.Read()
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err == nil {
			wait = minWait
			fn(ev)
			continue
		}
		onErr(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}
