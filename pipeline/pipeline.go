// Package pipeline runs the build stages in order: spec -> artifacts ->
// kernel -> agent -> initramfs -> outputs + manifest. Each stage returns a
// typed result that the next one takes.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/kernel"
	"github.com/kiln-project/kiln/initramfs"
	"github.com/kiln-project/kiln/initramfs/gobuild"
	"github.com/kiln-project/kiln/spec"
)

// Output file names in a build directory.
const (
	VmlinuzName   = "vmlinuz"
	InitramfsName = "initramfs.cpio.zst"
	CmdlineName   = "cmdline"
	ManifestName  = "manifest.json"
)

// DefaultEpoch is the SOURCE_DATE_EPOCH used when none is set:
// 1980-01-01, the earliest time FAT can store.
const DefaultEpoch = 315532800

// BaseCmdline is what every image boots with before the spec's own
// arguments; panic=10 goes last so a panicking kernel always reboots.
const BaseCmdline = "console=tty0 console=ttyS0,115200"

// Version is this Kiln's version, recorded in manifests.
const Version = "0.1.0-dev"

// Options configure one build.
type Options struct {
	SpecPath string
	OutDir   string
	Cache    *artifact.Cache
	// Src is the Kiln source tree the agent is built from.
	Src   string
	Epoch int64
	Log   *slog.Logger
	// Progress receives human progress lines; nil discards them.
	Progress io.Writer
}

// Result is a finished build.
type Result struct {
	Dir      string
	Manifest Manifest
	// Sets says what each module set named in the spec held.
	Sets    []string
	Elapsed time.Duration
}

// Build runs every stage and swaps the outputs into o.OutDir at the end.
// On error nothing is left behind.
func Build(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s, err := spec.Load(o.SpecPath)
	if err != nil {
		return nil, err
	}
	specBytes, err := os.ReadFile(o.SpecPath)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.SpecPath, err)
	}
	o.step("kernel")
	k, err := kernel.Resolve(ctx, o.Cache, s.Kernel, s.Dir)
	if err != nil {
		return nil, err
	}
	bins, err := o.buildBinaries(ctx, s)
	if err != nil {
		return nil, err
	}
	st, err := newStage(o.OutDir)
	if err != nil {
		return nil, err
	}
	m, sets, err := o.writeOutputs(ctx, st, s, specBytes, k, bins)
	if err != nil {
		st.abort()
		return nil, err
	}
	if err := st.commit(); err != nil {
		st.abort()
		return nil, err
	}
	return &Result{Dir: st.final, Manifest: m, Sets: sets, Elapsed: time.Since(start)}, nil
}

func (o Options) step(name string) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "==> %s\n", name)
	}
}

// binaries are the Go programs that go into the image.
type binaries struct {
	agent  gobuild.Binary
	bb     *gobuild.Binary
	bbCmds []string
}

func (o Options) buildBinaries(ctx context.Context, s *spec.Spec) (binaries, error) {
	b := &gobuild.Builder{Src: o.Src, CacheDir: o.Cache.Dir, Log: o.Log}
	o.step("agent")
	agent, err := b.Build(ctx, "./cmd/kiln-agent", gobuild.Options{})
	if err != nil {
		return binaries{}, fmt.Errorf("build the agent: %w", err)
	}
	out := binaries{agent: agent}
	if s.Agent.DebugShell {
		o.step("debug shell (u-root busybox)")
		bb, cmds, err := b.BuildBusybox(ctx, gobuild.DefaultBusyboxCmds())
		if err != nil {
			return binaries{}, fmt.Errorf("agent.debug_shell: build u-root tools: %w", err)
		}
		out.bb, out.bbCmds = &bb, cmds
	}
	return out, nil
}

func (o Options) writeOutputs(ctx context.Context, st *stage, s *spec.Spec, specBytes []byte, k kernel.Kernel, bins binaries) (Manifest, []string, error) {
	o.step("initramfs")
	in := initramfs.Inputs{Spec: s, SpecBytes: specBytes, Kernel: k, Agent: bins.agent.Path, Cache: o.Cache, Epoch: o.Epoch, Log: o.Log}
	if bins.bb != nil {
		in.Busybox, in.BusyboxCmds = bins.bb.Path, bins.bbCmds
	}
	ir, err := initramfs.Build(ctx, in, st.path(InitramfsName))
	if err != nil {
		return Manifest{}, nil, err
	}
	if len(ir.FirmwareMissing) > 0 {
		o.Log.Info("firmware the packed modules declare but no firmware source has", "count", len(ir.FirmwareMissing))
		o.Log.Debug("missing firmware", "files", ir.FirmwareMissing)
	}
	vmlinuz, err := copyFile(k.Vmlinuz, st.path(VmlinuzName))
	if err != nil {
		return Manifest{}, nil, err
	}
	cmdline := Cmdline(s)
	cmdBytes := []byte(cmdline + "\n")
	if err := os.WriteFile(st.path(CmdlineName), cmdBytes, 0o644); err != nil {
		return Manifest{}, nil, fmt.Errorf("write cmdline: %w", err)
	}
	m := Manifest{Kiln: Version, Name: s.Name, SourceDateEpoch: o.Epoch, Cmdline: cmdline,
		Kernel:   Kernel{Release: k.Release, Modules: ir.Modules, Builtin: ir.Builtin},
		Firmware: ir.Firmware,
		Inputs:   inputs(o.SpecPath, specBytes, k, ir, bins),
		Outputs: []Output{
			{Name: VmlinuzName, SHA256: vmlinuz.SHA256, Size: vmlinuz.Size},
			{Name: InitramfsName, SHA256: ir.SHA256, Size: ir.Size},
			{Name: CmdlineName, SHA256: sha256Hex(cmdBytes), Size: int64(len(cmdBytes))},
		}}
	b, err := m.Encode()
	if err != nil {
		return Manifest{}, nil, err
	}
	if err := os.WriteFile(st.path(ManifestName), b, 0o644); err != nil {
		return Manifest{}, nil, fmt.Errorf("write manifest: %w", err)
	}
	return m, ir.Sets, nil
}

// Cmdline is the kernel command line a spec boots with.
func Cmdline(s *spec.Spec) string {
	parts := []string{BaseCmdline}
	if c := strings.TrimSpace(s.Kernel.Cmdline); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(append(parts, "panic=10"), " ")
}

// inputs lists what the build read, in a fixed order: the spec, the
// kernel artifacts, the firmware sources, then the binaries built.
func inputs(specPath string, specBytes []byte, k kernel.Kernel, ir initramfs.Initramfs, bins binaries) []Input {
	ins := []Input{{Field: "spec", Source: filepath.Base(specPath), SHA256: sha256Hex(specBytes), Size: int64(len(specBytes))}}
	for _, f := range append(slices.Clone(k.Inputs), ir.Inputs...) {
		ins = append(ins, Input{Field: f.Field, Source: displaySource(f), SHA256: f.SHA256, Size: f.Size})
	}
	ins = append(ins, Input{Field: "agent", SHA256: bins.agent.SHA256})
	if bins.bb != nil {
		ins = append(ins, Input{Field: "agent.debug_shell", SHA256: bins.bb.SHA256})
	}
	return ins
}

// displaySource keeps URLs and drops local directories: a manifest must
// not change because the checkout moved.
func displaySource(f artifact.Fetched) string {
	if strings.Contains(f.Source, "://") {
		return f.Source
	}
	return filepath.Base(f.Source)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
