package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-project/kiln/initramfs/gobuild"
	"github.com/kiln-project/kiln/pipeline"
)

func newBuild(g *globals) *cobra.Command {
	var file, out, src string
	cmd := &cobra.Command{
		Use:   "build -f kiln.yaml [-o DIR]",
		Short: "Build the kernel, initramfs and command line of a spec",
		Long: `Build fetches the kernel named in the spec, builds the agent, packs the
initramfs and writes into DIR:

  vmlinuz              the kernel
  initramfs.cpio.zst   the agent as /init, kernel modules, the spec
  cmdline              the kernel command line
  manifest.json        every input and output with its sha256

Outputs appear all at once: a failed build leaves DIR as it was. The same
spec and inputs give the same bytes; set SOURCE_DATE_EPOCH to change the
timestamps recorded in the archive.`,
		Example: "  kiln build -f examples/demo/kiln.yaml -o out/demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := g.logger(os.Stderr)
			c, err := g.cache(log)
			if err != nil {
				return err
			}
			root, err := gobuild.FindSource(src)
			if err != nil {
				return err
			}
			epoch, err := sourceDateEpoch()
			if err != nil {
				return err
			}
			res, err := pipeline.Build(cmd.Context(), pipeline.Options{SpecPath: file, OutDir: out,
				Cache: c, Src: root, Epoch: epoch, Log: log, Progress: os.Stderr})
			if err != nil {
				return err
			}
			printBuild(cmd, res, g.verbose)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "kiln.yaml", "spec file")
	cmd.Flags().StringVarP(&out, "out", "o", "out", "output directory (replaced whole on success)")
	cmd.Flags().StringVar(&src, "src", "", "Kiln source tree to build the agent from (default: $KILN_SRC or the checkout around the working directory)")
	return cmd
}

func sourceDateEpoch() (int64, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return pipeline.DefaultEpoch, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 as a whole number", v)
	}
	return n, nil
}

func printBuild(cmd *cobra.Command, res *pipeline.Result, verbose bool) {
	w := cmd.OutOrStdout()
	m := res.Manifest
	fmt.Fprintf(w, "built %s in %s (kernel %s, %d modules)\n", m.Name, res.Elapsed.Round(1e6), m.Kernel.Release, len(m.Kernel.Modules))
	for _, o := range m.Outputs {
		fmt.Fprintf(w, "  %-20s %10d  %s\n", o.Name, o.Size, o.SHA256[:16])
	}
	if verbose {
		for _, l := range res.Sets {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintf(w, "modules packed (%d): %s\n", len(m.Kernel.Modules), strings.Join(m.Kernel.Modules, " "))
		if len(m.Kernel.Builtin) > 0 {
			fmt.Fprintf(w, "built in: %s\n", strings.Join(m.Kernel.Builtin, " "))
		}
	}
	fmt.Fprintf(w, "boot it: kiln run %s\n", res.Dir)
}
