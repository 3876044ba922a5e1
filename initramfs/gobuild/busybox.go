package gobuild

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/u-root/gobusybox/src/pkg/bb"
	"github.com/u-root/gobusybox/src/pkg/bb/findpkg"
	"github.com/u-root/gobusybox/src/pkg/golang"
)

// BusyboxName is the file name of the busybox binary. It runs the command
// named by the base name of argv[0] (symlinks are followed up to the last
// one), so install it as bbin/bb with symlinks bbin/<cmd> -> bb; `bb <cmd>
// args...` works too.
const BusyboxName = "bb"

// namesSuffix names the file next to a cached busybox that lists the
// commands it holds, one per line.
const namesSuffix = ".cmds"

// DefaultBusyboxCmds are the u-root debug commands put into the busybox
// when the caller names none.
func DefaultBusyboxCmds() []string {
	names := []string{"gosh", "ls", "cat", "ip", "dmesg", "ps", "mount", "cp", "mkdir",
		"rm", "echo", "grep", "uname", "free", "lsmod", "insmod", "mv"}
	cmds := make([]string, len(names))
	for i, n := range names {
		cmds[i] = "github.com/u-root/u-root/cmds/core/" + n
	}
	return cmds
}

// BuildBusybox builds one static binary holding the Go commands cmds
// (import paths resolvable from the module at Src; DefaultBusyboxCmds if
// empty) and returns it with the names of the commands it holds. Commands
// that do not build for linux/amd64 without cgo are left out with a
// warning.
func (b *Builder) BuildBusybox(ctx context.Context, cmds []string) (Binary, []string, error) {
	if err := b.check(); err != nil {
		return Binary{}, nil, err
	}
	if len(cmds) == 0 {
		cmds = DefaultBusyboxCmds()
	}
	tc, err := b.goToolchain(ctx)
	if err != nil {
		return Binary{}, nil, err
	}
	key, err := b.busyboxKey(tc, cmds)
	if err != nil {
		return Binary{}, nil, fmt.Errorf("hash inputs of busybox: %w", err)
	}
	out := b.cachePath(key, BusyboxName)
	if bin, ok := cached(out); ok {
		if names, err := readNames(out); err == nil {
			return bin, names, nil
		}
	}
	pkgs, err := b.buildableCmds(ctx, cmds)
	if err != nil {
		return Binary{}, nil, err
	}
	names := cmdNames(pkgs)
	// The list goes in first: the binary's arrival marks the entry complete.
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Binary{}, nil, fmt.Errorf("create cache dir: %w", err)
	}
	if err := writeFileAtomic(out+namesSuffix, []byte(strings.Join(names, "\n")+"\n")); err != nil {
		return Binary{}, nil, err
	}
	bin, err := b.produce(ctx, "busybox", out, func(tmp string) error {
		return b.busybox(ctx, tc, pkgs, tmp)
	})
	if err != nil {
		return Binary{}, nil, err
	}
	return bin, names, nil
}

// busyboxKey covers what picks the commands' code: the toolchain, the
// u-root and gobusybox versions pinned in go.sum, and the command list.
// Hashing all of go.sum would rebuild the busybox (a minute or more) on
// every unrelated dependency change; the price is that a bump of a module
// only the commands use (e.g. vishvananda/netlink) goes unnoticed.
func (b *Builder) busyboxKey(tc *toolchain, cmds []string) (string, error) {
	sum, err := os.ReadFile(filepath.Join(b.Src, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("read go.sum of module %s: %w", b.Src, err)
	}
	pins := pinnedLines(sum, "github.com/u-root/u-root ", "github.com/u-root/gobusybox/src ")
	if len(pins) == 0 {
		return "", fmt.Errorf("%s/go.sum pins no github.com/u-root/u-root version; run `go get github.com/u-root/u-root@v0.16.0`", b.Src)
	}
	h := sha256.New()
	fmt.Fprintf(h, "gobuild busybox v1\ngo %s\ntarget %s/%s cgo=false\nflags %q\ntags %q\npins %q\ncmds %q\n",
		tc.version, targetOS, targetArch, reproducibleFlags(), busyboxTags(), pins, sortedCopy(cmds))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func pinnedLines(sum []byte, prefixes ...string) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(sum))
	for sc.Scan() {
		for _, p := range prefixes {
			if strings.HasPrefix(sc.Text(), p) {
				lines = append(lines, sc.Text())
			}
		}
	}
	return lines
}

