// Package timesync steps the clock from NTP once at boot, before anything
// checks certificates. It does not slew or keep time afterwards.
package timesync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/beevik/ntp"
	"golang.org/x/sys/unix"
)

// Options tunes Sync; the zero value is right for PID 1.
type Options struct {
	// Timeout bounds each server's answer (default 3s).
	Timeout time.Duration
	// StepThreshold is the smallest |offset| that steps the clock
	// (default 0.5s); smaller offsets are left alone.
	StepThreshold time.Duration
	// SetClock sets the system clock (default: clock_settime on
	// CLOCK_REALTIME); tests inject one to leave the host alone.
	SetClock func(time.Time) error
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.StepThreshold <= 0 {
		o.StepThreshold = 500 * time.Millisecond
	}
	if o.SetClock == nil {
		o.SetClock = setRealtime
	}
	return o
}

// Result is what the first good server said and what was done.
type Result struct {
	// Server is the address that answered, as given.
	Server string
	// Offset is how far the local clock was behind (positive) or ahead.
	Offset time.Duration
	// Stepped says whether the clock was set.
	Stepped bool
	RTT     time.Duration
	Stratum uint8
}

// Sync asks servers in order and uses the first valid answer, stepping
// the clock when it is off by more than the threshold. Servers may be
// "host" or "host:port". It fails only when no server gave a valid
// answer or the clock could not be set.
func Sync(ctx context.Context, servers []string, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if len(servers) == 0 {
		return Result{}, errors.New("sync time: no NTP servers (set time.ntp or get them from DHCP option 42)")
	}
	var errs []error
	for _, s := range servers {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("sync time: %w", err)
		}
		resp, err := query(ctx, s, opts.Timeout)
		if err == nil {
			err = resp.Validate()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("NTP server %s: %w", s, err))
			continue
		}
		return step(s, resp, opts)
	}
	return Result{}, fmt.Errorf("sync time: no NTP server answered: %w", errors.Join(errs...))
}

// query asks one server; cancelling ctx cuts the wait short.
func query(ctx context.Context, server string, timeout time.Duration) (*ntp.Response, error) {
	stop := func() bool { return false }
	defer func() { stop() }()
	return ntp.QueryWithOptions(server, ntp.QueryOptions{
		Timeout: timeout,
		Dialer: func(local, remote string) (net.Conn, error) {
			d := net.Dialer{}
			if local != "" {
				d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(local)}
			}
			conn, err := d.DialContext(ctx, "udp", remote)
			if err != nil {
				return nil, err
			}
			stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
			return conn, nil
		},
	})
}

func step(server string, resp *ntp.Response, opts Options) (Result, error) {
	r := Result{Server: server, Offset: resp.ClockOffset, RTT: resp.RTT, Stratum: resp.Stratum}
	if r.Offset.Abs() <= opts.StepThreshold {
		return r, nil
	}
	if err := opts.SetClock(time.Now().Add(r.Offset)); err != nil {
		return r, fmt.Errorf("step clock by %v from NTP server %s: %w", r.Offset, server, err)
	}
	r.Stepped = true
	return r, nil
}

func setRealtime(t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	return unix.ClockSettime(unix.CLOCK_REALTIME, &ts)
}
