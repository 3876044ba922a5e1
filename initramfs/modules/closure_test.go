package modules

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestClosureRealKernel(t *testing.T) {
	ix := scanReal(t)
	tests := []struct {
		want        []string
		mods        []string // exact, or nil to check contains
		contains    []string
		builtin     []string
		errContains string
	}{
		{want: []string{"virtio_net"}, mods: []string{"failover", "net_failover", "virtio", "virtio_net", "virtio_ring"}},
		{want: []string{"virtio-net", "virtio_net"}, mods: []string{"failover", "net_failover", "virtio", "virtio_net", "virtio_ring"}},
		// libcrc32c has "softdep pre: crc32c"; crc32c is an alias served by
		// the built-in crc32c_generic and by the module crc32c_intel.
		{want: []string{"libcrc32c"}, mods: []string{"crc32c_intel", "libcrc32c"}},
		// vfio's post softdep vfio_iommu_spapr_tce is not on x86: ignored.
		{want: []string{"vfio"}, contains: []string{"vfio", "vfio_iommu_type1"}},
		{want: []string{"ext4"}, mods: []string{}, builtin: []string{"ext4"}},
		{want: []string{"crc32c"}, mods: []string{"crc32c_intel"}, builtin: []string{"crc32c_generic"}},
		{want: []string{"virtio_nett"}, errContains: `module "virtio_nett" not found in kernel ` + release() + `; did you mean "virtio_net"?`},
		{want: []string{"overlay", "zzzqqqxxxyyy"}, errContains: `module "zzzqqqxxxyyy" not found in kernel ` + release()},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.want, ","), func(t *testing.T) {
			s, err := ix.Closure(tt.want)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("Closure(%v) error = %v, want %q", tt.want, err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Closure(%v): %v", tt.want, err)
			}
			got := setNames(s)
			if tt.mods != nil && !slices.Equal(got, tt.mods) {
				t.Errorf("modules = %v, want %v", got, tt.mods)
			}
			for _, c := range tt.contains {
				if !s.Contains(c) {
					t.Errorf("modules %v lack %s", got, c)
				}
			}
			if !slices.Equal(s.Builtin, tt.builtin) {
				t.Errorf("builtin = %v, want %v", s.Builtin, tt.builtin)
			}
		})
	}
}

func setNames(s *Set) []string {
	names := []string{}
	for _, m := range s.Modules {
		names = append(names, m.Name)
	}
	return names
}

func TestDepRealKernel(t *testing.T) {
	ix := scanReal(t)
	s, err := ix.Closure([]string{"virtio_net"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteDep(&buf); err != nil {
		t.Fatal(err)
	}
	// Same lines as depmod writes for these modules.
	want := "kernel/net/core/failover.ko:\n" +
		"kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n" +
		"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n" +
		"kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n" +
		"kernel/drivers/virtio/virtio_ring.ko:\n"
	if buf.String() != want {
		t.Errorf("modules.dep =\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestDepWholeTree checks modules.dep for every module: each line lists
// exactly the transitive dependencies, every dependency comes before the
// modules it depends on itself, and no line has a trailing space.
func TestDepWholeTree(t *testing.T) {
	ix := scanReal(t)
	s, err := ix.Closure(ix.Names())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Modules) != len(ix.Names()) {
		t.Fatalf("closure of all has %d modules, want %d", len(s.Modules), len(ix.Names()))
	}
	var buf bytes.Buffer
	if err := s.WriteDep(&buf); err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*Module{}
	for _, m := range s.Modules {
		byPath[m.RelPath] = m
	}
	sc := bufio.NewScanner(&buf)
	lines := 0
	for sc.Scan() {
		lines++
		line := sc.Text()
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
		head, tail, ok := strings.Cut(line, ":")
		m := byPath[head]
		if !ok || m == nil {
			t.Fatalf("bad line %q", line)
		}
		deps := strings.Fields(tail)
		wantDeps := map[string]bool{}
		for _, d := range s.transitiveDeps(m) {
			wantDeps[d.RelPath] = true
		}
		if len(deps) != len(wantDeps) {
			t.Errorf("%s: %d deps, want %d", head, len(deps), len(wantDeps))
		}
		for i, d := range deps {
			if !wantDeps[d] {
				t.Errorf("%s: unexpected dep %s", head, d)
			}
			for _, dd := range byPath[d].Depends {
				dm, _ := ix.Module(dd)
				if j := slices.Index(deps, dm.RelPath); j < i {
					t.Errorf("%s: %s listed before its user %s", head, dm.RelPath, d)
				}
			}
		}
	}
	if lines != len(s.Modules) {
		t.Errorf("%d lines, want %d", lines, len(s.Modules))
	}
}
