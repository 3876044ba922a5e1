package pipeline

import (
	"encoding/json"
	"fmt"
)

// Manifest records what went into a build and what came out, so a build
// can be audited and two builds compared. It holds no times or absolute
// paths: the same inputs give the same manifest bytes.
type Manifest struct {
	Kiln            string   `json:"kiln"`
	Name            string   `json:"name"`
	SourceDateEpoch int64    `json:"source_date_epoch"`
	Kernel          Kernel   `json:"kernel"`
	Cmdline         string   `json:"cmdline"`
	Firmware        []string `json:"firmware,omitempty"`
	Inputs          []Input  `json:"inputs"`
	Outputs         []Output `json:"outputs"`
}

// Kernel is the kernel a build used and the modules it packed.
type Kernel struct {
	Release string   `json:"release"`
	Modules []string `json:"modules"`
	Builtin []string `json:"builtin,omitempty"`
}

// Input is one thing a build read.
type Input struct {
	Field  string `json:"field"`
	Source string `json:"source,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size,omitempty"`
}

// Output is one file a build wrote.
type Output struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Encode renders m as indented JSON with a trailing newline.
func (m Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}
