package nodecfg

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-project/kiln/spec"
)

func baseSpec() *spec.Spec {
	return &spec.Spec{Version: 1, Name: "demo", Kernel: spec.Kernel{Deb: &spec.Artifact{Source: "k.deb"}},
		Network: spec.Network{Wait: "30s", DNS: []string{"1.1.1.1"},
			Interfaces: []spec.Interface{{Match: spec.Match{Name: "eth*"}}}},
		Time: spec.Time{NTP: []string{"pool.ntp.org"}}}
}

const testUUID = "4c4c4544-0035-3010-8056-b4c04f395a32"

type resolveCase struct {
	name      string
	partition string // node.yaml on a KILNCFG partition; "" for no partition
	noFile    bool   // a KILNCFG partition without node.yaml
	mountErr  error
	served    string // the answer to kiln.config; "" answers 404
	config    string // kiln.config, SRV standing for the server; "" absent
	cmdline   map[string]string
	noFetch   bool
	want      func(s *spec.Spec) // edits the base spec into the expected one
	statuses  []string           // "source=status" per report entry
	reqPath   string             // the path kiln.config must have asked for
}

func TestResolve(t *testing.T) {
	same := func(*spec.Spec) {}
	tests := []resolveCase{{
		name:     "image only",
		want:     same,
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=skipped"},
	}, {
		name:      "later wins: disk < url < cmdline",
		partition: "hostname: from-disk\ntime: {ntp: [ntp.disk]}\n",
		served:    "hostname: from-url\n", config: "SRV/node.yaml",
		cmdline: map[string]string{"hostname": "from-cmdline"},
		want: func(s *spec.Spec) {
			s.Hostname = "from-cmdline"
			s.Time.NTP = []string{"ntp.disk"}
		},
		statuses: []string{"image=used", "KILNCFG=used", "kiln.config=used", "kiln.hostname=used"},
		reqPath:  "/node.yaml",
	}, {
		name:      "url over disk",
		partition: "hostname: from-disk\n",
		served:    "hostname: from-url\n", config: "SRV/node.yaml",
		want:     func(s *spec.Spec) { s.Hostname = "from-url" },
		statuses: []string{"image=used", "KILNCFG=used", "kiln.config=used"},
	}, {
		name:      "network block replaced, then single keys",
		partition: "network:\n  interfaces: [{match: {mac: \"52:54:00:*\"}, addresses: [10.0.0.7/24]}]\n",
		cmdline:   map[string]string{"dns": "9.9.9.9", "wait": "5s", "ntp": "ntp.lab"},
		want: func(s *spec.Spec) {
			s.Network = spec.Network{Wait: "5s", DNS: []string{"9.9.9.9"},
				Interfaces: []spec.Interface{{Match: spec.Match{MAC: "52:54:00:*"}, Addresses: []string{"10.0.0.7/24"}}}}
			s.Time.NTP = []string{"ntp.lab"}
		},
		statuses: []string{"image=used", "KILNCFG=used", "kiln.config=skipped", "kiln.ntp=used", "kiln.dns=used", "kiln.wait=used"},
	}, {
		name:      "bad partition config ignored",
		partition: "kernel: {deb: x}\nhostname: evil\n",
		served:    "time: {ntp: [ntp.url]}\n", config: "SRV/node.yaml",
		want:     func(s *spec.Spec) { s.Time.NTP = []string{"ntp.url"} },
		statuses: []string{"image=used", "KILNCFG=failed", "kiln.config=used"},
	}, {
		name:      "url answering 404 ignored",
		partition: "hostname: from-disk\n",
		config:    "SRV/missing.yaml",
		cmdline:   map[string]string{"wait": "1s"},
		want:      func(s *spec.Spec) { s.Hostname = "from-disk"; s.Network.Wait = "1s" },
		statuses:  []string{"image=used", "KILNCFG=used", "kiln.config=failed", "kiln.wait=used"},
	}, {
		name:   "bad url config ignored",
		served: "hostname: Not_A_Label\n", config: "SRV/node.yaml",
		want:     same,
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=failed"},
	}, {
		name:      "bad cmdline key ignored, good one kept",
		partition: "hostname: from-disk\n",
		cmdline:   map[string]string{"hostname": "Bad_Name", "ntp": "10.0.0.1"},
		want:      func(s *spec.Spec) { s.Hostname = "from-disk"; s.Time.NTP = []string{"10.0.0.1"} },
		statuses:  []string{"image=used", "KILNCFG=used", "kiln.config=skipped", "kiln.hostname=failed", "kiln.ntp=used"},
	}, {
		name:     "partition without node.yaml",
		noFile:   true,
		want:     same,
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=skipped"},
	}, {
		name:     "partition that does not mount",
		mountErr: errors.New("mount: no such device"),
		want:     same,
		statuses: []string{"image=used", "KILNCFG=failed", "kiln.config=skipped"},
	}, {
		name:      "url variables substituted",
		partition: "hostname: n7\n",
		served:    "time: {ntp: [ntp.url]}\n", config: "SRV/${mac}/${uuid}/${hostname}.yaml",
		want:     func(s *spec.Spec) { s.Hostname = "n7"; s.Time.NTP = []string{"ntp.url"} },
		statuses: []string{"image=used", "KILNCFG=used", "kiln.config=used"},
		reqPath:  "/52:54:00:aa:bb:01/" + testUUID + "/n7.yaml",
	}, {
		name:   "unknown url variable",
		served: "hostname: x\n", config: "SRV/${serial}.yaml",
		want:     same,
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=failed"},
	}, {
		name:   "no fetch on this pass",
		served: "hostname: from-url\n", config: "SRV/node.yaml", noFetch: true,
		cmdline:  map[string]string{"hostname": "from-cmdline"},
		want:     func(s *spec.Spec) { s.Hostname = "from-cmdline" },
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=skipped", "kiln.hostname=used"},
	}, {
		name:     "other kiln keys are not node settings",
		cmdline:  map[string]string{"poweroff": "ready", "debug": "1"},
		want:     same,
		statuses: []string{"image=used", "KILNCFG=skipped", "kiln.config=skipped"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runResolve(t, tt) })
	}
}

