package boot

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func inputEvent(typ, code uint16, val int32) []byte {
	b := make([]byte, inputEventSize)
	binary.LittleEndian.PutUint16(b[16:], typ)
	binary.LittleEndian.PutUint16(b[18:], code)
	binary.LittleEndian.PutUint32(b[20:], uint32(val))
	return b
}

func TestWaitPowerButton(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(inputEvent(0, 0, 0))            // EV_SYN
	stream.Write(inputEvent(evKey, 30, 1))       // KEY_A
	stream.Write(inputEvent(evKey, keyPower, 0)) // release only
	if err := WaitPowerButton(context.Background(), bytes.NewReader(stream.Bytes())); err == nil {
		t.Fatal("returned nil without a power key press")
	}
	stream.Write(inputEvent(evKey, keyPower, 1))
	if err := WaitPowerButton(context.Background(), &stream); err != nil {
		t.Fatalf("press not seen: %v", err)
	}
}

func TestFindPowerButton(t *testing.T) {
	sys := t.TempDir()
	for ev, name := range map[string]string{"event0": "Power Button\n", "event1": "AT Translated Set 2 keyboard\n"} {
		d := filepath.Join(sys, "class/input", ev, "device")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "name"), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := FindPowerButton(sys, "/dev"); !reflect.DeepEqual(got, []string{"/dev/input/event0"}) {
		t.Fatalf("got %v", got)
	}
}
