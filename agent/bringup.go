package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kiln-project/kiln/agent/boot"
	"github.com/kiln-project/kiln/agent/kmod"
	"github.com/kiln-project/kiln/agent/netconf"
	"github.com/kiln-project/kiln/agent/nodecfg"
	"github.com/kiln-project/kiln/spec"
	"github.com/kiln-project/kiln/spec/event"
	"github.com/kiln-project/kiln/spec/layout"
)

// bringUp runs the boot phases, then reports ready.
func (a *Agent) bringUp(ctx context.Context) *node {
	n := &node{cmdline: Cmdline{}}
	phases := []Phase{
		{Name: "mounts", Critical: true, Run: a.mounts},
		{Name: "modules", Run: func(ctx context.Context) (Outcome, error) { return n.loadModules(ctx, a.em) }},
		{Name: "config", Run: n.loadConfig},
		{Name: "entropy", Run: waitEntropy},
		{Name: "network", Run: func(ctx context.Context) (Outcome, error) { return n.network(ctx, a.log) }},
		{Name: "config-url", Run: n.fetchConfig},
		{Name: "hostname", Run: n.setHostname},
		{Name: "time", Run: n.syncTime},
		{Name: "powerbutton", Run: a.watchPowerButton},
		{Name: "debugshell", Run: func(ctx context.Context) (Outcome, error) { return a.debugShell(ctx, n) }},
	}
	start := time.Now()
	res := RunPhases(ctx, a.em, phases)
	if last := res[len(res)-1]; last.Fatal {
		a.fatal(last.Err)
	}
	failed := 0
	for _, r := range res {
		if r.Status == event.Fail {
			failed++
		}
	}
	a.em.Emit(event.Event{Phase: event.PhaseReady, Status: event.OK, MS: time.Since(start).Milliseconds(),
		Data: map[string]any{"failed_phases": failed, "release": n.release}})
	return n
}

// fatal counts down and reboots: a node that cannot mount /proc can do
// nothing, and a reboot is the only way back for an unattended machine.
func (a *Agent) fatal(err error) {
	for i := 10; i > 0; i-- {
		a.em.Println(fmt.Sprintf("kiln: fatal: %v; rebooting in %d s", err, i))
		time.Sleep(time.Second)
	}
	a.doShutdown(boot.Reboot)
}

func (a *Agent) mounts(ctx context.Context) (Outcome, error) {
	mounted, err := boot.MountAll("/", boot.EarlyMounts())
	if err != nil {
		return Outcome{}, err
	}
	if err := boot.LinkPtmx("/"); err != nil {
		return Outcome{}, err
	}
	consoles, cerr := a.em.Attach("/sys", "/dev")
	if cerr != nil {
		a.log.Warn("consoles", "err", cerr)
	}
	return Outcome{Data: map[string]any{"mounted": mounted, "consoles": consoles,
		"root_bound": os.Getenv(boot.BoundEnv) == "1"}}, nil
}

func (n *node) loadConfig(ctx context.Context) (Outcome, error) {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return Outcome{}, fmt.Errorf("read kernel command line: %w", err)
	}
	n.cmdline, n.kernelArgs = ParseCmdline(string(b)), KernelArgs(string(b), "ip")
	data, err := os.ReadFile(layout.Spec)
	if err != nil {
		return Outcome{}, fmt.Errorf("read baked spec: %w", err)
	}
	s, err := spec.Parse(layout.Spec, data)
	if err != nil {
		return Outcome{}, fmt.Errorf("baked spec: %w", err)
	}
	// kiln.config needs the network; the config-url phase fetches it.
	resolved, rep := nodecfg.Resolve(ctx, s, nodecfg.Sources{Cmdline: n.cmdline, NoFetch: true})
	n.spec = resolved
	return Outcome{Data: map[string]any{"name": s.Name, "cmdline": n.cmdline, "sources": rep}}, reportErr(rep)
}

// reportErr turns failed config sources into the phase's error: they were
// ignored, and the event must say so.
func reportErr(rep nodecfg.Report) error {
	if rep.Failed() == 0 {
		return nil
	}
	return fmt.Errorf("%d node config sources failed and were ignored", rep.Failed())
}

