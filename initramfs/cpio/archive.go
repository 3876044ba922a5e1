// Package cpio writes reproducible initramfs archives in the newc format
// the kernel unpacks: entries sorted by path, every parent directory
// present, owner root, one fixed mtime, inode numbers in order. File
// contents are streamed from disk, so an archive of any size is written
// in constant memory.
package cpio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strings"
)

// Kind is the type of an archive entry.
type Kind uint8

// The kinds of entry an initramfs needs.
const (
	KindDir Kind = iota + 1
	KindFile
	KindSymlink
	KindCharDev
)

func (k Kind) String() string {
	switch k {
	case KindDir:
		return "directory"
	case KindFile:
		return "file"
	case KindSymlink:
		return "symlink"
	case KindCharDev:
		return "char device"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Entry describes one archive member.
type Entry struct {
	// Path inside the archive; a leading "/" or "./" is dropped.
	Path string
	Kind Kind
	// Mode holds Unix permission bits (at most 0o7777). Zero means the
	// default: 0o755 for directories, 0o777 for symlinks, 0o600 for
	// devices, and for files the permissions of Source, else 0o644.
	Mode uint32
	// Source is a file on disk to stream a File's contents from.
	Source string
	// Data is a File's contents when Source is empty.
	Data []byte
	// Target is a Symlink's target.
	Target string
	// Major and Minor are a CharDev's device numbers.
	Major, Minor uint32
}

// Dir is a directory entry.
func Dir(path string, mode uint32) Entry { return Entry{Path: path, Kind: KindDir, Mode: mode} }

// FileFrom is a file entry whose contents are streamed from src on disk.
// A zero mode takes src's permissions.
func FileFrom(path string, mode uint32, src string) Entry {
	return Entry{Path: path, Kind: KindFile, Mode: mode, Source: src}
}

// FileBytes is a file entry holding data.
func FileBytes(path string, mode uint32, data []byte) Entry {
	return Entry{Path: path, Kind: KindFile, Mode: mode, Data: data}
}

// Symlink is a symbolic link entry pointing at target.
func Symlink(path, target string) Entry { return Entry{Path: path, Kind: KindSymlink, Target: target} }

// CharDev is a character device node entry.
func CharDev(path string, mode, major, minor uint32) Entry {
	return Entry{Path: path, Kind: KindCharDev, Mode: mode, Major: major, Minor: minor}
}

// Write writes entries as a newc archive to w, ending with the trailer.
// Entries are sorted by path (bytewise); missing parent directories are
// added with mode 0o755; all mtimes are mtime (seconds since the epoch,
// e.g. SOURCE_DATE_EPOCH). The same entries, file contents and mtime
// always give the same bytes.
func Write(w io.Writer, entries []Entry, mtime int64) error {
	if mtime < 0 || mtime > math.MaxUint32 {
		return fmt.Errorf("cpio mtime %d out of range: newc holds 0..%d", mtime, uint32(math.MaxUint32))
	}
	plan, err := plan(entries)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for i, e := range plan {
		if err := writeEntry(bw, e, uint32(i+1), uint32(mtime)); err != nil {
			return fmt.Errorf("write %s %q to cpio: %w", e.Kind, e.Path, err)
		}
	}
	if err := writeTrailer(bw); err != nil {
		return fmt.Errorf("write cpio trailer: %w", err)
	}
	return bw.Flush()
}

// plan normalises, checks and sorts the entries and adds implied parents.
func plan(entries []Entry) ([]Entry, error) {
	byPath := make(map[string]Entry, len(entries))
	for _, e := range entries {
		p, err := cleanPath(e.Path)
		if err != nil {
			return nil, err
		}
		if p == "" {
			if e.Kind != KindDir {
				return nil, fmt.Errorf("cpio entry %q: the archive root can only be a directory", e.Path)
			}
			continue // the root is the initramfs itself: no record needed
		}
		e.Path = p
		if err := check(e); err != nil {
			return nil, err
		}
		if prev, dup := byPath[p]; dup && !sameDir(prev, e) {
			return nil, fmt.Errorf("cpio path %q given twice (as %s and %s)", p, prev.Kind, e.Kind)
		}
		byPath[p] = e
	}
	for p, e := range byPath {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			parent, ok := byPath[dir]
			if !ok {
				byPath[dir] = Entry{Path: dir, Kind: KindDir}
				continue
			}
			if parent.Kind != KindDir {
				return nil, fmt.Errorf("cpio entry %q needs %q to be a directory, but it is a %s", e.Path, dir, parent.Kind)
			}
		}
	}
	out := make([]Entry, 0, len(byPath))
	for _, e := range byPath {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func sameDir(a, b Entry) bool {
	return a.Kind == KindDir && b.Kind == KindDir && a.Mode == b.Mode
}

// cleanPath makes p relative and clean; "" stands for the root.
func cleanPath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("cpio path %q contains a NUL byte", p)
	}
	c := path.Clean("/" + p)[1:]
	if c == trailerName {
		return "", fmt.Errorf("cpio path %q is reserved for the archive trailer", p)
	}
	return c, nil
}

func check(e Entry) error {
	if e.Mode&^0o7777 != 0 {
		return fmt.Errorf("cpio entry %q: mode %#o has bits beyond 0o7777", e.Path, e.Mode)
	}
	switch e.Kind {
	case KindDir, KindCharDev:
	case KindFile:
		if e.Source != "" && e.Data != nil {
			return fmt.Errorf("cpio file %q has both Source and Data", e.Path)
		}
	case KindSymlink:
		if e.Target == "" || strings.IndexByte(e.Target, 0) >= 0 {
			return fmt.Errorf("cpio symlink %q: target %q must be non-empty and without NUL", e.Path, e.Target)
		}
	default:
		return fmt.Errorf("cpio entry %q: unknown kind %d", e.Path, e.Kind)
	}
	return nil
}

func writeEntry(w io.Writer, e Entry, ino, mtime uint32) error {
	h := header{ino: ino, nlink: 1, mtime: mtime, name: e.Path}
	switch e.Kind {
	case KindDir:
		h.mode, h.nlink = modeDir|orDefault(e.Mode, 0o755), 2
		return writeHeader(w, h)
	case KindCharDev:
		h.mode, h.rdevMajor, h.rdevMinor = modeCharDev|orDefault(e.Mode, 0o600), e.Major, e.Minor
		return writeHeader(w, h)
	case KindSymlink:
		h.mode, h.size = modeSymlink|orDefault(e.Mode, 0o777), uint32(len(e.Target))
		return writeBody(w, h, strings.NewReader(e.Target), int64(len(e.Target)))
	case KindFile:
		if e.Source != "" {
			return writeSource(w, h, e)
		}
		h.mode, h.size = modeFile|orDefault(e.Mode, 0o644), uint32(len(e.Data))
		return writeBody(w, h, bytes.NewReader(e.Data), int64(len(e.Data)))
	}
	return fmt.Errorf("unknown kind %d", e.Kind)
}

func orDefault(mode, def uint32) uint32 {
	if mode == 0 {
		return def
	}
	return mode
}

// writeSource streams a file from disk; its size is taken when it is
// opened and it must not change while it is copied.
func writeSource(w io.Writer, h header, e Entry) error {
	f, err := os.Open(e.Source)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("source %s is not a regular file (%s)", e.Source, fi.Mode().Type())
	}
	h.mode = modeFile | orDefault(e.Mode, uint32(fi.Mode().Perm()))
	h.size = uint32(fi.Size()) // writeBody refuses sizes that do not fit
	if err := writeBody(w, h, f, fi.Size()); err != nil {
		return fmt.Errorf("from %s: %w", e.Source, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return fmt.Errorf("source %s grew while it was archived", e.Source)
	}
	return nil
}

func writeBody(w io.Writer, h header, r io.Reader, size int64) error {
	if size > math.MaxUint32 {
		return fmt.Errorf("%d bytes; newc holds at most 4 GiB per file", size)
	}
	if err := writeHeader(w, h); err != nil {
		return err
	}
	n, err := io.Copy(w, io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("got %d bytes, expected %d: did the file change while archiving?", n, size)
	}
	return pad(w, size)
}
