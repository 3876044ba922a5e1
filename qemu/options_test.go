package qemu

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	net := []string{"-device", "virtio-rng-pci", "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"}
	common := []string{"-display", "none", "-vga", "none", "-nodefaults", "-no-reboot", "-serial", "stdio"}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	tests := []struct {
		name  string
		o     Options
		accel string
		want  []string
	}{
		{
			name:  "tcg with defaults",
			o:     Options{Kernel: "vmlinuz", Initrd: "initrd", Cmdline: "console=ttyS0 panic=10"},
			accel: AccelTCG,
			want: cat([]string{"-machine", "pc", "-accel", "tcg,thread=multi", "-m", "512M", "-smp", "2"}, common,
				[]string{"-kernel", "vmlinuz", "-initrd", "initrd", "-append", "console=ttyS0 panic=10"}, net),
		},
		{
			name:  "kvm with mem, cpus and machine",
			o:     Options{Kernel: "vmlinuz", Initrd: "initrd", Mem: "2G", CPUs: 4, Machine: "q35"},
			accel: AccelKVM,
			want: cat([]string{"-machine", "q35", "-accel", "kvm", "-cpu", "host", "-m", "2G", "-smp", "4"}, common,
				[]string{"-kernel", "vmlinuz", "-initrd", "initrd"}, net),
		},
		{
			name:  "no initrd, extra args last",
			o:     Options{Kernel: "vmlinuz", ExtraArgs: []string{"-drive", "file=disk.img,if=virtio"}},
			accel: AccelTCG,
			want: cat([]string{"-machine", "pc", "-accel", "tcg,thread=multi", "-m", "512M", "-smp", "2"}, common,
				[]string{"-kernel", "vmlinuz"}, net, []string{"-drive", "file=disk.img,if=virtio"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := tt.o
			o.Kernel = touch(t, dir, o.Kernel)
			if o.Initrd != "" {
				o.Initrd = touch(t, dir, o.Initrd)
			}
			o, err := o.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tt.want)
			for i, a := range want {
				if a == "vmlinuz" || a == "initrd" {
					want[i] = filepath.Join(dir, a)
				}
			}
			if got := o.args(tt.accel); !slices.Equal(got, want) {
				t.Errorf("args:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestWithDefaultsRejects(t *testing.T) {
	dir := t.TempDir()
	kernel := touch(t, dir, "vmlinuz")
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no kernel", Options{}, "Kernel is empty"},
		{"missing kernel", Options{Kernel: filepath.Join(dir, "nope")}, "Kernel:"},
		{"missing initrd", Options{Kernel: kernel, Initrd: filepath.Join(dir, "nope")}, "Initrd:"},
		{"bad accel", Options{Kernel: kernel, Accel: "hvf"}, `Accel "hvf"`},
		{"negative cpus", Options{Kernel: kernel, CPUs: -1}, "CPUs -1"},
		{"open network", Options{Kernel: kernel, ExtraArgs: []string{"-netdev", "user,id=n1"}}, "restrict=on"},
		{"guestfwd off loopback", Options{Kernel: kernel, GuestFwd: []string{"tcp:10.0.2.100:80-tcp:10.1.1.1:80"}}, "GuestFwd:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.o.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckNetArgs(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"-drive", "file=x"}, true},
		{[]string{"-netdev", "user,id=n1,restrict=on,tftp=/srv"}, true},
		{[]string{"--netdev", "user,id=n1,restrict=yes"}, true},
		{[]string{"-nic", "user,restrict=on,model=virtio"}, true},
		{[]string{"-net", "nic,model=virtio"}, true},
		{[]string{"-netdev", "user,id=n1"}, false},
		{[]string{"-netdev", "user,id=n1,restrict=off"}, false},
		{[]string{"-netdev", "tap,id=n1,ifname=tap0"}, false},
		{[]string{"-nic", "user"}, false},
		{[]string{"-net", "user"}, false},
		{[]string{"-netdev"}, false},
	}
	for _, tt := range tests {
		err := checkNetArgs(tt.args)
		if (err == nil) != tt.ok {
			t.Errorf("checkNetArgs(%q) = %v, want ok=%t", tt.args, err, tt.ok)
		}
	}
}

func TestCheckGuestFwd(t *testing.T) {
	tests := []struct {
		rule string
		ok   bool
	}{
		{"tcp:10.0.2.100:80-tcp:127.0.0.1:8080", true},
		{"tcp:10.0.2.100:80-tcp:127.0.0.2:8080", true},
		{"tcp:10.0.2.100:80-tcp:192.168.1.1:80", false},
		{"tcp:10.0.2.100:80-cmd:nc example.org 80", false},
		{"udp:10.0.2.100:53-tcp:127.0.0.1:53", false},
		{"tcp:10.0.2.100:80-tcp:127.example.org:80", false},
		{"tcp:10.0.2.100:80-tcp:127.0.0.1:80,restrict=off", false},
		{"tcp:10.0.2.100:80,restrict=off-tcp:127.0.0.1:80", false},
		{"tcp:10.0.2.100:80", false},
	}
	for _, tt := range tests {
		if err := checkGuestFwd(tt.rule); (err == nil) != tt.ok {
			t.Errorf("checkGuestFwd(%q) = %v, want ok=%t", tt.rule, err, tt.ok)
		}
	}
}

func TestGuestFwdOption(t *testing.T) {
	got := guestFwd([]string{"tcp:10.0.2.100:80-tcp:127.0.0.1:1", "tcp:10.0.2.101:80-tcp:127.0.0.1:2"})
	if want := ",guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:1,guestfwd=tcp:10.0.2.101:80-tcp:127.0.0.1:2"; got != want {
		t.Errorf("guestFwd = %q, want %q", got, want)
	}
}

func touch(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
