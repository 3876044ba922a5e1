package boot

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Action is what happens to the machine at the end of a shutdown.
type Action int

// Shutdown actions.
const (
	PowerOff Action = iota
	Reboot
)

func (a Action) String() string {
	if a == Reboot {
		return "reboot"
	}
	return "poweroff"
}

// StopProcesses asks every other process to stop, waits up to grace for
// them to go, then kills what is left.
func StopProcesses(grace time.Duration) {
	if len(UserProcesses("/proc")) == 0 {
		return
	}
	_ = unix.Kill(-1, unix.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		// kill(-1, 0) cannot tell: kernel threads always count.
		if len(UserProcesses("/proc")) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = unix.Kill(-1, unix.SIGKILL)
}

// pfKthread is PF_KTHREAD from the flags field of /proc/PID/stat.
const pfKthread = 0x00200000

// UserProcesses lists the live processes under procDir other than PID 1
// and ourselves, skipping kernel threads and zombies.
func UserProcesses(procDir string) []int {
	ents, _ := os.ReadDir(procDir)
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procDir, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if userProcess(string(b)) {
			out = append(out, pid)
		}
	}
	return out
}

// userProcess reads one /proc/PID/stat line. The command name is in
// parentheses and may hold spaces, so fields count from the last ')'.
func userProcess(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is the state (field 3), f[6] the flags (field 9).
	if len(f) < 7 || f[0] == "Z" || f[0] == "X" {
		return false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfKthread == 0
}

// UnmountAll unmounts what /proc/self/mounts lists, deepest first, so data
// on real disks is flushed; pseudo filesystems that stay busy are
// detached.
func UnmountAll(mounts io.Reader) []error {
	var targets []string
	sc := bufio.NewScanner(mounts)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[1] != "/" {
			targets = append(targets, unescapeMount(f[1]))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(targets)))
	var errs []error
	for _, t := range targets {
		if err := unix.Unmount(t, 0); err != nil {
			if err2 := unix.Unmount(t, unix.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Errorf("unmount %s: %w", t, err))
			}
		}
	}
	return errs
}

// unescapeMount undoes the octal escapes of /proc/mounts (\040 for space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Halt syncs and powers off or reboots. It returns only if the kernel
// refused, which as PID 1 means the caller must keep running.
func Halt(a Action) error {
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if a == Reboot {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
	}
	if err := unix.Reboot(cmd); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	return nil
}

// MountsFile opens the mount table of this process.
func MountsFile() (*os.File, error) { return os.Open("/proc/self/mounts") }
