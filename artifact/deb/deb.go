// Package deb reads Debian binary packages (.deb) in pure Go: the ar
// container, the compressed data.tar inside it, and extraction of the
// parts a caller wants.
package deb

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Walk calls fn for each entry of the .deb's data archive, in archive
// order. r reads the entry's content and is valid only during the call.
func Walk(ctx context.Context, debPath string, fn func(hdr *tar.Header, r io.Reader) error) error {
	f, err := os.Open(debPath)
	if err != nil {
		return fmt.Errorf("open deb: %w", err)
	}
	defer f.Close()
	if err := walk(ctx, f, fn); err != nil {
		return fmt.Errorf("read %s: %w", debPath, err)
	}
	return nil
}

// Extract writes the entries of the .deb's data archive for which keep
// returns true (all when keep is nil) under dst; see ExtractTar.
func Extract(ctx context.Context, debPath, dst string, keep func(name string) bool) error {
	f, err := os.Open(debPath)
	if err != nil {
		return fmt.Errorf("open deb: %w", err)
	}
	defer f.Close()
	data, closeData, err := dataTar(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("read %s: %w", debPath, err)
	}
	defer closeData()
	if err := ExtractTar(ctx, data, dst, keep); err != nil {
		return fmt.Errorf("extract %s into %s: %w", debPath, dst, err)
	}
	return nil
}

func walk(ctx context.Context, r io.Reader, fn func(*tar.Header, io.Reader) error) error {
	data, closeData, err := dataTar(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return err
	}
	defer closeData()
	return walkTar(ctx, tar.NewReader(data), fn)
}

// dataTar finds the data.tar[.gz|.xz|.zst|...] member and returns it
// decompressed.
func dataTar(r io.Reader) (io.Reader, func(), error) {
	ar, err := newArReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; is it a .deb?", err)
	}
	for {
		m, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("no data.tar member; is it a .deb?")
		}
		if err != nil {
			return nil, nil, err
		}
		if m.Name != "data.tar" && !strings.HasPrefix(m.Name, "data.tar.") {
			continue
		}
		d, err := Decompress(ar)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		return d, func() { d.Close() }, nil
	}
}
