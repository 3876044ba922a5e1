package agent

import "strings"

// Cmdline holds the kiln.* keys of the kernel command line.
type Cmdline map[string]string

// ParseCmdline picks the kiln.* keys out of /proc/cmdline. A key without a
// value is "1"; quotes around a value are dropped.
func ParseCmdline(s string) Cmdline {
	c := Cmdline{}
	for _, f := range splitCmdline(s) {
		k, v, found := strings.Cut(f, "=")
		if !strings.HasPrefix(k, "kiln.") {
			continue
		}
		if !found {
			v = "1"
		}
		c[strings.TrimPrefix(k, "kiln.")] = strings.Trim(v, `"`)
	}
	return c
}

// splitCmdline splits on spaces outside double quotes, as the kernel does.
func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case (r == ' ' || r == '\n' || r == '\t') && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// KernelArgs picks the named plain arguments (no kiln. prefix) out of a
// kernel command line; the last one of a name wins, as in the kernel.
func KernelArgs(s string, names ...string) map[string]string {
	out := map[string]string{}
	for _, f := range splitCmdline(s) {
		k, v, _ := strings.Cut(f, "=")
		for _, n := range names {
			if k == n {
				out[k] = strings.Trim(v, `"`)
			}
		}
	}
	return out
}
