// Package nodecfg gathers a node's configuration from its sources, in
// this order, later wins: the spec baked into the image, node.yaml on a
// FAT filesystem labelled KILNCFG, the kiln.config= URL, then kiln.*
// keys on the kernel command line. A bad override is reported and
// ignored: a node must boot with what it has.
package nodecfg

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/kiln-project/kiln/spec"
)

const (
	// Label is the FAT volume label of the node config partition.
	Label = "KILNCFG"
	// FileName is the node config on that partition.
	FileName = "node.yaml"
	// maxConfigSize bounds a node config read from a disk or the network.
	maxConfigSize = 1 << 20
	// defaultFetchTimeout bounds the kiln.config fetch: a missing server
	// must not hold up boot.
	defaultFetchTimeout = 10 * time.Second
)

// Sources says where to look. Zero fields take the defaults of a node.
type Sources struct {
	// SysDir, DevDir and RunDir are /sys, /dev and /run.
	SysDir, DevDir, RunDir string
	// Cmdline holds the kiln.* keys of the kernel command line without
	// their prefix: "config", "hostname", ...
	Cmdline map[string]string
	// HTTP fetches kiln.config; a plain client by default.
	HTTP *http.Client
	// FetchTimeout bounds the fetch, body included; 10 s by default.
	FetchTimeout time.Duration
	// NoFetch skips kiln.config, for a pass before the network is up.
	NoFetch bool
	// Mount mounts dev read-only on target and returns how to undo it;
	// a vfat mount by default. Tests without root replace it.
	Mount func(dev, target string) (unmount func() error, err error)
	// Label is the volume label to look for; Label by default.
	Label string
	// Log gets one line per source; discarded by default.
	Log *slog.Logger
}

func (s Sources) withDefaults() Sources {
	s.SysDir = cmp.Or(s.SysDir, "/sys")
	s.DevDir = cmp.Or(s.DevDir, "/dev")
	s.RunDir = cmp.Or(s.RunDir, "/run")
	s.Label = cmp.Or(s.Label, Label)
	s.FetchTimeout = cmp.Or(s.FetchTimeout, defaultFetchTimeout)
	if s.HTTP == nil {
		s.HTTP = &http.Client{}
	}
	if s.Mount == nil {
		s.Mount = mountVFAT
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Status is what became of one source.
type Status string

const (
	Used    Status = "used"
	Skipped Status = "skipped"
	Failed  Status = "failed"
)

// Entry is one source in a Report.
type Entry struct {
	// Source is "image", the partition label, "kiln.config" or the
	// command line key ("kiln.hostname", ...).
	Source string
	// From says where exactly: the device, the URL after substitution,
	// the key's value.
	From   string
	Status Status
	// Msg says why a source was skipped.
	Msg string
	// Err says why a source failed; what it held was ignored.
	Err error
}

// MarshalJSON writes the error as text, for the agent's event line.
func (e Entry) MarshalJSON() ([]byte, error) {
	out := struct {
		Source string `json:"source"`
		From   string `json:"from,omitempty"`
		Status Status `json:"status"`
		Msg    string `json:"msg,omitempty"`
		Error  string `json:"error,omitempty"`
	}{Source: e.Source, From: e.From, Status: e.Status, Msg: e.Msg}
	if e.Err != nil {
		out.Error = e.Err.Error()
	}
	return json.Marshal(out)
}

// Report lists every source looked at, in the order applied.
type Report []Entry

// Failed counts the sources whose overrides were ignored.
func (r Report) Failed() int {
	n := 0
	for _, e := range r {
		if e.Status == Failed {
			n++
		}
	}
	return n
}

// Resolve lays the node's overrides over base and reports each source.
// It never fails: a source that cannot be read or holds a bad config is
// reported and left out. The partition and the URL need their drivers
// loaded (block device, vfat, NIC) and, for the URL, the network up.
// ${hostname} in the URL is the hostname from the sources before it.
func Resolve(ctx context.Context, base *spec.Spec, src Sources) (*spec.Spec, Report) {
	r := &resolver{src: src.withDefaults()}
	s := base.WithNode(nil)
	r.note(Entry{Source: "image", Status: Used})
	s = r.apply(ctx, s, r.fromPartition)
	s = r.apply(ctx, s, r.fromURL)
	for _, k := range spec.NodeKeys() {
		v, ok := r.src.Cmdline[k]
		if !ok {
			continue
		}
		s = r.apply(ctx, s, func(context.Context, *spec.Spec) (Entry, *spec.Node) {
			n, err := spec.ParseNodeKV(k, v)
			return outcome(Entry{Source: "kiln." + k, From: v}, n, err)
		})
	}
	return s, r.report
}

type resolver struct {
	src    Sources
	report Report
}

// source reads one source; it sees the spec as resolved so far.
type source func(ctx context.Context, s *spec.Spec) (Entry, *spec.Node)

func (r *resolver) apply(ctx context.Context, s *spec.Spec, read source) *spec.Spec {
	e, n := read(ctx, s)
	r.note(e)
	if e.Status == Used && n != nil {
		return s.WithNode(n)
	}
	return s
}

func (r *resolver) note(e Entry) {
	r.report = append(r.report, e)
	switch e.Status {
	case Failed:
		r.src.Log.Warn("node config source ignored", "source", e.Source, "from", e.From, "err", e.Err)
	default:
		r.src.Log.Info("node config source", "source", e.Source, "from", e.From, "status", e.Status, "msg", e.Msg)
	}
}

// outcome turns a parse result into the entry for its source.
func outcome(e Entry, n *spec.Node, err error) (Entry, *spec.Node) {
	if err != nil {
		e.Status, e.Err = Failed, err
		return e, nil
	}
	e.Status = Used
	return e, n
}
