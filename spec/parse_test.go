package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const hexDigest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// defaultNetwork is what Parse fills in when a spec says nothing.
func defaultNetwork() Network { return Network{Wait: "30s"} }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Spec
	}{{
		name: "minimal gets version 1",
		in:   "name: demo\nkernel:\n  deb: ./k.deb\n",
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "./k.deb"}}},
	}, {
		name: "full example",
		in: `version: 1
name: demo
kernel:
  deb: ../../build/kernel/linux-image-cloud-amd64.deb
  cmdline: quiet
  modules: [virtio, e1000]
agent:
  debug_shell: true
`,
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "demo", Kernel: Kernel{
			Deb:     &Artifact{Source: "../../build/kernel/linux-image-cloud-amd64.deb"},
			Cmdline: "quiet",
			Modules: []string{"virtio", "e1000"},
		}, Agent: Agent{DebugShell: true}},
	}, {
		name: "artifact mapping with sha256",
		in:   "name: demo\nkernel:\n  deb: {source: ./k.deb, sha256: " + hexDigest + "}\n",
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "./k.deb", SHA256: hexDigest}}},
	}, {
		name: "vmlinuz with module tree from URLs",
		in: `name: n1
kernel:
  vmlinuz: https://example.org/vmlinuz
  module_tree:
    source: git::https://example.org/mods.git
`,
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "n1", Kernel: Kernel{
			Vmlinuz:    &Artifact{Source: "https://example.org/vmlinuz"},
			ModuleTree: &Artifact{Source: "git::https://example.org/mods.git"},
		}},
	}, {
		name: "vmlinuz without module tree is allowed",
		in:   "name: bare\nkernel: {vmlinuz: /boot/vmlinuz}\n",
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "bare", Kernel: Kernel{Vmlinuz: &Artifact{Source: "/boot/vmlinuz"}}},
	}, {
		name: "nulls read as absent",
		in:   "version: ~\nname: demo\nkernel: {deb: x, vmlinuz: null, modules: ~}\nagent:\n",
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "demo", Kernel: Kernel{Deb: &Artifact{Source: "x"}}},
	}, {
		name: "numeric name is text, dash and underscore modules, sets",
		in:   "name: 123\nkernel:\n  deb: k.deb\n  modules: [all, gpu, nvme-core, nf_tables]\n",
		want: Spec{Version: 1, Network: defaultNetwork(), Name: "123", Kernel: Kernel{
			Deb:     &Artifact{Source: "k.deb"},
			Modules: []string{"all", "gpu", "nvme-core", "nf_tables"},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("kiln.yaml", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse = %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := Parse("kiln.yaml", []byte("name: demo\nkernel:\n  cmdlin: quiet\n"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("errors.As(%T, *Errors) = false", err)
	}
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2:\n%v", len(errs), err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%T, **FieldError) = false", err)
	}
	want := FieldError{File: "kiln.yaml", Line: 2, Col: 1, Path: "kernel",
		Msg: "set one of deb (a linux-image .deb) or vmlinuz (a kernel image)"}
	if *fe != want {
		t.Errorf("first FieldError = %+v, want %+v", *fe, want)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "a.yaml", Line: 3, Col: 9, Path: "name", Msg: "bad"}, "a.yaml:3:9: name: bad"},
		{FieldError{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{FieldError{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{FieldError{Line: 1, Col: 2, Path: "p", Msg: "bad"}, ":1:2: p: bad"},
		{FieldError{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiln.yaml")
	if err := os.WriteFile(path, []byte("name: demo\nkernel: {deb: sub/k.deb}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	s, err := Load("kiln.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want, _ := filepath.Abs("."); s.Dir != want {
		t.Errorf("Dir = %q, want %q", s.Dir, want)
	}
	if s.Kernel.Deb.Source != "sub/k.deb" {
		t.Errorf("source = %q, kept as written (artifact resolves it against Dir)", s.Kernel.Deb.Source)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: demo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if want := bad + ":1:1: kernel: set one of"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load(bad) = %v, want prefix %q", err, want)
	}
}

func TestModuleSets(t *testing.T) {
	want := []string{"virtio", "nic", "storage", "container", "gpu", "all"}
	if got := ModuleSets(); !reflect.DeepEqual(got, want) {
		t.Errorf("ModuleSets() = %v, want %v", got, want)
	}
	// Callers may not change what later callers see.
	ModuleSets()[0] = "changed"
	if !IsModuleSet("virtio") || IsModuleSet("changed") || IsModuleSet("e1000") {
		t.Error("IsModuleSet disagrees with ModuleSets")
	}
}

// A spec baked into an image is marshalled by yaml.v3 and parsed again
// on the node; it must read back as it was.
func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *Spec
	}{
		{"vmlinuz", &Spec{Version: 1, Name: "demo", Network: defaultNetwork(), Kernel: Kernel{
			Vmlinuz:    &Artifact{Source: "./vmlinuz", SHA256: hexDigest},
			ModuleTree: &Artifact{Source: "./mods.tar"},
			Cmdline:    "quiet loglevel=3",
			Modules:    []string{"virtio", "e1000"},
		}, Agent: Agent{DebugShell: true}}},
		{"bring-up fields", bringUpSpec()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := yaml.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse("baked.yaml", data)
			if err != nil {
				t.Fatalf("Parse(marshalled):\n%s\n%v", data, err)
			}
			if !reflect.DeepEqual(tt.in, out) {
				t.Errorf("round trip = %+v, want %+v", out, tt.in)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	fields := []string{"deb", "vmlinuz", "module_tree", "cmdline", "modules"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"cmdlin", "cmdline", true},
		{"Cmdline", "cmdline", true},
		{"module-tree", "module_tree", true},
		{"modles", "modules", true},
		{"vmlinux", "vmlinuz", true},
		{"de", "deb", true},
		{"foo", "", false},
		{"initrd", "", false},
	}
	for _, tt := range tests {
		got, ok := Closest(tt.name, fields)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
