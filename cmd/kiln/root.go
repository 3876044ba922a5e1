package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/kiln-project/kiln/artifact"
)

// globals are the flags every verb shares.
type globals struct {
	cacheDir string
	verbose  bool
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "kiln",
		Short: "Build and boot minimal Linux appliance images for AI compute nodes",
		Long: `Kiln turns one kiln.yaml into a bootable appliance: a kernel and an
initramfs whose PID 1 is the Kiln agent. The agent mounts what the node
needs, loads drivers for the hardware it finds and reports each step as
a "kiln-event" line on the console.

Start here:
  kiln validate -f examples/demo/kiln.yaml   check a spec
  kiln build -f examples/demo/kiln.yaml -o out/demo
  kiln run out/demo                          boot it in QEMU

Artifacts (kernels, downloads, built binaries) are cached in
$XDG_CACHE_HOME/kiln (default ~/.cache/kiln).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.cacheDir, "cache-dir", "", "cache directory (default $XDG_CACHE_HOME/kiln or ~/.cache/kiln)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print debug logs")
	root.AddCommand(newValidate(), newBuild(g), newRun(g), newVersion())
	return root
}

func (g *globals) logger(w io.Writer) *slog.Logger {
	lvl := slog.LevelInfo
	if g.verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func (g *globals) cache(log *slog.Logger) (*artifact.Cache, error) {
	dir := g.cacheDir
	if dir == "" {
		d, err := artifact.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &artifact.Cache{Dir: dir, Log: log, Progress: os.Stderr}, nil
}
