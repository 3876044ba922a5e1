package nodecfg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Offsets in a FAT boot sector. FAT12/16 and FAT32 keep the same
// extended fields (signature, serial, label, type) at different places.
const (
	sectorSize = 512
	fat16Sig   = 0x26 // extended boot signature, 0x29 when label and type are valid
	fat16Label = 0x2B
	fat16Type  = 0x36
	fat32Sig   = 0x42
	fat32Label = 0x47
	fat32Type  = 0x52
	labelLen   = 11
	extBootSig = 0x29
)

// fatLabel returns the volume label a FAT boot sector holds, without
// its space padding; ok is false when the sector is not a FAT one.
func fatLabel(bs []byte) (label string, ok bool) {
	if len(bs) < sectorSize || bs[510] != 0x55 || bs[511] != 0xAA {
		return "", false
	}
	// FAT32 first: in its boot sector 0x36 lies inside the FAT32 fields.
	for _, f := range []struct{ sig, label, typ int }{
		{fat32Sig, fat32Label, fat32Type},
		{fat16Sig, fat16Label, fat16Type},
	} {
		if bs[f.sig] == extBootSig && bytes.HasPrefix(bs[f.typ:], []byte("FAT")) {
			return strings.TrimRight(string(bs[f.label:f.label+labelLen]), " \x00"), true
		}
	}
	return "", false
}

// findLabel returns the block device (under devDir) whose FAT label is
// label, scanning whole disks and partitions as sysDir lists them; ""
// when none has it. A device that cannot be read is passed over: an
// empty card reader must not hide the stick next to it.
func findLabel(sysDir, devDir, label string) (string, error) {
	class := filepath.Join(sysDir, "class", "block")
	entries, err := os.ReadDir(class)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("list block devices: %w", err)
	}
	for _, e := range entries {
		if empty(filepath.Join(class, e.Name(), "size")) {
			continue
		}
		dev := filepath.Join(devDir, e.Name())
		bs, err := readSector(dev)
		if err != nil {
			continue
		}
		if l, ok := fatLabel(bs); ok && strings.EqualFold(l, label) {
			return dev, nil
		}
	}
	return "", nil
}

// empty reports whether sysfs says a device has no sectors (a loop
// device with nothing attached, a drive without a medium); reading
// those only yields errors, and some are slow to give them.
func empty(sizeFile string) bool {
	b, err := os.ReadFile(sizeFile)
	if err != nil {
		return false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return err == nil && n == 0
}

func readSector(dev string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bs := make([]byte, sectorSize)
	if _, err := io.ReadFull(f, bs); err != nil {
		return nil, fmt.Errorf("read boot sector of %s: %w", dev, err)
	}
	return bs, nil
}