func (n *node) loadModules(ctx context.Context, em Emitter) (Outcome, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return Outcome{}, fmt.Errorf("uname: %w", err)
	}
	n.release = unix.ByteSliceToString(uts.Release[:])
	dir := filepath.Join(layout.ModulesDir, n.release)
	if _, err := os.Stat(dir); err != nil {
		return Outcome{Skipped: true, Msg: "no modules for " + n.release}, nil
	}
	db, err := kmod.Open(dir, layout.ModprobeDir)
	if err != nil {
		return Outcome{}, err
	}
	var already []string
	if f, err := os.Open("/proc/modules"); err == nil {
		already = kmod.ProcModules(f)
		f.Close()
	}
	l := kmod.NewLoader(db, kmod.Insert, already)
	n.loader = l
	var errs []error
	for _, m := range layout.NamedModules() {
		if db.Known(m) {
			errs = append(errs, l.Load(m))
		}
	}
	// Listen before coldplug so a device that appears meanwhile is not
	// missed; the Loader skips what coldplug already loaded.
	sock, serr := kmod.OpenUevents()
	rep, err := kmod.Coldplug(ctx, l, "/sys")
	errs = append(errs, err)
	if serr != nil {
		errs = append(errs, fmt.Errorf("hotplug: %w", serr))
	} else {
		Go(em, "hotplug", func() { sock.Serve(ctx, l, hotplugReporter(em)) })
	}
	return Outcome{Data: map[string]any{"loaded": rep.Loaded, "rounds": rep.Rounds,
		"devices": rep.Devices, "failed": rep.Failed}}, errors.Join(errs...)
}

// waitEntropy reports when the kernel CRNG is ready: Go's crypto blocks
// until then, and under TCG without virtio-rng that took minutes.
func waitEntropy(ctx context.Context) (Outcome, error) {
	buf := make([]byte, 1)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := unix.Getrandom(buf, unix.GRND_NONBLOCK)
		if err == nil {
			return Outcome{Msg: "crng ready"}, nil
		}
		if !errors.Is(err, unix.EAGAIN) {
			return Outcome{}, fmt.Errorf("getrandom: %w", err)
		}
		if time.Now().After(deadline) {
			return Outcome{}, errors.New("kernel CRNG not ready after 60 s; add a hardware RNG (virtio-rng in QEMU)")
		}
		select {
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// setHostname picks the spec's hostname, else DHCP's, else kiln-<mac>.
func (n *node) setHostname(ctx context.Context) (Outcome, error) {
	name, from := "", ""
	switch {
	case n.spec != nil && n.spec.Hostname != "":
		name, from = n.spec.Hostname, "spec"
	case n.net != nil && n.net.DHCPHostname() != "":
		name, from = n.net.DHCPHostname(), "dhcp"
	case n.net != nil:
		name, from = netconf.DefaultHostname(n.net.Status()), "mac"
	case n.spec != nil:
		name, from = n.spec.Name, "name"
	default:
		name, from = "kiln", "default"
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return Outcome{}, fmt.Errorf("set hostname %q: %w", name, err)
	}
	_ = os.WriteFile("/etc/hostname", []byte(name+"\n"), 0o644)
	return Outcome{Data: map[string]any{"hostname": name, "from": from}}, nil
}

func (a *Agent) watchPowerButton(ctx context.Context) (Outcome, error) {
	devs := boot.FindPowerButton("/sys", "/dev")
	if len(devs) == 0 {
		return Outcome{Skipped: true, Msg: "no power button"}, nil
	}
	for _, d := range devs {
		f, err := os.Open(d)
		if err != nil {
			return Outcome{}, fmt.Errorf("open power button %s: %w", d, err)
		}
		Go(a.em, "powerbutton", func() {
			defer f.Close()
			if err := boot.WaitPowerButton(ctx, f); err == nil {
				a.log.Info("power button pressed")
				a.requestShutdown(boot.PowerOff)
			}
		})
	}
	return Outcome{Data: map[string]any{"devices": strings.Join(devs, ",")}}, nil
}

// hotplugReporter turns each hotplug load into an event.
func hotplugReporter(em Emitter) func(kmod.Hotplug) {
	return func(h kmod.Hotplug) {
		ev := event.Event{Phase: "hotplug", Status: event.OK, Data: map[string]any{
			"action": h.Action, "devpath": h.Devpath, "modalias": h.Modalias, "loaded": h.Loaded}}
		if h.Err != nil {
			ev.Status, ev.Error = event.Fail, h.Err.Error()
		}
		em.Emit(ev)
	}
}
