// Package initramfs assembles the node's root filesystem: the agent as
// /init, the baked spec, the kernel modules the spec asks for (with their
// closure and index files) and optional debug tools, as a sorted,
// reproducible newc cpio compressed with zstd.
package initramfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/artifact/kernel"
	"github.com/kiln-project/kiln/initramfs/cpio"
	"github.com/kiln-project/kiln/initramfs/firmware"
	"github.com/kiln-project/kiln/spec"
	"github.com/kiln-project/kiln/spec/layout"
)

// Inputs are everything that goes into one initramfs.
type Inputs struct {
	Spec      *spec.Spec
	SpecBytes []byte
	Kernel    kernel.Kernel
	// Agent is the path of the static kiln-agent binary.
	Agent string
	// Busybox is a u-root busybox and BusyboxCmds the names it answers
	// to; empty when agent.debug_shell is off.
	Busybox     string
	BusyboxCmds []string
	// Cache fetches firmware sources.
	Cache *artifact.Cache
	// Epoch is every file's mtime (SOURCE_DATE_EPOCH).
	Epoch int64
	Log   *slog.Logger
}

// Initramfs is a written archive.
type Initramfs struct {
	Path    string
	SHA256  string
	Size    int64
	Modules []string // packed loadable modules
	Builtin []string // wanted modules the kernel has built in
	Sets    []string // what each named module set held, one line a set
	// Firmware lists the packed firmware files and Inputs its sources.
	Firmware        []string
	FirmwareMissing []string
	Inputs          []artifact.Fetched
}

// Build writes the compressed archive to out via a temp file beside it.
func Build(ctx context.Context, in Inputs, out string) (Initramfs, error) {
	mods, err := selectModules(ctx, in)
	if err != nil {
		return Initramfs{}, err
	}
	fw, err := firmware.Collect(ctx, in.Cache, in.Spec.Firmware, in.Spec.Dir, mods.firmware)
	if err != nil {
		return Initramfs{}, err
	}
	entries := baseEntries(in)
	entries = append(entries, mods.entries...)
	entries = append(entries, fw.Entries...)
	entries = append(entries, debugEntries(in)...)
	sum, size, err := writeArchive(out, entries, in.Epoch)
	if err != nil {
		return Initramfs{}, err
	}
	return Initramfs{Path: out, SHA256: sum, Size: size, Modules: mods.names, Builtin: mods.builtin,
		Sets: mods.sets, Firmware: fw.Packed, FirmwareMissing: fw.Missing, Inputs: fw.Inputs}, nil
}

// osRelease identifies the image to people and tools; the agent does not
// read it, so it is not part of the layout contract.
const osRelease = "etc/os-release"

func baseEntries(in Inputs) []cpio.Entry {
	// The writer adds parents of every entry; these are the mount points
	// and directories the agent needs even when empty.
	dirs := []string{"dev", "proc", "run", "sys", "tmp", "var", layout.Rel(layout.ModprobeDir), layout.Rel(layout.ModulesDir)}
	var es []cpio.Entry
	for _, d := range dirs {
		es = append(es, cpio.Dir(d, 0o755))
	}
	es = append(es,
		cpio.CharDev("dev/console", 0o600, 5, 1),
		cpio.CharDev("dev/null", 0o666, 1, 3),
		cpio.FileFrom(layout.Rel(layout.Init), 0o755, in.Agent),
		cpio.FileBytes(layout.Rel(layout.Spec), 0o644, in.SpecBytes),
		cpio.FileBytes(layout.Rel(layout.ModprobeConf), 0o644, ModprobeConf(in.Spec.Kernel)),
		cpio.FileBytes(osRelease, 0o644, []byte(fmt.Sprintf("NAME=Kiln\nID=kiln\nPRETTY_NAME=\"Kiln (%s)\"\nVARIANT_ID=%s\n", in.Spec.Name, in.Spec.Name))),
	)
	return es
}

func debugEntries(in Inputs) []cpio.Entry {
	if in.Busybox == "" {
		return nil
	}
	bbin := layout.Rel(layout.Bbin)
	es := []cpio.Entry{cpio.Dir(bbin, 0o755), cpio.FileFrom(path.Join(bbin, "bb"), 0o755, in.Busybox)}
	for _, c := range in.BusyboxCmds {
		es = append(es, cpio.Symlink(path.Join(bbin, c), "bb"))
	}
	// /bin/sh is where people and scripts look for a shell.
	return append(es, cpio.Dir("bin", 0o755), cpio.Symlink("bin/sh", layout.Shell))
}

// writeArchive streams the cpio through zstd into a temp file, then
// renames it to out.
func writeArchive(out string, entries []cpio.Entry, epoch int64) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return "", 0, fmt.Errorf("create initramfs: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	if err := compress(cw, entries, epoch); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("write initramfs: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", 0, fmt.Errorf("chmod initramfs: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", 0, fmt.Errorf("rename initramfs into place: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

func compress(w io.Writer, entries []cpio.Entry, epoch int64) error {
	zw, err := cpio.NewZstdWriter(w)
	if err != nil {
		return fmt.Errorf("start zstd: %w", err)
	}
	if err := cpio.Write(zw, entries, epoch); err != nil {
		zw.Close()
		return fmt.Errorf("write initramfs cpio: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish zstd: %w", err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