func runResolve(t *testing.T, tt resolveCase) {
	sys, dev := t.TempDir(), t.TempDir()
	mbr := make([]byte, sectorSize)
	mbr[510], mbr[511] = 0x55, 0xAA
	fakeBlock(t, sys, dev, "vda", 4096, mbr)
	if tt.partition != "" || tt.noFile || tt.mountErr != nil {
		fakeBlock(t, sys, dev, "vdb", 64, bootSector(Label, true))
	}
	fakeLink(t, sys, "lo", "772", "1", "00:00:00:00:00:00")
	fakeLink(t, sys, "eth0", "1", "2", "52:54:00:AA:BB:01")
	if err := os.MkdirAll(filepath.Join(sys, "class", "dmi", "id"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys, "class", "dmi", "id", "product_uuid"), []byte(strings.ToUpper(testUUID)+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}

	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		if tt.served == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(tt.served))
	}))
	defer srv.Close()
	cmdline := map[string]string{}
	maps.Copy(cmdline, tt.cmdline)
	if tt.config != "" {
		cmdline["config"] = strings.Replace(tt.config, "SRV", srv.URL, 1)
	}

	mounted, mountedDev := false, ""
	mount := func(d, target string) (func() error, error) {
		if tt.mountErr != nil {
			return nil, tt.mountErr
		}
		if !tt.noFile {
			if err := os.WriteFile(filepath.Join(target, FileName), []byte(tt.partition), 0o444); err != nil {
				return nil, err
			}
		}
		mounted, mountedDev = true, d
		return func() error {
			mounted = false
			return os.RemoveAll(target)
		}, nil
	}

	base := baseSpec()
	got, rep := Resolve(context.Background(), base, Sources{SysDir: sys, DevDir: dev, RunDir: t.TempDir(),
		Cmdline: cmdline, HTTP: srv.Client(), Mount: mount, NoFetch: tt.noFetch})

	want := baseSpec()
	tt.want(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spec =\n%+v\nwant\n%+v", got, want)
	}
	if !reflect.DeepEqual(base, baseSpec()) {
		t.Errorf("Resolve changed the base spec: %+v", base)
	}
	checkReport(t, rep, tt.statuses)
	if mounted {
		t.Error("the partition was left mounted")
	}
	if mountedDev != "" && mountedDev != filepath.Join(dev, "vdb") {
		t.Errorf("mounted %s, want the KILNCFG device %s", mountedDev, filepath.Join(dev, "vdb"))
	}
	if tt.reqPath != "" && gotPath != tt.reqPath {
		t.Errorf("kiln.config requested %q, want %q", gotPath, tt.reqPath)
	}
}

func checkReport(t *testing.T, rep Report, want []string) {
	t.Helper()
	var got []string
	failed := 0
	for _, e := range rep {
		got = append(got, e.Source+"="+string(e.Status))
		switch e.Status {
		case Failed:
			failed++
			if e.Err == nil {
				t.Errorf("entry %s failed without an error", e.Source)
			}
		case Skipped:
			if e.Msg == "" {
				t.Errorf("entry %s skipped without saying why", e.Source)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report = %v, want %v\n%+v", got, want, rep)
	}
	if rep.Failed() != failed {
		t.Errorf("Failed() = %d, want %d", rep.Failed(), failed)
	}
}

func TestEntryJSON(t *testing.T) {
	rep := Report{
		{Source: "image", Status: Used},
		{Source: "kiln.config", From: "http://h/x", Status: Failed, Err: errors.New("server answered 404 Not Found")},
		{Source: "KILNCFG", Status: Skipped, Msg: "no FAT filesystem labelled KILNCFG"},
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"source":"image","status":"used"},` +
		`{"source":"kiln.config","from":"http://h/x","status":"failed","error":"server answered 404 Not Found"},` +
		`{"source":"KILNCFG","status":"skipped","msg":"no FAT filesystem labelled KILNCFG"}]`
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}
}
