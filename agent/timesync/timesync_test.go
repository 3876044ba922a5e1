package timesync

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// ntpEpochOffset is the seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// fakeNTP serves NTPv4 on 127.0.0.1 with its clock offset from ours;
// stratum 0 makes it answer kiss-of-death, silent makes it never answer.
func fakeNTP(t *testing.T, offset time.Duration, stratum byte, silent bool) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, peer, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if silent || n < 48 {
				continue
			}
			now := time.Now().Add(offset)
			reply := make([]byte, 48)
			reply[0] = 0<<6 | 4<<3 | 4 // no leap warning, v4, server
			reply[1] = stratum
			reply[2], reply[3] = 4, 0xEC // poll 16s, precision ~2^-20 s
			copy(reply[12:16], "TEST")
			putTime(reply[16:], now.Add(-time.Second)) // reference
			copy(reply[24:32], buf[40:48])             // origin = client's transmit
			putTime(reply[32:], now)                   // receive
			putTime(reply[40:], now)                   // transmit
			conn.WriteToUDP(reply, peer)
		}
	}()
	return conn.LocalAddr().String()
}

func putTime(b []byte, t time.Time) {
	binary.BigEndian.PutUint32(b, uint32(t.Unix()+ntpEpochOffset))
	binary.BigEndian.PutUint32(b[4:], uint32((uint64(t.Nanosecond())<<32)/1e9))
}

// clock records what Sync would have set the clock to.
type clock struct {
	set []time.Time
	err error
}

func (c *clock) SetClock(t time.Time) error {
	c.set = append(c.set, t)
	return c.err
}

func TestSync(t *testing.T) {
	fast := 10 * time.Second
	good := fakeNTP(t, fast, 2, false)
	near := fakeNTP(t, 100*time.Millisecond, 2, false)
	silent := fakeNTP(t, 0, 2, true)
	kod := fakeNTP(t, fast, 0, false)
	tests := []struct {
		name        string
		servers     []string
		wantServer  string
		wantOffset  time.Duration
		wantStepped bool
		wantErr     string
	}{
		{name: "far off: step", servers: []string{good}, wantServer: good, wantOffset: fast, wantStepped: true},
		{name: "close: leave", servers: []string{near}, wantServer: near, wantOffset: 100 * time.Millisecond},
		{name: "silent then good", servers: []string{silent, good}, wantServer: good, wantOffset: fast, wantStepped: true},
		{name: "kiss of death then good", servers: []string{kod, good}, wantServer: good, wantOffset: fast, wantStepped: true},
		{name: "none valid", servers: []string{kod, silent}, wantErr: "no NTP server answered"},
		{name: "no servers", servers: nil, wantErr: "no NTP servers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{}
			before := time.Now()
			res, err := Sync(context.Background(), tc.servers, Options{Timeout: 300 * time.Millisecond, SetClock: c.SetClock})
			after := time.Now()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Sync error = %v, want one mentioning %q", err, tc.wantErr)
				}
				if len(c.set) != 0 {
					t.Errorf("clock set to %v on failure", c.set)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if res.Server != tc.wantServer || res.Stepped != tc.wantStepped || res.Stratum != 2 {
				t.Errorf("Sync = %+v, want server %s stepped %v stratum 2", res, tc.wantServer, tc.wantStepped)
			}
			if d := (res.Offset - tc.wantOffset).Abs(); d > 50*time.Millisecond {
				t.Errorf("offset = %v, want %v", res.Offset, tc.wantOffset)
			}
			if res.RTT < 0 || res.RTT > 100*time.Millisecond {
				t.Errorf("RTT = %v on loopback", res.RTT)
			}
			if !tc.wantStepped {
				if len(c.set) != 0 {
					t.Errorf("clock set to %v for a %v offset", c.set, res.Offset)
				}
				return
			}
			if len(c.set) != 1 {
				t.Fatalf("clock set %d times, want once", len(c.set))
			}
			lo, hi := before.Add(tc.wantOffset-50*time.Millisecond), after.Add(tc.wantOffset+50*time.Millisecond)
			if c.set[0].Before(lo) || c.set[0].After(hi) {
				t.Errorf("clock set to %v, want now%+v (between %v and %v)", c.set[0], tc.wantOffset, lo, hi)
			}
		})
	}
}

func TestSyncReportsSetClockError(t *testing.T) {
	c := &clock{err: errors.New("EPERM")}
	res, err := Sync(context.Background(), []string{fakeNTP(t, time.Hour, 1, false)}, Options{SetClock: c.SetClock})
	if err == nil || !strings.Contains(err.Error(), "EPERM") || res.Stepped {
		t.Errorf("Sync = %+v, %v; want unstepped result and the setter's error", res, err)
	}
}

func TestSyncStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Sync(ctx, []string{fakeNTP(t, 0, 2, true), fakeNTP(t, 0, 2, true)}, Options{Timeout: 5 * time.Second, SetClock: (&clock{}).SetClock})
	if err == nil {
		t.Fatal("Sync succeeded against silent servers")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Sync took %v after cancel, want it to stop at once", took)
	}
}
