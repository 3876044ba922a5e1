package kernelconfig

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/internal/testkernel"
)

func TestSetNames(t *testing.T) {
	want := []string{"all", "container", "gpu", "nic", "storage", "virtio"}
	if got := SetNames(); !slices.Equal(got, want) {
		t.Errorf("SetNames() = %v, want %v", got, want)
	}
	for name, s := range Sets() {
		if s.Doc == "" {
			t.Errorf("set %s has no Doc", name)
		}
		if name != SetAll && len(s.Members) == 0 {
			t.Errorf("set %s has no members", name)
		}
	}
}

func TestExpandRealKernel(t *testing.T) {
	tree := walkTree(t, realTree)
	tests := []struct {
		sets        []string
		contains    []string
		lacks       []string
		builtin     []string
		missing     []string
		wantModules int // 0: don't check
	}{
		{sets: []string{"virtio"}, contains: []string{"virtio_net", "virtio_rng", "virtio_pci", "vmw_vsock_virtio_transport"},
			missing: []string{"9p", "9pnet_virtio"}},
		{sets: []string{"storage"}, contains: []string{"sd_mod", "nls_iso8859_1", "vfat"},
			builtin: []string{"nvme", "ext4"}, lacks: []string{"nvme", "ext4"}},
		{sets: []string{"container"}, contains: []string{"overlay", "veth", "bridge", "nf_tables", "xt_MASQUERADE"}},
		{sets: []string{"nic"}, contains: []string{"ena", "vmxnet3", "mlx5_core"}, missing: []string{"e1000e", "igb"}},
		// The cloud kernel has no GPU drivers at all.
		{sets: []string{"gpu"}, missing: []string{"amdgpu", "kernel/drivers/gpu/**"}, wantModules: -1},
		{sets: []string{"all"}, wantModules: len(tree.paths)},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sets, ","), func(t *testing.T) {
			mods, err := Expand(tree, tt.sets)
			if err != nil {
				t.Fatal(err)
			}
			results, err := Explain(tree, tt.sets)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 || !slices.Equal(results[0].Modules, mods) {
				t.Fatalf("Explain = %v, want one result with modules %v", results, mods)
			}
			r := results[0]
			for _, c := range tt.contains {
				if !slices.Contains(mods, c) {
					t.Errorf("modules lack %s: %v", c, mods)
				}
			}
			for _, c := range tt.lacks {
				if slices.Contains(mods, c) {
					t.Errorf("modules include %s", c)
				}
			}
			for _, b := range tt.builtin {
				if !slices.Contains(r.Builtin, b) {
					t.Errorf("Builtin %v lacks %s", r.Builtin, b)
				}
			}
			for _, m := range tt.missing {
				if !slices.Contains(r.Missing, m) {
					t.Errorf("Missing %v lacks %s", r.Missing, m)
				}
			}
			switch {
			case tt.wantModules == -1 && len(mods) != 0:
				t.Errorf("modules = %v, want none", mods)
			case tt.wantModules > 0 && len(mods) != tt.wantModules:
				t.Errorf("%d modules, want %d", len(mods), tt.wantModules)
			}
			for _, m := range r.Modules {
				if _, ok := tree.RelPath(m); !ok {
					t.Errorf("set module %s is not in the tree", m)
				}
			}
		})
	}
}

func TestExpandAllIsEveryModule(t *testing.T) {
	tree := walkTree(t, realTree)
	mods, err := Expand(tree, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	if n := testkernel.MustCountModules(t, realTree); !slices.Equal(mods, tree.Names()) || len(mods) != n {
		t.Errorf("all = %d modules, want the tree's %d", len(mods), n)
	}
}

func TestExpandSynthetic(t *testing.T) {
	tree := fakeTree{
		paths: map[string]string{
			"drm":           "kernel/drivers/gpu/drm/drm.ko",
			"amdgpu":        "kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko",
			"gpu_sched":     "kernel/drivers/gpu/drm/scheduler/gpu-sched.ko",
			"nls_iso8859_1": "kernel/fs/nls/nls_iso8859-1.ko",
			"virtio_net":    "kernel/drivers/net/virtio_net.ko",
			"gpuish":        "kernel/drivers/gpuish/x.ko",
			"unrelated_mod": "kernel/fs/x/unrelated.ko",
		},
		builtin: map[string]bool{"ext4": true},
	}
	entries := []string{"gpu", "my_module", "storage", "gpu", "virtio_net"}
	mods, err := Expand(tree, entries)
	if err != nil {
		t.Fatal(err)
	}
	results, err := Explain(tree, entries)
	if err != nil {
		t.Fatal(err)
	}
	wantMods := []string{"amdgpu", "drm", "gpu_sched", "my_module", "nls_iso8859_1", "virtio_net"}
	if !slices.Equal(mods, wantMods) {
		t.Errorf("Modules = %v, want %v", mods, wantMods)
	}
	if len(results) != 2 || results[0].Name != "gpu" || results[1].Name != "storage" {
		t.Fatalf("Sets = %+v, want gpu then storage, once each", results)
	}
	gpu := results[0]
	if !slices.Equal(gpu.Modules, []string{"amdgpu", "drm", "gpu_sched"}) {
		t.Errorf("gpu modules = %v", gpu.Modules)
	}
	wantStr := "set storage: 1 modules, 1 built in: ext4, 12 not on this kernel: nvme, ahci, sd_mod, sr_mod, " +
		"usb_storage, uas, xhci_pci, ehci_pci, virtio_blk, isofs, vfat, nls_cp437"
	if got := results[1].String(); got != wantStr {
		t.Errorf("String() = %q\nwant %q", got, wantStr)
	}
	if _, err := Expand(tree, []string{"virtio", " "}); err == nil || !strings.Contains(err.Error(), "kernel.modules[1]") {
		t.Errorf("Expand with an empty entry: error = %v, want one naming kernel.modules[1]", err)
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"kernel/drivers/gpu/**", "kernel/drivers/gpu/drm/drm.ko", true},
		{"kernel/drivers/gpu/**", "kernel/drivers/gpu/x.ko", true},
		{"kernel/drivers/gpu/**", "kernel/drivers/gpuish/x.ko", false},
		{"kernel/**/virtio_*.ko", "kernel/drivers/net/virtio_net.ko", true},
		{"kernel/**/virtio_*.ko", "kernel/virtio_net.ko", true},
		{"kernel/*/virtio_*.ko", "kernel/drivers/net/virtio_net.ko", false},
		{"kernel/drivers/net/ethernet/**", "kernel/drivers/net/virtio_net.ko", false},
		{"**", "a/b/c", true},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}
