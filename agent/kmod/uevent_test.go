package kmod

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Captured from real kernels (udevadm monitor --kernel --property).
const (
	pciAdd = "add@/devices/pci0000:00/0000:00:03.0\x00ACTION=add\x00DEVPATH=/devices/pci0000:00/0000:00:03.0\x00" +
		"SUBSYSTEM=pci\x00PCI_CLASS=20000\x00PCI_ID=8086:10D3\x00PCI_SUBSYS_ID=8086:0000\x00PCI_SLOT_NAME=0000:00:03.0\x00" +
		"MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\x00SEQNUM=1893\x00"
	usbDevpath = "/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0"
	usbAlias   = "usb:v0BDAp8153d3000dc00dsc00dp00icFFiscFFip00in00"
	usbAdd     = "add@" + usbDevpath + "\x00ACTION=add\x00DEVPATH=" + usbDevpath + "\x00SUBSYSTEM=usb\x00" +
		"DEVTYPE=usb_interface\x00PRODUCT=bda/8153/3000\x00TYPE=0/0/0\x00INTERFACE=255/255/0\x00" +
		"MODALIAS=" + usbAlias + "\x00SEQNUM=3021\x00"
	usbRemove = "remove@" + usbDevpath + "\x00ACTION=remove\x00DEVPATH=" + usbDevpath + "\x00SUBSYSTEM=usb\x00" +
		"DEVTYPE=usb_interface\x00PRODUCT=bda/8153/3000\x00MODALIAS=" + usbAlias + "\x00SEQNUM=3077\x00"
	loAdd = "add@/devices/virtual/net/lo\x00ACTION=add\x00DEVPATH=/devices/virtual/net/lo\x00SUBSYSTEM=net\x00" +
		"INTERFACE=lo\x00IFINDEX=1\x00SEQNUM=4410\x00"
)

