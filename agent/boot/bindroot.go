package boot

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// BoundEnv marks a process that has already bound the root onto itself.
const BoundEnv = "KILN_ROOT_BOUND"

// BindRoot makes "/" a real mount by binding the initramfs root onto a
// directory, moving that over "/", chrooting into it and re-executing
// self. runc's pivot_root refuses the initramfs rootfs; a bind of it is
// accepted. It returns only on failure, or at once when already done.
func BindRoot(self string) error {
	if os.Getenv(BoundEnv) == "1" {
		return nil
	}
	const nr = "/newroot"
	if err := os.MkdirAll(nr, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", nr, err)
	}
	if err := unix.Mount("/", nr, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind / onto %s: %w", nr, err)
	}
	if err := unix.Chdir(nr); err != nil {
		return fmt.Errorf("chdir %s: %w", nr, err)
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to /: %w", nr, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", nr, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir / in new root: %w", err)
	}
	env := append(os.Environ(), BoundEnv+"=1")
	if err := unix.Exec(self, os.Args, env); err != nil {
		return fmt.Errorf("re-exec %s in the bound root: %w", self, err)
	}
	return nil
}
