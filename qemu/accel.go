package qemu

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Accelerators Run passes to -accel.
const (
	AccelAuto = "auto"
	AccelKVM  = "kvm"
	AccelTCG  = "tcg"
)

const (
	kvmDevice = "/dev/kvm"
	// probeLimit bounds the KVM probe; a working KVM runs it in ~50 ms.
	probeLimit = 3 * time.Second
	// probeExitOK is QEMU's status when the probe wrote 1 to
	// isa-debug-exit: (1 << 1) | 1.
	probeExitOK = 3
)

// DetectAccel returns "kvm" when /dev/kvm opens read-write and a probe
// guest really runs under KVM (protected mode, paging and long mode
// included), else "tcg". It returns within a few seconds even when KVM
// hangs. An error means QEMU is missing or ctx ended.
func DetectAccel(ctx context.Context, binary string) (string, error) {
	return detectAccel(ctx, binary, slog.Default())
}

func detectAccel(ctx context.Context, binary string, log *slog.Logger) (string, error) {
	if binary == "" {
		binary = defaultBinary
	}
	if _, err := exec.LookPath(binary); err != nil {
		return "", fmt.Errorf("find QEMU %q: %w (install qemu-system-x86 or set the binary)", binary, err)
	}
	f, err := os.OpenFile(kvmDevice, os.O_RDWR, 0)
	if err != nil {
		log.Info("using TCG: cannot open KVM device", "device", kvmDevice, "err", err)
		return AccelTCG, nil
	}
	f.Close()
	start := time.Now()
	code, stderr, err := runProbe(ctx, binary, AccelKVM, probeLimit)
	if ctx.Err() != nil {
		return "", fmt.Errorf("probe KVM with %s: %w", binary, ctx.Err())
	}
	if code != probeExitOK {
		log.Info("using TCG: KVM probe guest did not run", "exit", code, "err", err,
			"stderr", stderr, "after", time.Since(start).Round(time.Millisecond))
		return AccelTCG, nil
	}
	log.Debug("using KVM: probe guest ran", "after", time.Since(start).Round(time.Millisecond))
	return AccelKVM, nil
}

// runProbe boots probeBIOS under accel and returns QEMU's exit status
// (probeExitOK when the guest reached long mode, -1 when it did not
// exit by itself) and its stderr. It never waits more than limit plus
// killGrace.
func runProbe(ctx context.Context, binary, accel string, limit time.Duration) (int, string, error) {
	dir, err := os.MkdirTemp("", "kiln-accel-probe-")
	if err != nil {
		return -1, "", fmt.Errorf("make probe dir: %w", err)
	}
	defer os.RemoveAll(dir)
	bios := filepath.Join(dir, "probe.bin")
	if err := os.WriteFile(bios, probeBIOS(), 0o644); err != nil {
		return -1, "", fmt.Errorf("write probe BIOS: %w", err)
	}
	cmd := exec.Command(binary, "-accel", accel, "-machine", "pc",
		"-display", "none", "-nodefaults", "-no-reboot", "-bios", bios,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=1")
	var stderr tailBuffer
	cmd.Stderr = &stderr
	p, err := startProc(cmd)
	if err != nil {
		return -1, "", err
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.exitCode(), stderr.String(), nil
	case <-timer.C:
		reaped := p.kill()
		return -1, stderr.String(), fmt.Errorf("probe guest under %s did not finish within %s (reaped after kill: %t)", accel, limit, reaped)
	case <-ctx.Done():
		p.kill()
		return -1, stderr.String(), ctx.Err()
	}
}
