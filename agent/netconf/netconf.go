// Package netconf brings the node's links up from spec.Network: static
// addresses, routes, MTU and VLANs, DHCPv4 on every link in parallel with
// renewal, and /etc/resolv.conf. Links that have no carrier or no DHCP
// answer keep trying in the background; boot waits for them at most
// network.wait.
package netconf

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kiln-project/kiln/spec"
)

// DefaultWait bounds Up when spec network.wait is empty.
const DefaultWait = 30 * time.Second

// Options tunes Up; the zero value is right for PID 1.
type Options struct {
	// ResolvConf is the file DNS settings are written to
	// (default /etc/resolv.conf).
	ResolvConf string
	// NetNSPath, when set, is a network namespace (/run/netns/x) that
	// every netlink call and socket is made in; tests use it. Empty
	// means the caller's namespace.
	NetNSPath string
	// Kinds are the netlink link kinds managed (default "device": real
	// NICs; veth, bridges and tunnels made by others are left alone).
	Kinds []string
	// DHCPTimeout is how long one DHCP exchange waits for an answer
	// before retransmitting (default 2s).
	DHCPTimeout time.Duration
	// RetryMax caps the backoff between acquisition attempts of a link
	// without carrier or answer (default 30s).
	RetryMax time.Duration
	// Logger receives progress and errors (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ResolvConf == "" {
		o.ResolvConf = "/etc/resolv.conf"
	}
	if len(o.Kinds) == 0 {
		o.Kinds = []string{"device"}
	}
	if o.DHCPTimeout <= 0 {
		o.DHCPTimeout = 2 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Manager owns the configured links and the goroutines that keep their
// leases; Close stops them all.
type Manager struct {
	cfg  spec.Network
	opts Options
	log  *slog.Logger
	nl   *netlink.Handle
	ns   netns.NsHandle

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	links   map[string]*linkState
	changes chan struct{} // public: one pending signal, coalesced
	kick    chan struct{} // internal: wakes Up's wait loop

	resolvMu   sync.Mutex // serialises resolv.conf writes
	lastResolv []byte
}

// Up configures every matching link and returns once all are configured
// or cfg.Wait has passed, whichever comes first; links still waiting keep
// trying in the background until Close. ctx bounds only the wait: the
// Manager lives until Close. An error means nothing could be managed
// (namespace, loopback or link listing failed).
func Up(ctx context.Context, cfg spec.Network, opts Options) (*Manager, error) {
	wait, err := parseWait(cfg.Wait)
	if err != nil {
		return nil, err
	}
	m, err := newManager(ctx, cfg, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	if err := m.start(); err != nil {
		m.Close(context.Background())
		return nil, err
	}
	m.waitConfigured(ctx, wait)
	return m, nil
}

func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return DefaultWait, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("network.wait %q: want a Go duration such as 30s", s)
	}
	return d, nil
}

func newManager(ctx context.Context, cfg spec.Network, opts Options) (*Manager, error) {
	m := &Manager{
		cfg: cfg, opts: opts, log: opts.Logger, ns: netns.None(),
		links:   map[string]*linkState{},
		changes: make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
	}
	var err error
	if opts.NetNSPath != "" {
		if m.ns, err = netns.GetFromPath(opts.NetNSPath); err != nil {
			return nil, fmt.Errorf("open network namespace %s: %w", opts.NetNSPath, err)
		}
		m.nl, err = netlink.NewHandleAt(m.ns, unix.NETLINK_ROUTE)
	} else {
		m.nl, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	if err != nil {
		m.closeNS()
		return nil, fmt.Errorf("open netlink socket: %w", err)
	}
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return m, nil
}

// start brings lo up, plans and starts every link present now, and
// watches for links that appear later (hotplugged NICs).
func (m *Manager) start() error {
	lo, err := m.nl.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find loopback: %w", err)
	}
	if err := m.nl.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	links, err := m.listLinks()
	if err != nil {
		return err
	}
	m.writeResolv()
	for _, l := range links {
		m.adopt(l)
	}
	return m.watchLinks()
}

// waitConfigured returns when every managed link is configured, the wait
// elapses or ctx ends.
func (m *Manager) waitConfigured(ctx context.Context, wait time.Duration) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for !m.allConfigured() {
		select {
		case <-m.kick:
		case <-timer.C:
			m.log.Warn("network wait elapsed; unconfigured links keep trying", "wait", wait)
			return
		case <-ctx.Done():
			return
		}
	}
}

// allConfigured reports whether no link is still waiting; failed links
// count as settled since waiting cannot fix them.
func (m *Manager) allConfigured() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ls := range m.links {
		if ls.status.State == StateNoCarrier || ls.status.State == StateNoAnswer {
			return false
		}
	}
	return true
}

// Changes signals (coalesced) whenever a link's state, lease, DNS,
// hostname or NTP servers change. It is never closed.
func (m *Manager) Changes() <-chan struct{} { return m.changes }

// notify wakes Up's wait and the public Changes listener without
// blocking either.
func (m *Manager) notify() {
	for _, ch := range []chan struct{}{m.kick, m.changes} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Status returns every managed link, sorted by name.
func (m *Manager) Status() []LinkStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]LinkStatus, 0, len(m.links))
	for _, ls := range m.links {
		s := ls.status
		s.Addresses = slices.Clone(s.Addresses)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b LinkStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Close releases every DHCP lease, stops all goroutines and waits for
// them until ctx ends. Addresses stay on links only where release failed.
func (m *Manager) Close(ctx context.Context) error {
	m.cancel()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("stop network goroutines: %w", ctx.Err())
	}
	m.nl.Close()
	m.closeNS()
	return err
}

func (m *Manager) closeNS() {
	if m.ns.IsOpen() {
		m.ns.Close()
	}
}
