package spec

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// pos is where a field's value sits in the file, kept so validation can
// point at it after decoding.
type pos struct {
	line, col int
	kind      yaml.Kind
	null      bool
}

// decoder walks a yaml.Node tree into Go values by their yaml tags. It
// does the walk itself, rather than using yaml.v3's KnownFields, so every
// problem carries a column and a field path, and all of them are kept.
type decoder struct {
	file string
	// doc names what is decoded ("spec", "node config") in messages
	// about the document as a whole.
	doc  string
	errs Errors
	// seen maps each field path met in the file to its value's position.
	seen map[string]pos
	// keys maps the path of each entry of a free-form mapping
	// (kernel.module_options) to its key's position: a bad name is
	// reported at the key, a bad value at the value.
	keys map[string]pos
	// rootHints explain, by key, why a top-level field is not allowed
	// here though a reader might expect it (a node config naming kernel:).
	rootHints map[string]string
	// failedPaths are the paths decoding complained about; validation
	// stays quiet about them and what they hold.
	failedPaths map[string]bool
}

func newDecoder(file, doc string) *decoder {
	return &decoder{file: file, doc: doc, seen: map[string]pos{}, keys: map[string]pos{}, failedPaths: map[string]bool{}}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.failedPaths[path] = true
	d.errs = append(d.errs, &FieldError{
		File: d.file, Line: n.Line, Col: n.Column, Path: path,
		Msg: fmt.Sprintf(format, args...),
	})
}

// value decodes n into v. A null leaves v at its zero value, as if the
// field were absent, but is still recorded so errors can point at it.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		d.errorf(n, path, "aliases (*%s) are not supported in a spec; write the value out", n.Value)
		return
	}
	null := isNull(n)
	d.seen[path] = pos{line: n.Line, col: n.Column, kind: n.Kind, null: null}
	if null {
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structValue(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	case reflect.Map:
		d.stringMap(n, path, v)
	case reflect.String:
		d.str(n, path, v)
	case reflect.Bool:
		d.boolean(n, path, v)
	case reflect.Int:
		d.integer(n, path, v)
	default:
		// Only reachable if types.go gains a field of a new kind.
		d.errorf(n, path, "internal: no decoder for Go type %s", v.Type())
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// structValue decodes a mapping; an Artifact may also be a plain string
// that names its source.
func (d *decoder) structValue(n *yaml.Node, path string, v reflect.Value) {
	if v.Type() == reflect.TypeFor[Artifact]() && n.Kind != yaml.MappingNode {
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a path or URL, or a mapping {source: ..., sha256: ...}, got %s", describe(n))
			return
		}
		v.Addr().Interface().(*Artifact).Source = n.Value
		return
	}
	fields := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		what := "expected a mapping"
		if path == "" {
			what = "a " + d.doc + " must be a mapping"
		}
		d.errorf(n, path, "%s with fields %s, got %s", what, strings.Join(fields.names(), ", "), describe(n))
		return
	}
	d.mapping(n, path, v, fields)
}

func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value, fields fieldList) {
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain field names, got %s", describe(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if !d.firstOf(first, k, kp) {
			continue
		}
		idx, ok := fields.index(k.Value)
		if !ok {
			d.unknownField(k, kp, fields)
			continue
		}
		d.value(val, kp, v.Field(idx))
		if val.Kind == yaml.MappingNode {
			// Problems with a mapping as a whole (a missing field) point
			// at the key that opens it: that is the line a reader seeks.
			p := d.seen[kp]
			p.line, p.col = k.Line, k.Column
			d.seen[kp] = p
		}
	}
}

// firstOf records key k (at path kp) in first, the keys met so far in
// one mapping, and reports whether it is new there; a repeat is an error.
func (d *decoder) firstOf(first map[string]*yaml.Node, k *yaml.Node, kp string) bool {
	if prev, dup := first[k.Value]; dup {
		d.errorf(k, kp, "duplicate key (first set at line %d:%d); keep one of them", prev.Line, prev.Column)
		return false
	}
	first[k.Value] = k
	return true
}

func (d *decoder) unknownField(k *yaml.Node, path string, fields fieldList) {
	names := fields.names()
	here := strings.Join(names, ", ")
	if isMergeKey(k) {
		d.errorf(k, path, "merge keys (<<) are not supported in a %s; write the fields out (fields here: %s)", d.doc, here)
		return
	}
	if hint, ok := d.rootHints[path]; ok {
		d.errorf(k, path, "%s (fields here: %s)", hint, here)
		return
	}
	if best, ok := Closest(k.Value, names); ok {
		d.errorf(k, path, "unknown field; did you mean %q? (fields here: %s)", best, here)
		return
	}
	d.errorf(k, path, "unknown field (fields here: %s)", here)
}

func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("; write [%s]", n.Value)
		}
		d.errorf(n, path, "expected a list, got %s%s", describe(n), hint)
		return
	}
	if len(n.Content) == 0 {
		// [] reads as absent, so a marshalled spec reads back equal.
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
	}
	v.Set(s)
}

// stringMap decodes a mapping with free-form keys (module names) into a
// map[string]T. Keys are checked by validation, which knows what they
// name; here they only need to be plain and unique.
func (d *decoder) stringMap(n *yaml.Node, path string, v reflect.Value) {
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, path, "internal: no decoder for Go type %s", v.Type())
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of names to values, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		// {} reads as absent, like [].
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		switch {
		case isMergeKey(k):
			d.errorf(k, path, "merge keys (<<) are not supported in a %s; write the entries out", d.doc)
			continue
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if !d.firstOf(first, k, kp) {
			continue
		}
		d.keys[kp] = pos{line: k.Line, col: k.Column, kind: k.Kind}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, kp, elem)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<"
}

// str takes any scalar as written: "name: 123" means the text "123".
func (d *decoder) str(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected a string, got %s", describe(n))
		return
	}
	v.SetString(n.Value)
}

func (d *decoder) boolean(n *yaml.Node, path string, v reflect.Value) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, path, "expected a boolean (true or false), got %s", describe(n))
		return
	}
	v.SetBool(b)
}

func (d *decoder) integer(n *yaml.Node, path string, v reflect.Value) {
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		d.errorf(n, path, "expected an integer, got %s", describe(n))
		return
	}
	v.SetInt(int64(i))
}

// describe names what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return fmt.Sprintf("string %q", n.Value)
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!null":
		return "null"
	default:
		return fmt.Sprintf("%s %q", tag, n.Value)
	}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// parentPath strips the last ".field" or "[i]" from a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// fieldList is a struct's YAML fields in declaration order, which is the
// order a user sees them listed in "fields here".
type fieldList []field

type field struct {
	name  string
	index int
}

func fieldsOf(t reflect.Type) fieldList {
	var fl fieldList
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fl = append(fl, field{name, i})
	}
	return fl
}

func (fl fieldList) names() []string {
	out := make([]string, len(fl))
	for i, f := range fl {
		out[i] = f.name
	}
	return out
}

func (fl fieldList) index(name string) (int, bool) {
	for _, f := range fl {
		if f.name == name {
			return f.index, true
		}
	}
	return 0, false
}
