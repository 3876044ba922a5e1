package modules

import (
	"slices"
	"strings"
	"testing"

	kernelconfig "github.com/kiln-project/kiln/kernel-config"
)

// The index is what kernel.modules sets expand against.
var _ kernelconfig.ModuleTree = (*Index)(nil)

func TestExpandSetsWithIndex(t *testing.T) {
	ix := scanReal(t)
	want, err := kernelconfig.Expand(ix, []string{"virtio", "container"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ix.Closure(want)
	if err != nil {
		t.Fatalf("Closure(%v): %v", want, err)
	}
	for _, m := range []string{"virtio_net", "virtio_rng", "net_failover", "overlay", "nf_tables", "libcrc32c", "crc32c_intel"} {
		if !s.Contains(m) {
			t.Errorf("closure of virtio+container lacks %s: %v", m, setNames(s))
		}
	}
	if !slices.IsSortedFunc(s.Modules, func(a, b *Module) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Set.Modules not sorted by name")
	}
}
