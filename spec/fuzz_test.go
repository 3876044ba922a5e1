package spec

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input panics, that every failure is a
// positioned Errors, and that every success upholds the spec's rules.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name: demo\nkernel:\n  deb: ./k.deb\n"))
	f.Add([]byte("name: demo\nkernel: {vmlinuz: v, module_tree: {source: m, sha256: " + hexDigest + "}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			checkFailure(t, s != nil, err)
			return
		}
		checkSpec(t, s)
	})
}

// checkFailure checks a parse failure; returned says whether a value
// came back along with err.
func checkFailure(t *testing.T, returned bool, err error) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %q is not a non-empty Errors", err)
	}
	if returned {
		t.Errorf("value returned along with error %q", err)
	}
	for _, e := range errs {
		if e.File != "fuzz.yaml" || e.Msg == "" {
			t.Errorf("FieldError %+v lacks its file or message", *e)
		}
	}
}

func checkSpec(t *testing.T, s *Spec) {
	t.Helper()
	k := s.Kernel
	switch {
	case s.Version != Version:
		t.Errorf("accepted version %d", s.Version)
	case !dnsLabel.MatchString(s.Name):
		t.Errorf("accepted name %q", s.Name)
	case (k.Deb == nil) == (k.Vmlinuz == nil):
		t.Errorf("accepted kernel with deb %v and vmlinuz %v", k.Deb, k.Vmlinuz)
	case k.ModuleTree != nil && k.Vmlinuz == nil:
		t.Errorf("accepted module_tree without vmlinuz")
	}
	for _, m := range k.Modules {
		if !moduleName.MatchString(m) {
			t.Errorf("accepted module %q", m)
		}
	}
}

// FuzzParseNode checks the same for node configs, and that a node that
// parses can be laid over a spec and keeps the spec's rules.
func FuzzParseNode(f *testing.F) {
	f.Add([]byte("hostname: n1\n"))
	f.Add([]byte("network:\n  wait: 5s\n  dns: [1.1.1.1]\n  interfaces:\n    - match: {mac: \"52:54:00:*\"}\n      addresses: [10.0.0.5/24]\n      vlans: [{id: 10}]\n"))
	f.Add([]byte("time: {ntp: [pool.ntp.org]}\n"))
	f.Add([]byte("kernel: {deb: k.deb}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNode("fuzz.yaml", data)
		if err != nil {
			checkFailure(t, n != nil, err)
			return
		}
		base := &Spec{Version: 1, Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "k.deb"}}, Network: Network{Wait: "30s"}}
		s := base.WithNode(n)
		if !dnsLabel.MatchString(s.EffectiveHostname()) {
			t.Errorf("accepted hostname %q", s.Hostname)
		}
		if durationProblem(s.Network.Wait) != "" {
			t.Errorf("accepted network.wait %q", s.Network.Wait)
		}
		for _, a := range s.Network.DNS {
			if ipProblem(a, "") != "" {
				t.Errorf("accepted dns %q", a)
			}
		}
		for _, i := range s.Network.Interfaces {
			if i.Match.Name == "" && i.Match.MAC == "" {
				t.Errorf("accepted interface without match: %+v", i)
			}
		}
	})
}
