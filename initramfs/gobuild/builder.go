// Package gobuild builds the Go binaries that go into the initramfs (the
// agent, and optionally a u-root busybox of debug tools) reproducibly, and
// caches them by a hash of their inputs so that a warm build is a file stat.
package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Target platform of everything built here: the initramfs runs on x86-64 Linux.
const (
	targetOS   = "linux"
	targetArch = "amd64"
)

// reproducibleFlags make the same inputs give the same bytes: no build
// paths, no VCS stamp, no symbols, no build ID.
func reproducibleFlags() []string {
	return []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}
}

// Builder builds Go packages of the module at Src into CacheDir.
type Builder struct {
	Src      string // root of the module to build from (see FindSource)
	CacheDir string // cached binaries live under CacheDir/gobuild
	Go       string // go command; "go" if empty
	Log      *slog.Logger

	mu        sync.Mutex
	toolchain *toolchain
}

// Options changes how one package is built.
type Options struct {
	CGO  bool     // build with CGO_ENABLED=1 (dynamic, host libc)
	Tags []string // build tags
	// HashDirs are extra directories (relative to Src, or absolute) whose
	// files go into the cache key, for module packages the binary imports
	// outside agent/, spec/ and its own directory.
	HashDirs []string
}

// Binary is a built (or cached) executable.
type Binary struct {
	Path     string // absolute path of the executable in the cache
	SHA256   string // hex digest of its contents
	CacheHit bool   // true when nothing was compiled
}

// toolchain is what the go command reports about itself, asked once per
// Builder because it is part of every cache key.
type toolchain struct {
	version string
	goroot  string
}

// Build compiles pkg (an import path, or a ./relative path inside Src) for
// linux/amd64, or returns the cached binary if its inputs are unchanged.
func (b *Builder) Build(ctx context.Context, pkg string, opt Options) (Binary, error) {
	if err := b.check(); err != nil {
		return Binary{}, err
	}
	tc, err := b.goToolchain(ctx)
	if err != nil {
		return Binary{}, err
	}
	key, err := b.packageKey(tc, pkg, opt)
	if err != nil {
		return Binary{}, fmt.Errorf("hash inputs of %s: %w", pkg, err)
	}
	out := b.cachePath(key, binaryName(pkg))
	if bin, ok := cached(out); ok {
		return bin, nil
	}
	return b.produce(ctx, pkg, out, func(tmp string) error {
		return b.goBuild(ctx, pkg, tmp, opt)
	})
}

func (b *Builder) check() error {
	if b.Src == "" {
		return errors.New("gobuild: Builder.Src is empty; set it to the module root (see FindSource)")
	}
	if b.CacheDir == "" {
		return errors.New("gobuild: Builder.CacheDir is empty; set it to a writable cache directory")
	}
	return nil
}

func (b *Builder) goCmd() string {
	if b.Go == "" {
		return "go"
	}
	return b.Go
}

func (b *Builder) log() *slog.Logger {
	if b.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Log
}

func (b *Builder) goToolchain(ctx context.Context) (*toolchain, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.toolchain != nil {
		return b.toolchain, nil
	}
	cmd := exec.CommandContext(ctx, b.goCmd(), "env", "GOVERSION", "GOROOT")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ask %s for its version: %w: %s", b.goCmd(), err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] == "" {
		return nil, fmt.Errorf("ask %s for its version: unexpected output %q", b.goCmd(), out)
	}
	b.toolchain = &toolchain{version: lines[0], goroot: lines[1]}
	return b.toolchain, nil
}

// buildEnv pins everything in the environment that changes the output and
// is not part of the cache key.
func buildEnv(cgo bool) []string {
	c := "0"
	if cgo {
		c = "1"
	}
	return append(os.Environ(),
		"GOOS="+targetOS, "GOARCH="+targetArch, "CGO_ENABLED="+c,
		"GOFLAGS=", "GOWORK=off")
}

func buildArgs(out string, tags []string) []string {
	args := append([]string{"build", "-o", out}, reproducibleFlags()...)
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	return args
}

func (b *Builder) goBuild(ctx context.Context, pkg, out string, opt Options) error {
	cmd := exec.CommandContext(ctx, b.goCmd(), append(buildArgs(out, sortedCopy(opt.Tags)), pkg)...)
	cmd.Dir = b.Src
	cmd.Env = buildEnv(opt.CGO)
	return runGo(cmd)
}

// runGo runs a go command and puts its output (the compiler's messages)
// into the error.
func runGo(cmd *exec.Cmd) error {
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s in %s: %w\n%s", strings.Join(cmd.Args, " "), cmd.Dir, err, strings.TrimSpace(output.String()))
	}
	return nil
}

// produce runs build into a temp file next to out, records its digest and
// moves it into place, logging progress because a cold build takes a while.
func (b *Builder) produce(ctx context.Context, what, out string, build func(tmp string) error) (Binary, error) {
	log := b.log().With("pkg", what)
	log.Info("building", "out", out)
	start := time.Now()
	bin, err := store(out, build)
	if err != nil {
		log.Error("build failed", "err", err, "duration", time.Since(start).Round(time.Millisecond))
		return Binary{}, fmt.Errorf("build %s: %w", what, err)
	}
	log.Info("built", "duration", time.Since(start).Round(time.Millisecond), "sha256", bin.SHA256)
	return bin, nil
}

// binaryName is the name go build gives pkg's executable: its last path
// element, skipping a major-version suffix such as /v2.
func binaryName(pkg string) string {
	p := strings.TrimSuffix(filepath.ToSlash(pkg), "/")
	name := path.Base(p)
	if isMajorVersion(name) && path.Dir(p) != "." {
		name = path.Base(path.Dir(p))
	}
	return name
}

func isMajorVersion(elem string) bool {
	digits, ok := strings.CutPrefix(elem, "v")
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}
