// Package boot holds the early, PID-1-only steps of bringing a node up:
// mounting the pseudo filesystems, making the root bindable, reaping
// orphans and shutting down in order.
package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Mount is one filesystem the agent mounts early.
type Mount struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
	Mode                   os.FileMode
}

// EarlyMounts is the table of filesystems every node needs, in order.
// cgroup2 is ours rather than libinit's because libinit mounts v1 and
// containerd wants a v2 hierarchy with nsdelegate.
func EarlyMounts() []Mount {
	const nodev = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	return []Mount{
		{"proc", "/proc", "proc", nodev, "", 0o555},
		{"sysfs", "/sys", "sysfs", nodev, "", 0o555},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", 0o755},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0o755},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o1777},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o1777},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", nodev, "nsdelegate", 0o555},
	}
}

// MountAll mounts each entry under root (normally "/"), creating the
// target. A target that already holds the same filesystem is left alone,
// so running twice (or after the kernel automounted devtmpfs) is fine.
// It goes on after a failure and returns every error joined.
func MountAll(root string, ms []Mount) (mounted []string, err error) {
	var errs []error
	for _, m := range ms {
		target := filepath.Join(root, m.Target)
		if err := os.MkdirAll(target, m.Mode.Perm()); err != nil {
			errs = append(errs, fmt.Errorf("create mount point %s: %w", target, err))
			continue
		}
		if ok, _ := isMountedAs(target, m.FSType); ok {
			continue
		}
		if err := unix.Mount(m.Source, target, m.FSType, m.Flags, m.Data); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", m.FSType, target, err))
			continue
		}
		mounted = append(mounted, m.Target)
	}
	return mounted, errors.Join(errs...)
}

// LinkPtmx points /dev/ptmx at the devpts instance we mounted, since a
// newinstance devpts is not the one devtmpfs's ptmx node serves.
func LinkPtmx(root string) error {
	p := filepath.Join(root, "dev/ptmx")
	if t, err := os.Readlink(p); err == nil && t == "pts/ptmx" {
		return nil
	}
	_ = os.Remove(p)
	if err := os.Symlink("pts/ptmx", p); err != nil {
		return fmt.Errorf("link %s to pts/ptmx: %w", p, err)
	}
	return nil
}

func isMountedAs(target, fstype string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return false, err
	}
	magic, ok := fsMagic(fstype)
	if !ok {
		return false, nil
	}
	// The root tmpfs of an initramfs has the same magic as a mounted tmpfs,
	// so compare devices with the parent too: a mount point differs.
	if int64(st.Type) != magic {
		return false, nil
	}
	return differsFromParent(target)
}

func differsFromParent(target string) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Stat(target, &a); err != nil {
		return false, err
	}
	if err := unix.Stat(filepath.Dir(target), &b); err != nil {
		return false, err
	}
	return a.Dev != b.Dev, nil
}

// fsMagic maps the filesystems we mount to their statfs magic.
func fsMagic(fstype string) (int64, bool) {
	switch fstype {
	case "proc":
		return unix.PROC_SUPER_MAGIC, true
	case "sysfs":
		return unix.SYSFS_MAGIC, true
	case "devtmpfs", "tmpfs":
		return unix.TMPFS_MAGIC, true
	case "devpts":
		return unix.DEVPTS_SUPER_MAGIC, true
	case "cgroup2":
		return unix.CGROUP2_SUPER_MAGIC, true
	}
	return 0, false
}
