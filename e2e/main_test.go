// Package e2e builds real images from the example specs with the kiln
// binary and boots them in QEMU (TCG here), reading the agent's events
// from the serial console.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/internal/testkernel"
	"github.com/kiln-project/kiln/pipeline"
	"github.com/kiln-project/kiln/qemu"
)

// env is what every test shares: the kiln binary and the repository.
type env struct {
	kiln, repo, cache string
}

func setup(t *testing.T) env {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(file))
	if _, err := testkernel.Deb(); err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(repo, "build/test-cache")
	}
	return env{kiln: kilnBinary(t, repo), repo: repo, cache: cache}
}

// kilnBinary builds cmd/kiln once per test binary run.
func kilnBinary(t *testing.T, repo string) string {
	t.Helper()
	bin := filepath.Join(repo, "build/e2e/kiln")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kiln")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build kiln: %v\n%s", err, out)
	}
	return bin
}

// result of one kiln invocation.
type result struct {
	code           int
	stdout, stderr string
}

func (e env) kilnCmd(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.kiln, args...)
	cmd.Dir = e.repo
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+e.cache, "KILN_SRC="+e.repo)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kiln %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("kiln %s timed out after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, tail(r.stdout), tail(r.stderr))
	}
	return r
}

func (e env) mustKiln(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	r := e.kilnCmd(t, timeout, args...)
	if r.code != 0 {
		t.Fatalf("kiln %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, tail(r.stdout), tail(r.stderr))
	}
	return r
}

func tail(s string) string {
	const n = 6000
	if len(s) > n {
		return fmt.Sprintf("...(%d bytes cut)...\n%s", len(s)-n, s[len(s)-n:])
	}
	return s
}

// buildExample builds examples/NAME into a fresh directory and returns it.
func (e env) buildExample(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	e.mustKiln(t, 10*time.Minute, "build", "-f", filepath.Join("examples", name, "kiln.yaml"), "-o", out)
	return out
}

// vmOptions boots the build in dir under TCG with extra kernel arguments
// after the ones the build wrote; tests add what else they need.
func vmOptions(t *testing.T, dir, extra string) qemu.Options {
	t.Helper()
	cmdline, err := os.ReadFile(filepath.Join(dir, pipeline.CmdlineName))
	if err != nil {
		t.Fatal(err)
	}
	return qemu.Options{
		Kernel:  filepath.Join(dir, pipeline.VmlinuzName),
		Initrd:  filepath.Join(dir, pipeline.InitramfsName),
		Cmdline: strings.TrimSpace(strings.TrimSpace(string(cmdline)) + " " + extra),
		Accel:   "tcg", Timeout: 3 * time.Minute,
	}
}
