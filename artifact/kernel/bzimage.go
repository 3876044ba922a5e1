package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Offsets in the x86 boot protocol's setup header
// (Documentation/arch/x86/boot.rst).
const (
	offBootFlag      = 0x1fe // 0xAA55
	offHeaderMagic   = 0x202 // "HdrS"
	offProtocol      = 0x206
	offKernelVersion = 0x20e // pointer to the version string, minus 0x200
	maxVersionLen    = 512
)

// BzImageRelease reads the kernel release ("6.1.0-57-cloud-amd64") from
// the version string in an x86 bzImage's setup header.
func BzImageRelease(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read kernel release: %w", err)
	}
	defer f.Close()
	v, err := BzImageVersion(f)
	if err != nil {
		return "", fmt.Errorf("read kernel release from %s: %w", path, err)
	}
	return strings.Fields(v)[0], nil
}

// BzImageVersion returns the full version string of a bzImage, e.g.
// "6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP ...".
func BzImageVersion(r io.ReaderAt) (string, error) {
	var hdr [offKernelVersion + 2]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return "", fmt.Errorf("not a bzImage: read setup header: %w", err)
	}
	if binary.LittleEndian.Uint16(hdr[offBootFlag:]) != 0xaa55 || string(hdr[offHeaderMagic:offHeaderMagic+4]) != "HdrS" {
		return "", errors.New("not an x86 bzImage (no boot signature or HdrS header)")
	}
	// kernel_version exists since boot protocol 2.00.
	if binary.LittleEndian.Uint16(hdr[offProtocol:]) < 0x200 {
		return "", errors.New("bzImage boot protocol is older than 2.00; it has no version string")
	}
	ptr := binary.LittleEndian.Uint16(hdr[offKernelVersion:])
	if ptr == 0 {
		return "", errors.New("bzImage has no version string")
	}
	buf := make([]byte, maxVersionLen)
	n, err := r.ReadAt(buf, 0x200+int64(ptr))
	if n == 0 && err != nil {
		return "", fmt.Errorf("read bzImage version string: %w", err)
	}
	buf = buf[:n]
	end := bytes.IndexByte(buf, 0)
	if end < 0 {
		return "", errors.New("bzImage version string is not terminated")
	}
	v := string(buf[:end])
	if strings.TrimSpace(v) == "" || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return "", fmt.Errorf("bzImage version string %q is not printable text", v)
	}
	return v, nil
}
