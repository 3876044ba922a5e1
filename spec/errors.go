package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one problem in a spec, placed at the YAML node that
// caused it (or, for a missing field, at the mapping that should hold it).
type FieldError struct {
	File string
	// Line and Col are 1-based; 0 when the position is unknown.
	Line, Col int
	// Path names the field, e.g. "kernel.modules[2]"; empty for the
	// document as a whole.
	Path string
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error formats the problem as "file:line:col: path: msg".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors are all the problems found in one spec, in file order, so a
// user fixes them in one pass instead of one run per mistake.
type Errors []*FieldError

// Error gives one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find a single *FieldError too.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortByPosition orders problems as they appear in the file; errors
// without a position (line 0) come first since they concern the file.
func (es Errors) sortByPosition() {
	slices.SortStableFunc(es, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// Closest returns the candidate nearest to name by edit distance, if it
// is near enough to be a plausible typo. On a tie the earlier candidate
// wins, so pass them sorted for a stable answer. Other packages use it
// for their own "did you mean" hints about spec values.
func Closest(name string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A third of the longer word may differ: "cmdlin" and "modles" are
	// typos, "foo" is not a misspelt "deb".
	limit := max(len(name), len(best)) / 3
	return best, bestDist >= 0 && bestDist <= max(limit, 1)
}

// editDistance is the Levenshtein distance between a and b in bytes;
// field names are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
