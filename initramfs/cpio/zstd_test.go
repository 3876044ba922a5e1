package cpio

import (
	"bytes"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// testInput is a few MB of mixed compressible and random data, so the
// stream spans many zstd blocks.
func testInput() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < 6<<20 {
		if r.IntN(2) == 0 {
			b.WriteString("kiln initramfs module data ")
		} else {
			var chunk [512]byte
			for i := range chunk {
				chunk[i] = byte(r.Uint32())
			}
			b.Write(chunk[:])
		}
	}
	return b.Bytes()
}

// compress writes in to NewZstdWriter in chunks of varying size.
func compress(t *testing.T, in []byte, seed uint64) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := NewZstdWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed))
	for rest := in; len(rest) > 0; {
		n := min(len(rest), 1+r.IntN(300<<10))
		if _, err := zw.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestZstdDeterministic(t *testing.T) {
	in := testInput()
	first := compress(t, in, 1)
	if !bytes.Equal(first, compress(t, in, 2)) {
		t.Error("output depends on how the input was split into writes")
	}
	// The pinned concurrency must give what a single encoder gives, so no
	// machine setting can change the bytes.
	for _, c := range []int{1, 4} {
		var out bytes.Buffer
		enc, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(c))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enc.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, out.Bytes()) {
			t.Errorf("output differs from a concurrency-%d encoder", c)
		}
	}
	if len(first) >= len(in) {
		t.Errorf("compressed %d bytes to %d", len(in), len(first))
	}
}

func TestZstdCLI(t *testing.T) {
	var archive bytes.Buffer
	zw, err := NewZstdWriter(&archive)
	if err != nil {
		t.Fatal(err)
	}
	entries := append(tinyEntries(t), Entry{Path: "data/blob", Kind: KindFile, Data: testInput()})
	if err := Write(zw, entries, epoch); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := Write(&plain, entries, epoch); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("zstd", "-d", "-c", "-q")
	cmd.Stdin = &archive
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd -dc: %v (install with apt-get install zstd)", err)
	}
	if !bytes.Equal(out, plain.Bytes()) {
		t.Errorf("zstd -dc gave %d bytes that differ from the %d-byte archive", len(out), plain.Len())
	}
}
