package kernelconfig

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// ModuleTree is what expanding module sets needs to know about a kernel's
// modules; the initramfs module index provides it.
type ModuleTree interface {
	// Names lists the loadable modules, sorted, "-" normalised to "_".
	Names() []string
	// RelPath is a loadable module's path relative to lib/modules/<release>.
	RelPath(name string) (string, bool)
	// Builtin reports whether a module is built into the kernel image.
	Builtin(name string) bool
}

// Set is a named group of modules that kernel.modules may list instead of
// the modules themselves.
type Set struct {
	Name string
	// Why the set exists and what it is for.
	Doc string
	// Members are module names, or path globs relative to the module tree
	// when they contain a "/"; "**" in a glob matches any number of
	// directories. Members missing from a kernel are skipped.
	Members []string
}

// SetAll is the set of every loadable module in the tree.
const SetAll = "all"

// Sets returns the module sets the spec names: virtio, nic, storage,
// container, gpu and all. Any other kernel.modules entry is a module name.
func Sets() map[string]Set {
	sets := []Set{
		{Name: "virtio", Doc: "Paravirtual devices of QEMU and most clouds: PCI transport, " +
			"network, disks, entropy (Go's crypto blocks until the CRNG is seeded), console, " +
			"memory balloon, 9p host shares and vsock for host<->guest control.",
			Members: []string{"virtio_pci", "virtio_net", "virtio_blk", "virtio_scsi", "virtio_rng",
				"virtio_console", "virtio_balloon", "9p", "9pnet_virtio", "vmw_vsock_virtio_transport"}},
		{Name: "nic", Doc: "Physical network cards common in servers and workstations " +
			"(Intel, Realtek, Broadcom, Mellanox, Aquantia), cloud NICs (AWS ENA, GCP gVNIC, " +
			"VMware, Hyper-V) and USB Ethernet adapters, so a node can reach the hub on " +
			"whatever it boots on. Listed, not globbed: all of drivers/net/ethernet is tens of MB.",
			Members: []string{"e1000", "e1000e", "igb", "igc", "ixgbe", "i40e", "ice", "r8169", "tg3",
				"bnxt_en", "mlx4_en", "mlx5_core", "atlantic", "ena", "gve", "vmxnet3", "hv_netvsc",
				"r8152", "ax88179_178a", "cdc_ether"}},
		{Name: "storage", Doc: "Disks and the file systems kiln reads: NVMe, SATA (AHCI), SCSI " +
			"disks and CD-ROMs, USB sticks (the flashed image itself, and the KILNCFG/KILNDATA " +
			"partitions), virtio disks, the ISO's iso9660, the FAT of the ESP and config " +
			"partition with its code pages, and ext4 for data disks.",
			Members: []string{"nvme", "ahci", "sd_mod", "sr_mod", "usb_storage", "uas", "xhci_pci",
				"ehci_pci", "virtio_blk", "isofs", "vfat", "nls_cp437", "nls_iso8859_1", "ext4"}},
		{Name: "container", Doc: "What containerd, runc and the CNI bridge/portmap plugins need: " +
			"overlayfs snapshots, veth pairs on a bridge (with br_netfilter so bridged traffic " +
			"sees iptables), NAT and conntrack through nftables and the iptables-nft compat " +
			"matches (masquerade, conntrack, addrtype, comment, mark, multiport, DNAT), " +
			"VXLAN overlays, tun, ipvlan and macvlan.",
			Members: []string{"overlay", "veth", "bridge", "br_netfilter", "nf_tables", "nft_chain_nat",
				"nft_compat", "nft_masq", "nf_nat", "nf_conntrack", "ip_tables", "iptable_nat",
				"iptable_filter", "xt_MASQUERADE", "xt_conntrack", "xt_addrtype", "xt_comment",
				"xt_mark", "xt_multiport", "xt_nat", "vxlan", "tun", "ipvlan", "macvlan"}},
		{Name: "gpu", Doc: "In-kernel display and GPU drivers (AMD, Intel, nouveau, server BMC " +
			"graphics, virtual GPUs) and the DRM core they share, so /dev/dri exists. The NVIDIA " +
			"datacenter driver is not in-tree: it comes with a GPU driver bundle.",
			Members: []string{"drm", "drm_kms_helper", "i2c_algo_bit", "amdgpu", "nouveau", "i915", "ast",
				"mgag200", "virtio_gpu", "bochs", "qxl", "kernel/drivers/gpu/**"}},
		{Name: SetAll, Doc: "Every loadable module of the kernel: large, but boots anywhere the " +
			"kernel does."},
	}
	out := make(map[string]Set, len(sets))
	for _, s := range sets {
		out[s.Name] = s
	}
	return out
}

