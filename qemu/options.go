// Package qemu boots a kernel and initramfs in QEMU, copies the serial
// console out live, reads the agent's console events from it and decides
// whether the boot succeeded.
package qemu

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultBinary  = "qemu-system-x86_64"
	defaultMem     = "512M"
	defaultCPUs    = 2
	defaultMachine = "pc"
)

// Options say what to boot and how.
type Options struct {
	// Kernel is the bzImage to boot; required.
	Kernel string
	// Initrd is the initramfs; empty boots the kernel alone.
	Initrd string
	// Cmdline is passed to the kernel as is: the build already put
	// console=ttyS0 and panic=10 in it.
	Cmdline string
	// Accel is auto (default), kvm or tcg.
	Accel string
	// Mem is QEMU's -m; default 512M.
	Mem string
	// CPUs is QEMU's -smp; default 2.
	CPUs int
	// Machine is QEMU's -machine; default pc. Under TCG the i440fx pc
	// boots the Debian kernel to its root mount ~0.1 s sooner than q35:
	// fewer devices for SeaBIOS and the kernel to set up, no built-in
	// AHCI. Use q35 for what needs PCIe or SMM.
	Machine string
	// Timeout bounds the whole run; zero means none.
	Timeout time.Duration
	// Expect, when set, stops the VM once the console matches it.
	Expect *regexp.Regexp
	// Console receives the serial output as it comes; nil drops it.
	Console io.Writer
	// Stdin is copied to the serial console's input; nil gives none.
	Stdin io.Reader
	// Binary is the QEMU to run; default qemu-system-x86_64.
	Binary string
	// GuestFwd forwards a guest address to a host service on loopback,
	// e.g. "tcp:10.0.2.100:80-tcp:127.0.0.1:8080": the guest can reach
	// that one port even with restrict=on, and nothing else.
	GuestFwd []string
	// ExtraArgs go last on QEMU's command line. Networking arguments
	// among them must be user-mode with restrict=on.
	ExtraArgs []string
	// Log gets progress and malformed events; nil discards.
	Log *slog.Logger
}

// withDefaults checks o and fills in what was left empty.
func (o Options) withDefaults() (Options, error) {
	if o.Kernel == "" {
		return o, fmt.Errorf("qemu options: Kernel is empty: pass the vmlinuz that kiln build wrote")
	}
	for _, f := range []struct{ field, path string }{{"Kernel", o.Kernel}, {"Initrd", o.Initrd}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return o, fmt.Errorf("qemu options: %s: %w (run kiln build first?)", f.field, err)
		}
	}
	switch o.Accel {
	case "":
		o.Accel = AccelAuto
	case AccelAuto, AccelKVM, AccelTCG:
	default:
		return o, fmt.Errorf("qemu options: Accel %q: want auto, kvm or tcg", o.Accel)
	}
	if o.CPUs < 0 {
		return o, fmt.Errorf("qemu options: CPUs %d: want a positive count (0 means %d)", o.CPUs, defaultCPUs)
	}
	if o.CPUs == 0 {
		o.CPUs = defaultCPUs
	}
	o.Mem = cmp.Or(o.Mem, defaultMem)
	o.Machine = cmp.Or(o.Machine, defaultMachine)
	o.Binary = cmp.Or(o.Binary, defaultBinary)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := checkNetArgs(o.ExtraArgs); err != nil {
		return o, fmt.Errorf("qemu options: ExtraArgs: %w", err)
	}
	for _, r := range o.GuestFwd {
		if err := checkGuestFwd(r); err != nil {
			return o, fmt.Errorf("qemu options: GuestFwd: %w", err)
		}
	}
	return o, nil
}

// args is QEMU's command line for accel (kvm or tcg, not auto).
func (o Options) args(accel string) []string {
	a := []string{"-machine", o.Machine}
	if accel == AccelKVM {
		// -cpu host: the guest sees the real CPU; the default qemu64
		// model asks KVM for features some hosts lack.
		a = append(a, "-accel", "kvm", "-cpu", "host")
	} else {
		a = append(a, "-accel", "tcg,thread=multi")
	}
	a = append(a,
		"-m", o.Mem,
		"-smp", strconv.Itoa(o.CPUs),
		"-display", "none", "-vga", "none", "-nodefaults", "-no-reboot",
		"-serial", "stdio",
		"-kernel", o.Kernel,
	)
	if o.Initrd != "" {
		a = append(a, "-initrd", o.Initrd)
	}
	if o.Cmdline != "" {
		a = append(a, "-append", o.Cmdline)
	}
	a = append(a,
		// Without an entropy source the guest's CRNG took 131 s under TCG.
		"-device", "virtio-rng-pci",
		// restrict=on: the guest reaches nothing outside QEMU's own
		// user-mode network. That is a hard rule.
		"-netdev", "user,id=n0,restrict=on"+guestFwd(o.GuestFwd),
		"-device", "virtio-net-pci,netdev=n0",
	)
	return append(a, o.ExtraArgs...)
}

// checkNetArgs keeps extra networking inside QEMU: every -netdev, -nic
// or -net must be user-mode with restrict=on.
func checkNetArgs(args []string) error {
	for i, a := range args {
		flag := "-" + strings.TrimLeft(a, "-")
		if flag != "-netdev" && flag != "-nic" && flag != "-net" {
			continue
		}
		if i+1 >= len(args) {
			return fmt.Errorf("%s has no value", a)
		}
		v := args[i+1]
		typ, _, _ := strings.Cut(v, ",")
		if typ == "nic" && flag == "-net" {
			continue
		}
		if typ != "user" || !hasOpt(v, "restrict", "on", "yes", "true", "y") {
			return fmt.Errorf("%s %s: only user-mode networking with restrict=on is allowed (the guest must not reach outside networks)", a, v)
		}
	}
	return nil
}

// hasOpt reports whether a QEMU option string sets key to one of vals.
func hasOpt(opts, key string, vals ...string) bool {
	for _, kv := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k == key && slices.Contains(vals, v) {
			return true
		}
	}
	return false
}

// guestFwd renders guestfwd= options for the user-mode netdev.
func guestFwd(rules []string) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(",guestfwd=" + r)
	}
	return b.String()
}

// checkGuestFwd allows only "tcp:GUEST:PORT-tcp:127.x.x.x:PORT": the
// guest may reach a service on this machine's loopback, nowhere else.
// The host side must be a literal address (a name like 127.example.org
// could resolve anywhere), and no comma may add netdev options such as
// restrict=off.
func checkGuestFwd(r string) error {
	guest, host, _ := strings.Cut(r, "-")
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(host, "tcp:"))
	ok := strings.HasPrefix(guest, "tcp:") && strings.HasPrefix(host, "tcp:") &&
		err == nil && ap.Addr().Is4() && ap.Addr().IsLoopback() && !strings.Contains(r, ",")
	if !ok {
		return fmt.Errorf("%q: want tcp:GUEST-IP:PORT-tcp:127.0.0.1:PORT", r)
	}
	return nil
}
