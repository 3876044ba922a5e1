package nodecfg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kiln-project/kiln/spec"
)

// fromPartition reads node.yaml from the FAT filesystem labelled KILNCFG.
func (r *resolver) fromPartition(ctx context.Context, _ *spec.Spec) (Entry, *spec.Node) {
	src := r.src
	e := Entry{Source: src.Label}
	dev, err := findLabel(src.SysDir, src.DevDir, src.Label)
	switch {
	case err != nil:
		e.Status, e.Err = Failed, err
		return e, nil
	case dev == "":
		e.Status, e.Msg = Skipped, "no FAT filesystem labelled "+src.Label
		return e, nil
	}
	e.From = dev
	data, err := r.readFromFAT(dev)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Status, e.Msg = Skipped, "no "+FileName+" on it"
		return e, nil
	case err != nil:
		e.Status, e.Err = Failed, err
		return e, nil
	}
	n, err := spec.ParseNode(src.Label+"/"+FileName, data)
	return outcome(e, n, err)
}

// readFromFAT mounts dev read-only, reads node.yaml and unmounts again:
// nothing else on the partition concerns the agent.
func (r *resolver) readFromFAT(dev string) (data []byte, err error) {
	target := filepath.Join(r.src.RunDir, "kiln", "cfg")
	if err := os.MkdirAll(target, 0o700); err != nil {
		return nil, fmt.Errorf("make mount point for %s: %w", dev, err)
	}
	unmount, err := r.src.Mount(dev, target)
	if err != nil {
		return nil, err
	}
	defer func() {
		if uerr := unmount(); uerr != nil {
			r.src.Log.Warn("unmount node config partition", "dev", dev, "err", uerr)
		}
	}()
	return readLimited(filepath.Join(target, FileName))
}

// readLimited reads a node config file.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readConfig(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// readConfig reads a node config of at most maxConfigSize bytes from r.
func readConfig(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes; a node config is a short YAML file", maxConfigSize)
	}
	return data, nil
}

// mountVFAT is the node's Mount: read-only, nothing on it runs.
func mountVFAT(dev, target string) (func() error, error) {
	const flags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := unix.Mount(dev, target, "vfat", flags, ""); err != nil {
		hint := ""
		if errors.Is(err, unix.ENODEV) {
			hint = " (the kernel lacks vfat: pack and load modules vfat, nls_cp437 and nls_ascii first)"
		}
		return nil, fmt.Errorf("mount %s read-only on %s as vfat: %w%s", dev, target, err, hint)
	}
	return func() error {
		if err := unix.Unmount(target, 0); err != nil {
			return fmt.Errorf("unmount %s: %w", target, err)
		}
		return nil
	}, nil
}
