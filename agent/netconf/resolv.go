package netconf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dnsConfig is what resolv.conf says.
type dnsConfig struct {
	servers []string
	search  []string
}

// renderResolv writes nameserver and search lines; empty config gives
// no bytes.
func renderResolv(c dnsConfig) []byte {
	if len(c.servers) == 0 && len(c.search) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("# Written by the kiln agent from network.dns and DHCP.\n")
	for _, s := range c.servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(c.search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(c.search, " "))
	}
	return b.Bytes()
}

// dns gathers the spec's servers and search domains first, then each
// lease's in link-name order, without duplicates.
func (m *Manager) dns() dnsConfig {
	c := dnsConfig{}
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, s := range m.cfg.DNS {
		add(&c.servers, s)
	}
	for _, s := range m.cfg.Search {
		add(&c.search, s)
	}
	for _, l := range m.leases() {
		for _, ip := range l.dns {
			add(&c.servers, ip.String())
		}
		for _, s := range l.search {
			add(&c.search, s)
		}
	}
	return c
}

// leases returns the current leases in link-name order.
func (m *Manager) leases() []*lease {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.links))
	for n := range m.links {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []*lease
	for _, n := range names {
		if l := m.links[n].lease; l != nil {
			out = append(out, l)
		}
	}
	return out
}

// writeResolv rewrites resolv.conf when its content changes. A node
// with no DNS anywhere never gets an empty file written over one that
// was there.
func (m *Manager) writeResolv() {
	m.resolvMu.Lock()
	defer m.resolvMu.Unlock()
	data := renderResolv(m.dns())
	if bytes.Equal(data, m.lastResolv) {
		return
	}
	if err := writeAtomic(m.opts.ResolvConf, data); err != nil {
		m.log.Error("write resolv.conf", "err", err)
		return
	}
	m.lastResolv = data
	m.notify()
}

// writeAtomic replaces path with data through a temp file in the same
// directory, so readers never see half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create temp file for %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", f.Name(), path, err)
	}
	return nil
}

// DHCPHostname is option 12 of the first lease (by link name) that has
// one, or "".
func (m *Manager) DHCPHostname() string {
	for _, l := range m.leases() {
		if l.hostname != "" {
			return l.hostname
		}
	}
	return ""
}

// NTPServers are the leases' option 42 servers in link-name order,
// without duplicates.
func (m *Manager) NTPServers() []string {
	var out []string
	for _, l := range m.leases() {
		for _, ip := range l.ntp {
			if s := ip.String(); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
