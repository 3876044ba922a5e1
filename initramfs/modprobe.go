package initramfs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-project/kiln/spec"
)

// ModprobeConf renders kernel.module_options and kernel.blacklist as
// modprobe.d lines, which the agent's coldplug honours. Sorted, so the
// same spec gives the same bytes.
func ModprobeConf(k spec.Kernel) []byte {
	var b strings.Builder
	b.WriteString("# Written by kiln from kernel.module_options and kernel.blacklist.\n")
	for _, m := range sortedUnique(k.Blacklist) {
		fmt.Fprintf(&b, "blacklist %s\n", m)
	}
	names := make([]string, 0, len(k.ModuleOptions))
	for m := range k.ModuleOptions {
		names = append(names, m)
	}
	slices.Sort(names)
	for _, m := range names {
		fmt.Fprintf(&b, "options %s %s\n", m, strings.TrimSpace(k.ModuleOptions[m]))
	}
	return []byte(b.String())
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
