package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	arMagic     = "!<arch>\n"
	arHeaderLen = 60
	// Limits keep a hostile archive from making us allocate much.
	maxLongNames = 1 << 20
	maxBSDName   = 4096
)

// arReader reads the members of a Unix ar archive (what a .deb is) in
// order, like archive/tar.Reader. It understands GNU long names ("//"
// table, "/N" references, "name/") and BSD "#1/N" names, and skips
// symbol tables.
type arReader struct {
	r         io.Reader
	remaining int64 // unread bytes of the current member
	pad       int64 // padding after it, to an even offset
	longNames []byte
}

type arMember struct {
	Name string
	Size int64
}

func newArReader(r io.Reader) (*arReader, error) {
	magic := make([]byte, len(arMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != arMagic {
		return nil, errors.New("not an ar archive (no !<arch> magic)")
	}
	return &arReader{r: r}, nil
}

// Next skips to the next member; io.EOF means there is none.
func (a *arReader) Next() (arMember, error) {
	for {
		if _, err := io.CopyN(io.Discard, a.r, a.remaining+a.pad); err != nil {
			return arMember{}, fmt.Errorf("skip ar member: %w", unexpected(err))
		}
		a.remaining, a.pad = 0, 0
		m, err := a.header()
		if err != nil {
			return arMember{}, err
		}
		switch m.Name {
		case "/", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED":
			continue
		case "//":
			if m.Size > maxLongNames {
				return arMember{}, fmt.Errorf("ar long name table of %d bytes is too large", m.Size)
			}
			a.longNames = make([]byte, m.Size)
			if _, err := io.ReadFull(a, a.longNames); err != nil {
				return arMember{}, fmt.Errorf("read ar long name table: %w", unexpected(err))
			}
			continue
		}
		return a.resolveName(m)
	}
}

// header reads one 60-byte member header.
func (a *arReader) header() (arMember, error) {
	var h [arHeaderLen]byte
	n, err := io.ReadFull(a.r, h[:])
	if err == io.EOF || (err == io.ErrUnexpectedEOF && n == 1 && h[0] == '\n') {
		// Some writers pad the archive's end with one newline.
		return arMember{}, io.EOF
	}
	if err != nil {
		return arMember{}, fmt.Errorf("read ar header: %w", unexpected(err))
	}
	if string(h[58:60]) != "`\n" {
		return arMember{}, errors.New("bad ar header: missing terminator")
	}
	size, err := strconv.ParseInt(strings.TrimRight(string(h[48:58]), " "), 10, 64)
	if err != nil || size < 0 {
		return arMember{}, fmt.Errorf("bad ar header: size %q", h[48:58])
	}
	a.remaining, a.pad = size, size%2
	return arMember{Name: strings.TrimRight(string(h[0:16]), " "), Size: size}, nil
}

func (a *arReader) resolveName(m arMember) (arMember, error) {
	switch {
	case strings.HasPrefix(m.Name, "#1/"):
		n, err := strconv.Atoi(m.Name[3:])
		if err != nil || n < 0 || n > maxBSDName || int64(n) > m.Size {
			return arMember{}, fmt.Errorf("bad BSD ar name %q", m.Name)
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(a, name); err != nil {
			return arMember{}, fmt.Errorf("read BSD ar name: %w", unexpected(err))
		}
		m.Name, m.Size = string(bytes.TrimRight(name, "\x00")), m.Size-int64(n)
	case len(m.Name) > 1 && m.Name[0] == '/':
		off, err := strconv.Atoi(m.Name[1:])
		if err != nil || off < 0 || off >= len(a.longNames) {
			return arMember{}, fmt.Errorf("bad GNU ar long name reference %q", m.Name)
		}
		name := a.longNames[off:]
		if i := bytes.IndexByte(name, '\n'); i >= 0 {
			name = name[:i]
		}
		m.Name = strings.TrimSuffix(string(name), "/")
	default:
		m.Name = strings.TrimSuffix(m.Name, "/")
	}
	return m, nil
}

// Read reads from the current member.
func (a *arReader) Read(p []byte) (int, error) {
	if a.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > a.remaining {
		p = p[:a.remaining]
	}
	n, err := a.r.Read(p)
	a.remaining -= int64(n)
	if err == io.EOF && a.remaining > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// unexpected turns a bare EOF in the middle of a structure into
// ErrUnexpectedEOF, which is what it means there.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
