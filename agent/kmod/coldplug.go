package kmod

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Report says what a coldplug pass did.
type Report struct {
	Loaded  []string          `json:"loaded"`
	Rounds  int               `json:"rounds"`
	Devices int               `json:"devices"`
	Failed  map[string]string `json:"failed,omitempty"`
}

// maxRounds bounds the rescans: each round can only add devices that a
// module loaded in the previous one created (virtio_pci makes the virtio
// devices virtio_net then serves), so chains are short.
const maxRounds = 8

// Coldplug loads a module for every device under sysDir/bus/*/devices
// whose modalias matches, rescanning until a round loads nothing new.
// A module that fails to load is reported and the rest go on.
func Coldplug(ctx context.Context, l *Loader, sysDir string) (Report, error) {
	rep := Report{Failed: map[string]string{}}
	tried := map[string]bool{}
	for rep.Rounds < maxRounds {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("coldplug: %w", err)
		}
		rep.Rounds++
		aliases, err := Modaliases(sysDir)
		if err != nil {
			return rep, err
		}
		rep.Devices = len(aliases)
		if n := l.loadMatches(aliases, tried, rep.Failed); n == 0 {
			break
		}
	}
	rep.Loaded = l.Loaded()
	if len(rep.Failed) > 0 {
		return rep, fmt.Errorf("coldplug: %d modules failed to load", len(rep.Failed))
	}
	return rep, nil
}

// loadMatches tries every not-yet-tried module that matches one of the
// aliases and returns how many it tried.
func (l *Loader) loadMatches(aliases []string, tried map[string]bool, failed map[string]string) int {
	n := 0
	for _, a := range aliases {
		for _, m := range l.db.Match(a) {
			if tried[m] {
				continue
			}
			tried[m] = true
			n++
			if err := l.Load(m); err != nil && !errors.Is(err, unix.ENODEV) {
				failed[m] = err.Error()
			}
		}
	}
	return n
}

// Modaliases lists the modalias of every device on every bus, sorted.
func Modaliases(sysDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sysDir, "bus/*/devices/*/modalias"))
	if err != nil {
		return nil, fmt.Errorf("list modaliases: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if a := strings.TrimSpace(string(b)); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, nil
}
