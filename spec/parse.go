package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads, decodes and validates the spec at path. Spec.Dir is set to
// the file's absolute directory so relative artifacts resolve against it.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	s, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("finding the directory of spec %s: %w", path, err)
	}
	s.Dir = dir
	return s, nil
}

// Parse decodes and validates one spec, applying defaults. file names the
// source in messages only. On failure the error is an Errors holding
// every problem found.
func Parse(file string, data []byte) (*Spec, error) {
	root, at, fe := readDocument(file, "spec", data)
	if fe != nil {
		return nil, Errors{fe}
	}
	if root == nil {
		return nil, Errors{emptySpec(file, at.line, at.col)}
	}
	var s Spec
	d := newDecoder(file, "spec")
	if err := d.decode(root, reflect.ValueOf(&s).Elem(), func() { d.check(&s) }); err != nil {
		return nil, err
	}
	return &s, nil
}

// decode walks root into v, then runs check unless the root is not a
// mapping: then every field would read as missing, and the decoding
// error already says what is wrong.
func (d *decoder) decode(root *yaml.Node, v reflect.Value, check func()) error {
	d.value(root, "", v)
	if root.Kind == yaml.MappingNode {
		check()
	}
	if len(d.errs) > 0 {
		d.errs.sortByPosition()
		return d.errs
	}
	return nil
}

// readDocument returns the root node of the only YAML document in data,
// or a nil root and the position of the empty document.
func readDocument(file, what string, data []byte) (*yaml.Node, pos, *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, pos{line: 1, col: 1}, nil
		}
		return nil, pos{}, syntaxError(file, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, pos{}, &FieldError{File: file, Line: extra.Line, Col: extra.Column,
			Msg: "a " + what + " is one YAML document, found a second; remove the extra '---' and what follows"}
	case !errors.Is(err, io.EOF):
		return nil, pos{}, syntaxError(file, err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, pos{line: doc.Line, col: doc.Column}, nil
	}
	return doc.Content[0], pos{}, nil
}

func emptySpec(file string, line, col int) *FieldError {
	return &FieldError{File: file, Line: line, Col: col,
		Msg: "empty spec; it needs at least name: and kernel: (e.g. kernel: {deb: ./linux-image.deb})"}
}

// yamlLine pulls the line out of yaml.v3's "yaml: line N: msg" errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): ((?s).*)$`)

func syntaxError(file string, err error) *FieldError {
	msg := err.Error()
	fe := &FieldError{File: file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if rest, ok := strings.CutPrefix(msg, "yaml: "); ok {
		msg = rest
	}
	fe.Msg = "invalid YAML: " + msg
	return fe
}

// ModuleSets names the module sets a kernel.modules entry may refer to.
// The kernelconfig package defines their members; spec knows the names.
func ModuleSets() []string {
	return []string{"virtio", "nic", "storage", "container", "gpu", "all"}
}

// IsModuleSet reports whether a kernel.modules entry names a set rather
// than a single module.
func IsModuleSet(name string) bool {
	return slices.Contains(ModuleSets(), name)
}
