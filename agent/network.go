package agent

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kiln-project/kiln/agent/netconf"
	"github.com/kiln-project/kiln/agent/nodecfg"
	"github.com/kiln-project/kiln/agent/timesync"
	"github.com/kiln-project/kiln/spec"
	"github.com/kiln-project/kiln/spec/layout"
)

// network brings the links up. It returns once every link is configured
// or network.wait has passed: a missing cable or DHCP server must not
// stall boot; those links keep trying in the background.
func (n *node) network(ctx context.Context, log *slog.Logger) (Outcome, error) {
	if n.spec == nil {
		return Outcome{Skipped: true, Msg: "no spec"}, nil
	}
	cfg := n.spec.Network
	if ip, ok := n.kernelArgs["ip"]; ok {
		kip, err := netconf.ParseKernelIP(ip)
		if err != nil {
			return Outcome{}, fmt.Errorf("kernel ip=%s: %w", ip, err)
		}
		cfg, n.kernelNTP = kip.Network, kip.NTP
		if kip.Hostname != "" && n.spec.Hostname == "" {
			n.spec.Hostname = kip.Hostname
		}
	}
	if err := n.loadFor(cfg); err != nil {
		return Outcome{}, err
	}
	m, err := netconf.Up(ctx, cfg, netconf.Options{Logger: log})
	if err != nil {
		return Outcome{}, err
	}
	n.net = m
	links := m.Status()
	waiting := 0
	for _, l := range links {
		if l.State != netconf.StateConfigured {
			waiting++
		}
	}
	out := Outcome{Data: map[string]any{"links": links}}
	if waiting > 0 {
		out.Msg = fmt.Sprintf("%d of %d links still waiting; retrying in the background", waiting, len(links))
	}
	return out, nil
}

// fetchConfig applies kiln.config=URL once the network is up.
func (n *node) fetchConfig(ctx context.Context) (Outcome, error) {
	if _, ok := n.cmdline["config"]; !ok || n.spec == nil {
		return Outcome{Skipped: true, Msg: "no kiln.config"}, nil
	}
	resolved, rep := nodecfg.Resolve(ctx, n.spec, nodecfg.Sources{Cmdline: n.cmdline})
	n.spec = resolved
	return Outcome{Data: map[string]any{"sources": rep}}, reportErr(rep)
}

// syncTime steps the clock from NTP before anything checks certificates:
// spec servers, else the kernel ip= ones, else DHCP option 42.
func (n *node) syncTime(ctx context.Context) (Outcome, error) {
	var servers []string
	switch {
	case n.spec != nil && len(n.spec.Time.NTP) > 0:
		servers = n.spec.Time.NTP
	case len(n.kernelNTP) > 0:
		servers = n.kernelNTP
	case n.net != nil:
		servers = n.net.NTPServers()
	}
	if len(servers) == 0 {
		return Outcome{Skipped: true, Msg: "no NTP servers (time.ntp, ip= or DHCP option 42)"}, nil
	}
	r, err := timesync.Sync(ctx, servers, timesync.Options{})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Data: map[string]any{"server": r.Server, "offset_ms": r.Offset.Milliseconds(),
		"stepped": r.Stepped, "rtt_ms": r.RTT.Milliseconds()}}, nil
}

// loadFor loads the modules a network config needs that no device alias
// brings in: the VLAN module (the builder packed it).
func (n *node) loadFor(cfg spec.Network) error {
	if n.loader == nil {
		return nil
	}
	for _, i := range cfg.Interfaces {
		if len(i.VLANs) > 0 {
			if err := n.loader.Load(layout.VLANModule); err != nil {
				return fmt.Errorf("network.interfaces: VLANs need %s: %w", layout.VLANModule, err)
			}
			return nil
		}
	}
	return nil
}
