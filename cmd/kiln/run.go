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
	// qemu.Run checks the accelerator and that the kernel and initramfs
	// exist; a directory without a cmdline is not a build at all.
	cl, err := os.ReadFile(filepath.Join(dir, pipeline.CmdlineName))
	if err != nil {
		return fmt.Errorf("%s is not a Kiln build (%w); build it first with: kiln build -f kiln.yaml -o %s", dir, err, dir)
	}
	o := qemu.Options{Kernel: filepath.Join(dir, pipeline.VmlinuzName), Initrd: filepath.Join(dir, pipeline.InitramfsName),
		Accel: f.accel, Mem: f.mem, CPUs: f.cpus, Timeout: f.timeout, Console: os.Stdout, Log: g.logger(os.Stderr)}
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
	// qemu.Run already failed unless --expect matched or the guest
	// powered off cleanly; a clean power off also needs the ready event.
	if o.Expect == nil && !res.Ready {
		return fmt.Errorf("the VM powered off but the agent never reported ready")
	}
	return nil
}
