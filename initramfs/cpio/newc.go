package cpio

import (
	"fmt"
	"io"
)

// newc mode bits for the file types this package writes.
const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeCharDev = 0o020000
)

const trailerName = "TRAILER!!!"

// header is one newc record header; all fields are written as 8 hex digits.
type header struct {
	ino, mode, nlink, mtime, size uint32
	rdevMajor, rdevMinor          uint32
	name                          string
}

// writeHeader writes the 110-byte newc header and the NUL-terminated name,
// padded to a multiple of 4 bytes. uid, gid, the file system's device
// numbers and the checksum are always 0.
func writeHeader(w io.Writer, h header) error {
	_, err := fmt.Fprintf(w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\x00",
		h.ino, h.mode, 0, 0, h.nlink, h.mtime, h.size, 0, 0,
		h.rdevMajor, h.rdevMinor, len(h.name)+1, 0, h.name)
	if err != nil {
		return err
	}
	return pad(w, 110+int64(len(h.name))+1)
}

// pad writes the zero bytes that align n bytes to 4.
func pad(w io.Writer, n int64) error {
	if r := n % 4; r != 0 {
		_, err := w.Write(make([]byte, 4-r))
		return err
	}
	return nil
}

func writeTrailer(w io.Writer) error {
	return writeHeader(w, header{nlink: 1, name: trailerName})
}