func TestParseUevent(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Uevent // Env is checked only for its size and one key
		envLen   int
		wantErr  string
	}{
		{name: "pci add", in: pciAdd, envLen: 9, want: Uevent{Action: "add", Devpath: "/devices/pci0000:00/0000:00:03.0",
			Subsystem: "pci", Modalias: "pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00", Seqnum: 1893}},
		{name: "usb interface add", in: usbAdd, envLen: 9, want: Uevent{Action: "add", Devpath: usbDevpath,
			Subsystem: "usb", Modalias: usbAlias, Seqnum: 3021}},
		{name: "remove", in: usbRemove, envLen: 7, want: Uevent{Action: "remove", Devpath: usbDevpath,
			Subsystem: "usb", Modalias: usbAlias, Seqnum: 3077}},
		{name: "no trailing NUL, no SEQNUM", in: "change@/devices/virtual/misc/x\x00SUBSYSTEM=misc", envLen: 1,
			want: Uevent{Action: "change", Devpath: "/devices/virtual/misc/x", Subsystem: "misc"}},
		{name: "value with =", in: "add@/d\x00A=b=c\x00", envLen: 1, want: Uevent{Action: "add", Devpath: "/d"}},
		{name: "libudev", in: "libudev\x00\xfe\xed\xca\xfe(\x00\x00\x00" + usbAdd, wantErr: ErrNotKernel.Error()},
		{name: "empty", in: "", wantErr: "want ACTION@/DEVPATH"},
		{name: "no @", in: "add /devices/x\x00ACTION=add", wantErr: "want ACTION@/DEVPATH"},
		{name: "relative devpath", in: "add@devices/x\x00", wantErr: "want ACTION@/DEVPATH"},
		{name: "empty action", in: "@/devices/x\x00", wantErr: "want ACTION@/DEVPATH"},
		{name: "field without =", in: "add@/devices/x\x00ACTION=add\x00garbage\x00", wantErr: `field "garbage"`},
		{name: "empty key", in: "add@/devices/x\x00=v\x00", wantErr: `field "=v"`},
		{name: "action disagrees", in: "add@/devices/x\x00ACTION=remove\x00", wantErr: "ACTION=remove disagrees"},
		{name: "bad seqnum", in: "add@/devices/x\x00SEQNUM=12a\x00", wantErr: `SEQNUM="12a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUevent([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Env) != tc.envLen {
				t.Errorf("Env has %d keys, want %d: %v", len(got.Env), tc.envLen, got.Env)
			}
			if got.Env["SUBSYSTEM"] != tc.want.Subsystem {
				t.Errorf("Env[SUBSYSTEM] = %q, want %q", got.Env["SUBSYSTEM"], tc.want.Subsystem)
			}
			got.Env = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseUeventLibudevIsErrNotKernel(t *testing.T) {
	if _, err := ParseUevent([]byte("libudev\x00" + usbAdd)); !errors.Is(err, ErrNotKernel) {
		t.Fatalf("err = %v, want ErrNotKernel", err)
	}
}

// hotplugDB is the test DB plus a USB NIC whose driver has a dependency
// and a soft dependency.
func hotplugDB(t *testing.T) *DB {
	t.Helper()
	dir := writeTree(t, map[string]string{
		"mods/modules.dep": testDep + "kernel/drivers/net/usb/r8152.ko: kernel/drivers/net/mii.ko\n" +
			"kernel/drivers/net/mii.ko:\nkernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:\n" +
			"kernel/crypto/sha256_generic.ko:\n",
		"mods/modules.alias": testAlias + "alias usb:v0BDAp8153d*dc*dsc*dp*icFFiscFFip00in* r8152\n" +
			"alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e\n",
		"mods/modules.builtin": "kernel/drivers/block/loop.ko\n",
		"modprobe.d/kiln.conf": "blacklist nouveau\nsoftdep r8152 post: sha256_generic\n",
	})
	db, err := Open(filepath.Join(dir, "mods"), filepath.Join(dir, "modprobe.d"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func mustParse(t *testing.T, s string) Uevent {
	t.Helper()
	ev, err := ParseUevent([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestHandle feeds one Loader a sequence of events, as the socket would.
func TestHandle(t *testing.T) {
	rec := &recorder{fail: map[string]error{"e1000e": unix.EINVAL, "virtio_rng": unix.ENODEV}}
	l := NewLoader(hotplugDB(t), rec.insert, []string{"virtio_pci"})
	for _, tc := range []struct {
		name    string
		ev      string
		report  bool
		loaded  []string
		errHas  string
		inserts []string // insert calls this event made
	}{
		{name: "usb nic add", ev: usbAdd, report: true, loaded: []string{"mii", "r8152", "sha256_generic"},
			inserts: []string{"mii", "r8152", "sha256_generic"}},
		{name: "same device again", ev: usbAdd},
		{name: "remove", ev: usbRemove},
		{name: "no modalias", ev: loAdd},
		{name: "no match", ev: "add@/devices/platform/x\x00SUBSYSTEM=platform\x00MODALIAS=platform:x\x00"},
		{name: "blacklisted", ev: "add@/devices/pci0000:00/0000:01:00.0\x00SUBSYSTEM=pci\x00" +
			"MODALIAS=pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\x00"},
		{name: "loaded before boot", ev: "add@/devices/pci0000:00/0000:00:04.0\x00SUBSYSTEM=pci\x00" +
			"MODALIAS=pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00\x00"},
		{name: "change of a matching device", ev: strings.ReplaceAll(pciAdd, "add", "change")},
		{name: "insert fails", ev: pciAdd, report: true, errHas: "insert e1000e: invalid argument",
			inserts: []string{"e1000e"}},
		{name: "failed one is retried", ev: pciAdd, report: true, errHas: "insert e1000e", inserts: []string{"e1000e"}},
		{name: "no device is not an error", ev: "add@/devices/virtio3\x00SUBSYSTEM=virtio\x00MODALIAS=virtio:d00000004v00001AF4\x00",
			report: true, inserts: []string{"virtio_rng"}},
		{name: "virtio net with deps", ev: "add@/devices/virtio0\x00SUBSYSTEM=virtio\x00MODALIAS=virtio:d00000001v00001AF4\x00",
			report: true, loaded: []string{"failover", "net_failover", "virtio_net"},
			inserts: []string{"failover", "net_failover", "virtio_net"}},
	} {
		ev := mustParse(t, tc.ev)
		before := len(rec.calls)
		h, ok := l.handle(ev)
		if ok != tc.report {
			t.Fatalf("%s: reported=%v, want %v (%+v)", tc.name, ok, tc.report, h)
		}
		if calls := names(rec.calls[before:]); !reflect.DeepEqual(calls, tc.inserts) {
			t.Errorf("%s: inserted %v, want %v", tc.name, calls, tc.inserts)
		}
		if !ok {
			continue
		}
		if h.Action != ev.Action || h.Devpath != ev.Devpath || h.Modalias != ev.Modalias || h.Subsystem != ev.Subsystem {
			t.Errorf("%s: report %+v does not describe the event %+v", tc.name, h, ev)
		}
		if !reflect.DeepEqual(h.Loaded, tc.loaded) {
			t.Errorf("%s: Loaded = %v, want %v", tc.name, h.Loaded, tc.loaded)
		}
		if (tc.errHas == "") != (h.Err == nil) || (h.Err != nil && !strings.Contains(h.Err.Error(), tc.errHas)) {
			t.Errorf("%s: Err = %v, want %q", tc.name, h.Err, tc.errHas)
		}
	}
}

// names drops the parameters the recorder appends.
func names(calls []string) []string {
	var out []string
	for _, c := range calls {
		out = append(out, strings.Fields(c)[0])
	}
	return out
}

func TestIsLoaded(t *testing.T) {
	l := NewLoader(hotplugDB(t), (&recorder{}).insert, []string{"virtio-pci"})
	if err := l.Load("r8152"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"virtio_pci": true, "loop": true, "r8152": true, "mii": true,
		"sha256_generic": true, "e1000e": false, "nope": false} {
		if got := l.IsLoaded(name); got != want {
			t.Errorf("IsLoaded(%s) = %v, want %v", name, got, want)
		}
	}
}

// stacksWith reports whether any goroutine's stack mentions fn.
func stacksWith(fn string) bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeStops opens the real socket and checks that cancelling ctx
// wakes the goroutine blocked in recvfrom.
func TestServeStops(t *testing.T) {
	s, err := OpenUevents()
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoader(hotplugDB(t), (&recorder{}).insert, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ctx, l, func(Hotplug) {})
	}()
	waitFor(t, "the listener to block in recv", func() bool { return stacksWith("(*UeventSocket).recv") })
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return within 2s of cancel")
	}
	waitFor(t, "no goroutine left on the socket", func() bool { return !stacksWith("(*UeventSocket)") })
}

// TestUeventFromKernel asks the kernel to replay lo's add event (harmless:
// no state changes, no traffic) and checks it arrives parsed.
func TestUeventFromKernel(t *testing.T) {
	s, err := OpenUevents()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := make(chan Uevent, 64)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.Watch(ctx, func(ev Uevent) {
			select {
			case events <- ev:
			default: // never block the reader on a busy host
			}
		}, func(err error) { t.Errorf("read: %v", err) })
	}()
	if err := os.WriteFile("/sys/class/net/lo/uevent", []byte("add"), 0); err != nil {
		t.Fatalf("trigger uevent for lo: %v", err)
	}
	for {
		select {
		case ev := <-events:
			if ev.Devpath != "/devices/virtual/net/lo" {
				continue // another device's event; the host may be busy
			}
			if ev.Action != "add" || ev.Subsystem != "net" || ev.Env["INTERFACE"] != "lo" || ev.Seqnum == 0 || ev.Modalias != "" {
				t.Errorf("lo event = %+v", ev)
			}
			cancel()
			<-watched
			if _, err := s.Read(); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Read after Watch returned: %v, want os.ErrClosed", err)
			}
			return
		case <-ctx.Done():
			t.Fatal("no uevent for lo within 10s")
		}
	}
}

// TestServeReportsErrorsAndGoesOn shrinks the buffer so the kernel's
// messages arrive truncated: each is reported and the loop keeps reading.
func TestServeReportsErrorsAndGoesOn(t *testing.T) {
	s, err := OpenUevents()
	if err != nil {
		t.Fatal(err)
	}
	s.buf = make([]byte, 16)
	l := NewLoader(hotplugDB(t), (&recorder{}).insert, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reports := make(chan Hotplug, 64)
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(ctx, l, func(h Hotplug) {
			select {
			case reports <- h:
			default:
			}
		})
	}()
	for i := range 2 {
		if err := os.WriteFile("/sys/class/net/lo/uevent", []byte("add"), 0); err != nil {
			t.Fatalf("trigger uevent for lo: %v", err)
		}
		select {
		case h := <-reports:
			if h.Err == nil || !strings.Contains(h.Err.Error(), "truncated to 16") || h.Action != "" || h.Loaded != nil {
				t.Fatalf("report %d = %+v, want a truncation error only", i, h)
			}
		case <-ctx.Done():
			t.Fatalf("no error report %d within 10s", i)
		}
	}
	cancel()
	<-served
}