// listedPkg is the part of `go list -json` that says whether a command builds.
type listedPkg struct {
	ImportPath string
	Name       string
	Error      *struct{ Err string }
	DepsErrors []struct{ Err string }
}

func (p listedPkg) problem() string {
	switch {
	case p.Error != nil:
		return p.Error.Err
	case len(p.DepsErrors) > 0:
		return p.DepsErrors[0].Err
	case p.Name != "main":
		return "not a main package"
	}
	return ""
}

// buildableCmds resolves cmds to import paths of main packages that load
// without errors, and warns about the rest: gobusybox fails as a whole on
// one bad command.
func (b *Builder) buildableCmds(ctx context.Context, cmds []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, b.goCmd(),
		append([]string{"list", "-e", "-tags=" + strings.Join(busyboxTags(), ","), "-json=ImportPath,Name,Error,DepsErrors"}, cmds...)...)
	cmd.Dir = b.Src
	cmd.Env = buildEnv(false)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("look up busybox commands %v in %s: %w\n%s", cmds, b.Src, err, strings.TrimSpace(stderr.String()))
	}
	var good []string
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p listedPkg
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("look up busybox commands %v: decode go list output: %w", cmds, err)
		}
		if problem := p.problem(); problem != "" {
			b.log().Warn("leaving command out of busybox", "cmd", p.ImportPath, "err", problem)
			continue
		}
		good = append(good, p.ImportPath)
	}
	if len(good) == 0 {
		return nil, fmt.Errorf("build busybox: none of the commands %v builds; see the warnings", cmds)
	}
	return good, nil
}

func cmdNames(pkgs []string) []string {
	names := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = path.Base(p)
	}
	return names
}

func readNames(out string) ([]string, error) {
	data, err := os.ReadFile(out + namesSuffix)
	if err != nil {
		return nil, err
	}
	names := strings.Fields(string(data))
	if len(names) == 0 {
		return nil, fmt.Errorf("%s%s lists no commands", out, namesSuffix)
	}
	return names, nil
}

// busybox has gobusybox rewrite the commands into one GOPATH tree and then
// compiles that itself: gobusybox's own build passes -a, which recompiles
// the standard library every time.
func (b *Builder) busybox(ctx context.Context, tc *toolchain, pkgs []string, out string) error {
	gen, err := os.MkdirTemp("", "kiln-bb-src-")
	if err != nil {
		return fmt.Errorf("create busybox source dir: %w", err)
	}
	defer os.RemoveAll(gen)
	start := time.Now()
	env := golang.Default(golang.DisableCGO(), golang.WithGOOS(targetOS), golang.WithGOARCH(targetArch),
		golang.WithGOROOT(tc.goroot), golang.WithCompiler(b.goCmd()),
		golang.WithGO111MODULE("on"), golang.WithWorkingDir(b.Src), golang.WithBuildTag(busyboxTags()...))
	err = bb.BuildBusybox(ulogger{b.log()}, &bb.Opts{
		Env:          env,
		LookupEnv:    &findpkg.Env{},
		GenSrcDir:    gen,
		CommandPaths: pkgs,
		GenerateOnly: true,
	})
	if err != nil {
		return fmt.Errorf("generate busybox source for %v: %w", pkgs, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.log().Info("generated busybox source, compiling", "cmds", len(pkgs), "duration", time.Since(start).Round(time.Millisecond))
	cmd := exec.CommandContext(ctx, b.goCmd(), append(buildArgs(out, busyboxTags()), ".")...)
	cmd.Dir = filepath.Join(gen, "src", "bb.u-root.com", "bb")
	cmd.Env = append(buildEnv(false), "GO111MODULE=off", "GOPATH="+gen)
	return runGo(cmd)
}

// ulogger sends gobusybox's chatter to slog at debug level.
type ulogger struct{ log *slog.Logger }

func (u ulogger) Printf(format string, v ...any) {
	u.log.Debug(fmt.Sprintf(format, v...), "component", "gobusybox")
}

// busyboxTags builds gosh with its plain line reader: the default
// bubbline editor queries the terminal (cursor position, colours) and,
// on a serial console that never answers, eats the first line typed.
func busyboxTags() []string { return []string{"goshsmall"} }
