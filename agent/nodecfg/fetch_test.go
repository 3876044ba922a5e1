package nodecfg

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	lookup := func(name string) (string, error) {
		switch name {
		case "mac":
			return "52:54:00:12:34:56", nil
		case "uuid":
			return "", errors.New("no DMI")
		}
		return "", errors.New("unknown variable ${" + name + "}")
	}
	tests := []struct{ in, want, err string }{
		{in: "http://h/node.yaml", want: "http://h/node.yaml"},
		{in: "http://h/${mac}.yaml", want: "http://h/52:54:00:12:34:56.yaml"},
		{in: "http://h/${mac}/${mac}", want: "http://h/52:54:00:12:34:56/52:54:00:12:34:56"},
		{in: "http://h/$mac", want: "http://h/$mac"},
		{in: "http://h/${uuid}", err: "kiln.config=http://h/${uuid}: no DMI"},
		{in: "http://h/${serial}", err: "kiln.config=http://h/${serial}: unknown variable ${serial}"},
		{in: "http://h/${mac", err: "kiln.config=http://h/${mac: ${ without a closing }"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, lookup)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("expand(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// fakeLink adds a network link to a fake sysfs.
func fakeLink(t *testing.T, sys, name, typ, index, addr string) {
	t.Helper()
	dir := filepath.Join(sys, "class", "net", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"type": typ, "ifindex": index, "address": addr} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v+"\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFirstMAC(t *testing.T) {
	sys := t.TempDir()
	fakeLink(t, sys, "lo", "772", "1", "00:00:00:00:00:00")
	fakeLink(t, sys, "sit0", "776", "2", "00:00:00:00")
	fakeLink(t, sys, "dummy0", "1", "3", "00:00:00:00:00:00")
	fakeLink(t, sys, "enp1s0", "1", "5", "52:54:00:AA:BB:02")
	fakeLink(t, sys, "enp0s3", "1", "4", "52:54:00:AA:BB:01")
	got, err := firstMAC(sys)
	if err != nil || got != "52:54:00:aa:bb:01" {
		t.Errorf("firstMAC = %q, %v; want the lowest index, lowercase: 52:54:00:aa:bb:01", got, err)
	}

	onlyLo := t.TempDir()
	fakeLink(t, onlyLo, "lo", "772", "1", "00:00:00:00:00:00")
	if got, err := firstMAC(onlyLo); err == nil || !strings.Contains(err.Error(), "no Ethernet link") {
		t.Errorf("firstMAC with only lo = %q, %v; want an error", got, err)
	}
}

func TestProductUUID(t *testing.T) {
	sys := t.TempDir()
	if _, err := productUUID(sys); err == nil || !strings.HasPrefix(err.Error(), "${uuid}: ") {
		t.Errorf("productUUID without DMI = %v, want a ${uuid} error", err)
	}
	dir := filepath.Join(sys, "class", "dmi", "id")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "product_uuid"), []byte("4C4C4544-0035-3010-8056-B4C04F395A32\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if got, err := productUUID(sys); err != nil || got != "4c4c4544-0035-3010-8056-b4c04f395a32" {
		t.Errorf("productUUID = %q, %v; want it lowercase", got, err)
	}
}

func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hostname: n1\n")) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("#", maxConfigSize+1)))
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("#", maxConfigSize)))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path, want, err string
	}{
		{path: "/ok", want: "hostname: n1\n"},
		{path: "/exact", want: strings.Repeat("#", maxConfigSize)},
		{path: "/missing", err: "fetch node config " + srv.URL + "/missing: server answered 404 Not Found"},
		{path: "/big", err: "fetch node config " + srv.URL + "/big: larger than 1048576 bytes; a node config is a short YAML file"},
		{path: "/slow", err: "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			got, err := fetch(context.Background(), srv.Client(), srv.URL+tt.path, 200*time.Millisecond)
			if time.Since(start) > 2*time.Second {
				t.Errorf("fetch took %v, past its 200ms timeout", time.Since(start))
			}
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("fetch error = %v, want one containing %q", err, tt.err)
			case tt.err == "" && (err != nil || string(got) != tt.want):
				t.Errorf("fetch = %d bytes, %v; want %d bytes", len(got), err, len(tt.want))
			}
		})
	}
	for _, u := range []string{"ftp://127.0.0.1/x", "tftp:x", "/node.yaml", "http:///x"} {
		if _, err := fetch(context.Background(), srv.Client(), u, time.Second); err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") {
			t.Errorf("fetch(%q) = %v, want a URL error", u, err)
		}
	}
}
