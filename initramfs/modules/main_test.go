package modules

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-project/kiln/internal/testkernel"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// realTree is lib/modules/<release> of the real Debian cloud kernel,
// extracted once for all tests.
var realTree string

// release is the kernel release of realTree (from the package name, so a
// newer Debian kernel needs no test change).
var release string

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "kiln-modules-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if realTree, err = testkernel.Extract(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		release = filepath.Base(realTree)
		code = m.Run()
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

func scanReal(t *testing.T) *Index {
	t.Helper()
	ix, err := Scan(context.Background(), realTree)
	if err != nil {
		t.Fatalf("Scan(%s): %v", realTree, err)
	}
	return ix
}
