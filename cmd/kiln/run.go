package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kiln-project/kiln/pipeline"
	"github.com/kiln-project/kiln/qemu"
)

type runFlags struct {
	accel, mem, expect, appendArgs string
	cpus                           int
	timeout                        time.Duration
}

func newRun(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run DIR",
		Short: "Boot a build in QEMU with its serial console on this terminal",
		Long: `Run boots the vmlinuz, initramfs.cpio.zst and cmdline that "kiln build"
wrote to DIR. The serial console is this terminal; the VM always has a
virtio-rng device (entropy) and a virtio NIC on an isolated user-mode
network. At the end it prints the agent's phase timings.

It exits 0 only when the agent reached "ready" (or --expect matched) and
the VM stopped cleanly. Add "kiln.poweroff=ready" to power off once
ready, as tests do:

  kiln run out/demo --append kiln.poweroff=ready

--accel auto uses KVM only when a probe guest actually runs under it, so
it never hangs where /dev/kvm exists but nested guests hang.`,
		Example: "  kiln run out/demo --timeout 2m\n  kiln run out/demo --expect 'kiln-event .*\"phase\":\"ready\"'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVM(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.accel, "accel", "auto", "accelerator: auto, kvm or tcg")
	fl.StringVar(&f.mem, "mem", "512M", "guest memory")
	fl.IntVar(&f.cpus, "cpus", 2, "guest CPUs")
	fl.StringVar(&f.expect, "expect", "", "stop with success once the console matches this regular expression")
	fl.DurationVar(&f.timeout, "timeout", 0, "give up after this long (0: no limit)")
	fl.StringVar(&f.appendArgs, "append", "", "extra kernel command line arguments")
	return cmd
}

func runVM(cmd *cobra.Command, g *globals, f *runFlags, dir string) error {
	switch f.accel {
	case "auto", "kvm", "tcg":
	default:
		return fmt.Errorf("--accel %q: want auto, kvm or tcg", f.accel)
	}
	o := qemu.Options{Kernel: filepath.Join(dir, pipeline.VmlinuzName), Initrd: filepath.Join(dir, pipeline.InitramfsName),
		Accel: f.accel, Mem: f.mem, CPUs: f.cpus, Timeout: f.timeout, Console: os.Stdout, Log: g.logger(os.Stderr)}
	for _, p := range []string{o.Kernel, o.Initrd} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %w; build it first with: kiln build -f kiln.yaml -o %s", dir, err, dir)
		}
	}
	cl, err := os.ReadFile(filepath.Join(dir, pipeline.CmdlineName))
	if err != nil {
		return fmt.Errorf("read the command line of %s: %w", dir, err)
	}
	o.Cmdline = strings.TrimSpace(strings.TrimSpace(string(cl)) + " " + f.appendArgs)
	if f.expect != "" {
		if o.Expect, err = regexp.Compile(f.expect); err != nil {
			return fmt.Errorf("--expect: %w", err)
		}
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		o.Stdin = os.Stdin
	}
	res, err := qemu.Run(cmd.Context(), o)
	if res != nil {
		fmt.Fprintln(os.Stderr)
		fmt.Fprint(os.Stderr, res.Timings())
	}
	if err != nil {
		return err
	}
	return verdict(res, f.expect != "")
}

// verdict is the exit rule: ready (or the expectation) and a clean stop.
func verdict(res *qemu.Result, expect bool) error {
	switch {
	case expect && res.ExpectMatched:
		return nil
	case expect:
		return fmt.Errorf("--expect did not match before the VM stopped (exit %d)", res.ExitCode)
	case !res.Ready:
		return fmt.Errorf("the agent never reported ready (QEMU exit %d)", res.ExitCode)
	case !res.Clean:
		return fmt.Errorf("the agent reached ready but the VM did not power off cleanly (QEMU exit %d%s)", res.ExitCode, panicNote(res.Panic))
	}
	return nil
}

func panicNote(p string) string {
	if p == "" {
		return ""
	}
	return "; kernel: " + p
}
