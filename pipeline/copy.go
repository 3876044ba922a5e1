package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// copied is a file copy's digest, taken while copying so the output is
// not read twice.
type copied struct {
	SHA256 string
	Size   int64
}

func copyFile(src, dst string) (copied, error) {
	in, err := os.Open(src)
	if err != nil {
		return copied{}, fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return copied{}, fmt.Errorf("copy to %s: %w", dst, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		out.Close()
		return copied{}, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return copied{}, fmt.Errorf("close %s: %w", dst, err)
	}
	return copied{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
