package boot

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Linux input event constants (linux/input-event-codes.h).
const (
	evKey    = 1
	keyPower = 116
	// struct input_event on 64-bit: timeval (16) + type, code (2+2) + value (4).
	inputEventSize = 24
)

// FindPowerButton returns the /dev/input/event* nodes of devices that
// name themselves a power button (ACPI's "Power Button").
func FindPowerButton(sysDir, devDir string) []string {
	names, _ := filepath.Glob(filepath.Join(sysDir, "class/input/event*/device/name"))
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil || !strings.Contains(strings.ToLower(string(b)), "power button") {
			continue
		}
		ev := filepath.Base(filepath.Dir(filepath.Dir(n)))
		out = append(out, filepath.Join(devDir, "input", ev))
	}
	return out
}

// WaitPowerButton reads input events from r until a power key press, then
// returns nil. It returns the read error otherwise (ctx is honoured by the
// caller closing r).
func WaitPowerButton(ctx context.Context, r io.Reader) error {
	buf := make([]byte, inputEventSize)
	for ctx.Err() == nil {
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("read power button: %w", err)
		}
		typ := binary.LittleEndian.Uint16(buf[16:])
		code := binary.LittleEndian.Uint16(buf[18:])
		val := int32(binary.LittleEndian.Uint32(buf[20:]))
		if typ == evKey && code == keyPower && val == 1 {
			return nil
		}
	}
	return ctx.Err()
}
