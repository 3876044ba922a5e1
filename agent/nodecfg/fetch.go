package nodecfg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-project/kiln/spec"
)

// fromURL fetches the node config named by kiln.config=.
func (r *resolver) fromURL(ctx context.Context, s *spec.Spec) (Entry, *spec.Node) {
	e := Entry{Source: "kiln.config"}
	raw, ok := r.src.Cmdline["config"]
	switch {
	case !ok:
		e.Status, e.Msg = Skipped, "not on the kernel command line"
		return e, nil
	case r.src.NoFetch:
		e.Status, e.From, e.Msg = Skipped, raw, "fetching is off for this pass"
		return e, nil
	}
	e.From = raw
	u, err := expand(raw, r.vars(s))
	if err != nil {
		e.Status, e.Err = Failed, err
		return e, nil
	}
	e.From = u
	data, err := fetch(ctx, r.src.HTTP, u, r.src.FetchTimeout)
	if err != nil {
		e.Status, e.Err = Failed, err
		return e, nil
	}
	n, err := spec.ParseNode(u, data)
	return outcome(e, n, err)
}

// vars looks up what ${name} in kiln.config stands for, only when used:
// a URL without ${uuid} must work on a machine without DMI.
func (r *resolver) vars(s *spec.Spec) func(name string) (string, error) {
	return func(name string) (string, error) {
		switch name {
		case "mac":
			return firstMAC(r.src.SysDir)
		case "uuid":
			return productUUID(r.src.SysDir)
		case "hostname":
			return s.EffectiveHostname(), nil
		}
		return "", fmt.Errorf("unknown variable ${%s}; kiln.config knows ${mac}, ${uuid} and ${hostname}", name)
	}
}

// expand replaces each ${name} in raw with lookup(name).
func expand(raw string, lookup func(string) (string, error)) (string, error) {
	var b strings.Builder
	rest := raw
	for {
		before, after, found := strings.Cut(rest, "${")
		b.WriteString(before)
		if !found {
			return b.String(), nil
		}
		name, tail, closed := strings.Cut(after, "}")
		if !closed {
			return "", fmt.Errorf("kiln.config=%s: ${ without a closing }", raw)
		}
		v, err := lookup(name)
		if err != nil {
			return "", fmt.Errorf("kiln.config=%s: %w", raw, err)
		}
		b.WriteString(v)
		rest = tail
	}
}

// firstMAC is the address of the Ethernet link with the lowest index,
// lowercase and colon-separated: the one a DHCP server or an inventory
// most likely knows the machine by.
func firstMAC(sysDir string) (string, error) {
	dir := filepath.Join(sysDir, "class", "net")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("${mac}: list network links: %w", err)
	}
	best, bestIndex := "", -1
	for _, e := range entries {
		link := filepath.Join(dir, e.Name())
		// Type 1 is ARPHRD_ETHER; loopback (772) and tunnels are not it.
		if readTrim(filepath.Join(link, "type")) != "1" {
			continue
		}
		hw, err := net.ParseMAC(readTrim(filepath.Join(link, "address")))
		if err != nil || len(hw) != 6 || string(hw) == string(make([]byte, 6)) {
			continue
		}
		idx, err := strconv.Atoi(readTrim(filepath.Join(link, "ifindex")))
		if err != nil {
			continue
		}
		if bestIndex < 0 || idx < bestIndex {
			best, bestIndex = strings.ToLower(hw.String()), idx
		}
	}
	if best == "" {
		return "", errors.New("${mac}: no Ethernet link with an address (are its drivers loaded?)")
	}
	return best, nil
}

func productUUID(sysDir string) (string, error) {
	path := filepath.Join(sysDir, "class", "dmi", "id", "product_uuid")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("${uuid}: %w", err)
	}
	u := strings.ToLower(strings.TrimSpace(string(b)))
	if u == "" {
		return "", fmt.Errorf("${uuid}: %s is empty", path)
	}
	return u, nil
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// fetch GETs u within timeout and at most maxConfigSize bytes.
func fetch(ctx context.Context, c *http.Client, u string, timeout time.Duration) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, fmt.Errorf("kiln.config=%s: want an http:// or https:// URL", u)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch node config %s: %w", u, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch node config: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch node config %s: server answered %s", u, resp.Status)
	}
	data, err := readConfig(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("fetch node config %s: %w", u, err)
	}
	return data, nil
}