// SetNames lists the set names, sorted.
func SetNames() []string { return slices.Sorted(maps.Keys(Sets())) }

// SetResult says what one set expanded to on a kernel.
type SetResult struct {
	Name    string
	Modules []string // loadable modules to pack, sorted
	Builtin []string // members built into the kernel: nothing to pack
	Missing []string // members (names or globs) not on this kernel
}

// String reads like "set nic: 14 modules, 3 not on this kernel: a, b, c".
func (r SetResult) String() string {
	s := fmt.Sprintf("set %s: %d modules", r.Name, len(r.Modules))
	if len(r.Builtin) > 0 {
		s += fmt.Sprintf(", %d built in: %s", len(r.Builtin), strings.Join(r.Builtin, ", "))
	}
	if len(r.Missing) > 0 {
		s += fmt.Sprintf(", %d not on this kernel: %s", len(r.Missing), strings.Join(r.Missing, ", "))
	}
	return s
}

// Expand replaces the set names in entries (kernel.modules) by the set
// members present on tree and returns the module names to pack, sorted and
// without duplicates. Entries that are not set names pass through as
// written: the module closure checks them. Set members a kernel lacks or
// has built in are skipped, not errors (the sets are written for many
// kernels); Explain says which.
func Expand(tree ModuleTree, entries []string) ([]string, error) {
	results, err := Explain(tree, entries)
	if err != nil {
		return nil, err
	}
	return Modules(entries, results), nil
}

// Modules is what Expand returns, from Explain's results: the entries
// that are not sets plus every module the sets held, sorted, unique.
// Callers that print the sets too call Explain once and then this.
func Modules(entries []string, results []SetResult) []string {
	sets := Sets()
	var mods []string
	for _, e := range entries {
		if _, ok := sets[e]; !ok {
			mods = append(mods, e)
		}
	}
	for _, r := range results {
		mods = append(mods, r.Modules...)
	}
	slices.Sort(mods)
	return slices.Compact(mods)
}

// Explain reports what each set named in entries expands to on tree, in
// the order named, for `kiln build -v`.
func Explain(tree ModuleTree, entries []string) ([]SetResult, error) {
	sets := Sets()
	var results []SetResult
	seen := map[string]bool{}
	for i, e := range entries {
		if strings.TrimSpace(e) == "" {
			return nil, fmt.Errorf("kernel.modules[%d] is empty: name a module or a set (%s)", i, strings.Join(SetNames(), ", "))
		}
		if set, ok := sets[e]; ok && !seen[e] {
			seen[e] = true
			results = append(results, expandSet(tree, set))
		}
	}
	return results, nil
}

func expandSet(tree ModuleTree, set Set) SetResult {
	r := SetResult{Name: set.Name}
	if set.Name == SetAll {
		r.Modules = tree.Names()
		return r
	}
	found := map[string]bool{}
	for _, m := range set.Members {
		if strings.Contains(m, "/") {
			matched := globModules(tree, m)
			if len(matched) == 0 {
				r.Missing = append(r.Missing, m)
			}
			for _, n := range matched {
				found[n] = true
			}
			continue
		}
		n := strings.ReplaceAll(m, "-", "_")
		switch _, ok := tree.RelPath(n); {
		case ok:
			found[n] = true
		case tree.Builtin(n):
			r.Builtin = append(r.Builtin, n)
		default:
			r.Missing = append(r.Missing, m)
		}
	}
	r.Modules = slices.Sorted(maps.Keys(found))
	return r
}

func globModules(tree ModuleTree, glob string) []string {
	var out []string
	for _, n := range tree.Names() {
		if p, ok := tree.RelPath(n); ok && matchGlob(glob, p) {
			out = append(out, n)
		}
	}
	return out
}

// matchGlob matches a slash-separated path against a pattern whose
// segments are path.Match patterns or "**", which matches zero or more
// whole segments.
func matchGlob(pattern, p string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(p, "/"))
}

func matchSegments(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegments(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	if ok, _ := path.Match(pat[0], segs[0]); !ok {
		return false
	}
	return matchSegments(pat[1:], segs[1:])
}
