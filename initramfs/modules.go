package initramfs

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"

	"github.com/kiln-project/kiln/initramfs/cpio"
	"github.com/kiln-project/kiln/initramfs/modules"
	kernelconfig "github.com/kiln-project/kiln/kernel-config"
	"github.com/kiln-project/kiln/spec"
	"github.com/kiln-project/kiln/spec/layout"
)

// AgentModules are what the agent itself needs on any machine Kiln boots
// in QEMU or on hardware: the virtio bus and NIC, the virtio RNG (the
// CRNG starves under TCG without it), and the ACPI power button with
// evdev so a power-off request reaches the agent. A kernel that lacks one
// of them (built in, or absent) is fine. The layout.NamedModules come
// along too: the agent loads them by name.
func AgentModules() []string {
	return append([]string{"virtio_pci", "virtio_net", "virtio_rng", "button"}, layout.NamedModules()...)
}

// DefaultModules are packed when kernel.modules is empty: enough to boot
// in QEMU and on common PCs and servers (their NICs and disks).
func DefaultModules() []string { return []string{"virtio", "nic", "storage"} }

// specModules is what the spec asks for, plus what its own settings need.
func specModules(s *spec.Spec) []string {
	mods := s.Kernel.Modules
	if len(mods) == 0 {
		mods = DefaultModules()
	}
	for _, i := range s.Network.Interfaces {
		if len(i.VLANs) > 0 {
			return append(slices.Clone(mods), layout.VLANModule)
		}
	}
	return mods
}

type moduleSelection struct {
	entries  []cpio.Entry
	names    []string
	builtin  []string
	sets     []string
	firmware []string // what the packed modules declare (firmware=)
}

func selectModules(ctx context.Context, in Inputs) (moduleSelection, error) {
	if in.Kernel.ModulesDir == "" {
		return moduleSelection{}, nil
	}
	ix, err := modules.Scan(ctx, in.Kernel.ModulesDir)
	if err != nil {
		return moduleSelection{}, fmt.Errorf("index modules of %s: %w", in.Kernel.Release, err)
	}
	entries := specModules(in.Spec)
	sets, err := kernelconfig.Explain(ix, entries)
	if err != nil {
		return moduleSelection{}, fmt.Errorf("kernel.modules: %w", err)
	}
	want := kernelconfig.Modules(entries, sets)
	for _, m := range AgentModules() {
		if _, ok := ix.Module(m); ok || ix.Builtin(m) {
			want = append(want, m)
		}
	}
	set, err := ix.Closure(want)
	if err != nil {
		return moduleSelection{}, fmt.Errorf("kernel.modules: %w", err)
	}
	sel, err := moduleEntries(in.Kernel.Release, in.Kernel.ModulesDir, set)
	if err != nil {
		return moduleSelection{}, err
	}
	for _, r := range sets {
		sel.sets = append(sel.sets, r.String())
	}
	return sel, nil
}

func moduleEntries(release, dir string, set *modules.Set) (moduleSelection, error) {
	base := path.Join(layout.Rel(layout.ModulesDir), release)
	sel := moduleSelection{builtin: set.Builtin, entries: []cpio.Entry{cpio.Dir(base, 0o755)}, firmware: set.Firmware()}
	for _, m := range set.Modules {
		sel.names = append(sel.names, m.Name)
		sel.entries = append(sel.entries, cpio.FileFrom(path.Join(base, m.RelPath), 0o644, filepath.Join(dir, m.RelPath)))
	}
	files, err := set.IndexFiles()
	if err != nil {
		return moduleSelection{}, err
	}
	for _, f := range files {
		sel.entries = append(sel.entries, cpio.FileBytes(path.Join(base, f.Name), 0o644, f.Data))
	}
	return sel, nil
}
