package qemu

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProbeRunsUnderTCG proves the probe's bytes: under TCG, which
// always works, the guest reaches long mode and QEMU exits with 3.
func TestProbeRunsUnderTCG(t *testing.T) {
	code, stderr, err := runProbe(t.Context(), defaultBinary, AccelTCG, 10*time.Second)
	if err != nil {
		t.Fatalf("probe under TCG: %v (stderr %q)", err, stderr)
	}
	if code != probeExitOK {
		t.Fatalf("probe under TCG exited %d, want %d (stderr %q)", code, probeExitOK, stderr)
	}
}

func TestProbeBIOSLayout(t *testing.T) {
	b := probeBIOS()
	if len(b) != 0x10000 {
		t.Fatalf("probe BIOS is %d bytes, want 64 KiB", len(b))
	}
	if got := b[0xFFF0:0xFFF3]; !bytes.Equal(got, []byte{0xE9, 0x0D, 0xFF}) {
		t.Errorf("reset vector = % x, want a jmp to 0xFF00", got)
	}
	// The GDT pointer must hold the low-alias address of the GDT.
	if got := b[0xFFB8:0xFFBE]; !bytes.Equal(got, []byte{0x1F, 0x00, 0x98, 0xFF, 0x0F, 0x00}) {
		t.Errorf("gdtr = % x, want limit 31 base 0xFFF98", got)
	}
}

// TestProbeKilledWhenStuck stands in for a hanging KVM: a "QEMU" that
// never exits must be killed and the probe must return soon after.
func TestProbeKilledWhenStuck(t *testing.T) {
	bin := fakeQEMU(t, "sleep 30\n")
	start := time.Now()
	code, _, err := runProbe(t.Context(), bin, AccelKVM, 200*time.Millisecond)
	if err == nil || code != -1 {
		t.Fatalf("stuck probe: code %d err %v, want -1 and an error", code, err)
	}
	if d := time.Since(start); d > 200*time.Millisecond+killGrace+time.Second {
		t.Errorf("stuck probe returned after %s", d)
	}
}

// TestDetectAccelReturns: whatever this host has, detection must not
// hang (on this build machine KVM hangs and the answer is tcg).
func TestDetectAccelReturns(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	start := time.Now()
	accel, err := detectAccel(t.Context(), defaultBinary, log)
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if accel != AccelKVM && accel != AccelTCG {
		t.Errorf("accel = %q", accel)
	}
	if limit := probeLimit + killGrace + time.Second; d > limit {
		t.Errorf("DetectAccel took %s, want under %s", d, limit)
	}
	if accel == AccelTCG && !strings.Contains(logs.String(), "using TCG") {
		t.Errorf("chose TCG without saying why; log: %s", logs.String())
	}
	t.Logf("accel %s after %s; log: %s", accel, d, logs.String())
}

func TestDetectAccelMissingBinary(t *testing.T) {
	_, err := DetectAccel(context.Background(), filepath.Join(t.TempDir(), "no-qemu"))
	if err == nil || !strings.Contains(err.Error(), "find QEMU") {
		t.Errorf("err = %v, want a find QEMU error", err)
	}
}
