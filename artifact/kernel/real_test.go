package kernel

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/artifact"
	"github.com/kiln-project/kiln/internal/testkernel"
	"github.com/kiln-project/kiln/spec"
)

func TestResolveRealDeb(t *testing.T) {
	ctx := context.Background()
	debPath := testkernel.MustDeb(t)
	want, err := testkernel.Release(debPath)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := &artifact.Cache{Dir: t.TempDir(), Log: slog.New(slog.NewTextHandler(&logs, nil))}
	k, err := Resolve(ctx, c, spec.Kernel{Deb: &spec.Artifact{Source: debPath}}, "/")
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != want {
		t.Errorf("release = %q, want %q", k.Release, want)
	}
	dir := filepath.Join(c.Dir, "kernels", k.Inputs[0].SHA256)
	if k.Vmlinuz != filepath.Join(dir, "boot", "vmlinuz-"+want) || k.ModulesDir != filepath.Join(dir, "lib", "modules", want) {
		t.Errorf("paths: vmlinuz %s, modules %s; want them under %s", k.Vmlinuz, k.ModulesDir, dir)
	}
	if k.Config != filepath.Join(dir, "boot", "config-"+want) {
		t.Errorf("config = %q", k.Config)
	}
	for _, p := range []string{"modules.order", "modules.builtin", "kernel/drivers/net/virtio_net.ko"} {
		if !fileExists(filepath.Join(k.ModulesDir, p)) {
			t.Errorf("%s missing from the module tree", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "usr")); err == nil {
		t.Error("usr/ was extracted; only the kernel and modules should be")
	}
	if !strings.Contains(logs.String(), "extracting kernel") {
		t.Errorf("no extraction logged: %s", logs.String())
	}

	t.Run("bzImage header", func(t *testing.T) {
		f, err := os.Open(k.Vmlinuz)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v, err := BzImageVersion(f)
		if err != nil || !strings.HasPrefix(v, want+" ") {
			t.Errorf("version = %q, %v; want it to start with %q", v, err, want)
		}
	})

	t.Run("cache hit", func(t *testing.T) {
		logs.Reset()
		start := time.Now()
		again, err := Resolve(ctx, c, spec.Kernel{Deb: &spec.Artifact{Source: debPath, SHA256: k.Inputs[0].SHA256}}, "/")
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("second resolve took %v; it should only hash the .deb", took)
		}
		if strings.Contains(logs.String(), "extracting kernel") {
			t.Error("second resolve extracted the kernel again")
		}
		if again.Vmlinuz != k.Vmlinuz || again.ModulesDir != k.ModulesDir || again.Release != k.Release {
			t.Errorf("second resolve differs: %+v vs %+v", again, k)
		}
	})
}
