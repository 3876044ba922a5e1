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
			checkFailure(t, s, err)
			return
		}
		checkSpec(t, s)
	})
}

func checkFailure(t *testing.T, s *Spec, err error) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %q is not a non-empty Errors", err)
	}
	if s != nil {
		t.Errorf("spec returned along with error %q", err)
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
