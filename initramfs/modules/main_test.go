package modules

import (
	"context"
	"flag"
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
func release() string { return filepath.Base(realTree) }

func TestMain(m *testing.M) {
	flag.Parse()
	code := testkernel.RunWithTree(m, &realTree)
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
