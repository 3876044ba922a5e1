package modules

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const release = "6.1.0-57-cloud-amd64"

// realTree is lib/modules/<release> of the real Debian cloud kernel,
// extracted once for all tests.
var realTree string

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "kiln-modules-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if realTree, err = extractKernel(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

func extractKernel(dir string) (string, error) {
	deb, err := kernelDeb()
	if err != nil {
		return "", err
	}
	out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", deb, err, out)
	}
	return filepath.Join(dir, "lib", "modules", release), nil
}

// kernelDeb finds the test kernel package: $KILN_TEST_KERNEL_DEB, else
// build/kernel/linux-image-cloud-amd64.deb under the repository root.
func kernelDeb() (string, error) {
	if p := os.Getenv("KILN_TEST_KERNEL_DEB"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "build", "kernel", "linux-image-cloud-amd64.deb")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("test kernel %s missing (run `make kernel` or set KILN_TEST_KERNEL_DEB): %w", p, err)
	}
	return p, nil
}

func scanReal(t *testing.T) *Index {
	t.Helper()
	ix, err := Scan(context.Background(), realTree)
	if err != nil {
		t.Fatalf("Scan(%s): %v", realTree, err)
	}
	return ix
}
