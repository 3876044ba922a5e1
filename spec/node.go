package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Node is what one machine may set for itself over the spec baked into
// its image: a node.yaml (KILNCFG partition, kiln.config= URL) or kiln.*
// keys on the kernel command line. Only node-level fields are here; what
// is built into the image (kernel, firmware, agent) cannot change per
// node. Hub settings will join them.
//
// The merge rule (see WithNode): a field set here replaces the spec's
// field as a whole. A network block replaces the spec's whole network
// block, since a node that describes its links describes all of them;
// fields not set (empty hostname, absent network or time) leave the
// spec's as they were.
type Node struct {
	// Hostname, when not empty, replaces the spec's hostname.
	Hostname string `yaml:"hostname"`
	// Network, when set, replaces the spec's network block.
	Network *Network `yaml:"network"`
	// Time, when set, replaces the spec's time block.
	Time *Time `yaml:"time"`

	// DNS, Wait and NTP come from kiln.dns=, kiln.wait= and kiln.ntp=.
	// Each replaces just its one field, after the blocks above: a DNS
	// server given on the command line must not drop the spec's links.
	DNS  []string `yaml:"-"`
	Wait string   `yaml:"-"`
	NTP  []string `yaml:"-"`
}

// ParseNode decodes and validates a node.yaml with the same strictness,
// defaults and positioned errors as Parse. An empty file is an empty
// Node: no overrides.
func ParseNode(file string, data []byte) (*Node, error) {
	const what = "node config"
	root, _, fe := readDocument(file, what, data)
	if fe != nil {
		return nil, Errors{fe}
	}
	var n Node
	if root == nil {
		return &n, nil
	}
	d := newDecoder(file, what)
	d.rootHints = imageOnlyHints()
	if err := d.decode(root, reflect.ValueOf(&n).Elem(), func() { d.checkNode(&n) }); err != nil {
		return nil, err
	}
	return &n, nil
}

// imageOnlyHints explain, for each spec field a Node lacks, why a node
// config may not set it.
func imageOnlyHints() map[string]string {
	node := fieldsOf(reflect.TypeFor[Node]()).names()
	hints := map[string]string{}
	for _, f := range fieldsOf(reflect.TypeFor[Spec]()).names() {
		if slices.Contains(node, f) {
			continue
		}
		hints[f] = fmt.Sprintf("%s is built into the image and cannot be set per node", f)
	}
	hints["name"] = "name is the appliance's and built into the image; set hostname to name this node"
	return hints
}

func (d *decoder) checkNode(n *Node) {
	d.checkHostname(n.Hostname)
	if n.Network != nil {
		d.checkNetwork(n.Network)
	}
	if n.Time != nil {
		d.checkTime(n.Time)
	}
}

// EffectiveHostname is the hostname the node takes from its spec:
// Hostname, else Name.
func (s *Spec) EffectiveHostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return s.Name
}

// WithNode returns a copy of s with n's fields laid over it by the rule
// on Node; a nil n gives a plain copy. The copy shares lists and maps
// with s and n: treat all three as read-only afterwards.
func (s *Spec) WithNode(n *Node) *Spec {
	c := *s
	if n == nil {
		return &c
	}
	if n.Hostname != "" {
		c.Hostname = n.Hostname
	}
	if n.Network != nil {
		c.Network = *n.Network
	}
	if n.Time != nil {
		c.Time = *n.Time
	}
	if n.DNS != nil {
		c.Network.DNS = n.DNS
	}
	if n.Wait != "" {
		c.Network.Wait = n.Wait
	}
	if n.NTP != nil {
		c.Time.NTP = n.NTP
	}
	// A hand-built Node may carry a network without the default.
	if c.Network.Wait == "" {
		c.Network.Wait = DefaultNetworkWait
	}
	return &c
}

// CmdlineSource names the kernel command line in errors from ParseNodeKV.
const CmdlineSource = "kernel command line"

// NodeKeys are the kiln.* command line keys ParseNodeKV reads, without
// the "kiln." prefix. Other kiln.* keys (kiln.config, ...) are not node
// settings.
func NodeKeys() []string { return []string{"hostname", "ntp", "dns", "wait"} }

// ParseNodeKV reads one node setting from the kernel command line:
// kiln.hostname=n1, kiln.ntp=a,b, kiln.dns=a,b or kiln.wait=10s. key may
// carry the "kiln." prefix or not. Errors are Errors naming the key.
func ParseNodeKV(key, value string) (*Node, error) {
	name := strings.TrimPrefix(key, "kiln.")
	var errs Errors
	fail := func(path, msg string) {
		errs = append(errs, &FieldError{File: CmdlineSource, Path: path, Msg: msg})
	}
	var n Node
	switch name {
	case "hostname":
		n.Hostname = value
		if msg := labelProblem(value); msg != "" {
			fail("kiln."+name, msg)
		}
	case "wait":
		n.Wait = value
		if msg := durationProblem(value); msg != "" {
			fail("kiln."+name, msg)
		}
	case "ntp":
		n.NTP = kvList(value, name, "pool.ntp.org", ntpProblem, fail)
	case "dns":
		n.DNS = kvList(value, name, "1.1.1.1", func(s string) string { return ipProblem(s, "1.1.1.1") }, fail)
	default:
		fail("kiln."+name, "not a node setting; the keys a node may set are kiln."+strings.Join(NodeKeys(), ", kiln."))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &n, nil
}

// kvList splits a comma-separated command line value and checks each
// entry with problem.
func kvList(value, name, example string, problem func(string) string, fail func(path, msg string)) []string {
	if strings.TrimSpace(value) == "" {
		fail("kiln."+name, fmt.Sprintf("empty; give a comma-separated list such as kiln.%s=%s", name, example))
		return nil
	}
	list := strings.Split(value, ",")
	for i, s := range list {
		list[i] = strings.TrimSpace(s)
		if msg := problem(list[i]); msg != "" {
			fail(fmt.Sprintf("kiln.%s[%d]", name, i), msg)
		}
	}
	return list
}
