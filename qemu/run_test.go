package qemu

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-project/kiln/spec/event"
)

// bootLog is serial output like a real boot's: kernel lines, an event
// in the middle of a kernel line, a malformed event, CRLF endings.
const bootLog = `cat <<'EOF'
[    0.000000] Linux version 6.1.0-57-cloud-amd64
kiln-event {"phase":"early","status":"ok","ms":65,"uptime_ms":420}
[    0.52] virtio_net virtio1 eth0: renamed kiln-event {"phase":"drivers","status":"ok","ms":300,"uptime_ms":900}
kiln-event {"phase":"network",
kiln-event {"phase":"network","status":"start","ms":0,"uptime_ms":910}
kiln-event {"phase":"network","status":"ok","ms":1200,"uptime_ms":2110}
kiln-event {"phase":"ready","status":"ok","ms":0,"uptime_ms":3120}
EOF
printf 'node login: '
`

const powerOff = "printf '\\r\\n[    4.1] reboot: Power down\\r\\n'\n"

func TestRunFakeQEMU(t *testing.T) {
	var logs bytes.Buffer
	var console bytes.Buffer
	o := fakeOptions(t, bootLog+powerOff)
	o.Console = &console
	o.Log = slog.New(slog.NewTextHandler(&logs, nil))
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantPhases := []string{"early", "drivers", "network", "network", "ready"}
	var phases []string
	for _, e := range res.Events {
		phases = append(phases, e.Phase)
	}
	if !slices.Equal(phases, wantPhases) {
		t.Fatalf("phases = %q, want %q", phases, wantPhases)
	}
	if got := res.Events[1]; got.Status != event.OK || got.MS != 300 || got.UptimeMS != 900 {
		t.Errorf("mid-line event = %+v", got)
	}
	if !res.Ready || res.ReadyAt <= 0 || res.ReadyAt > res.Elapsed {
		t.Errorf("Ready %t ReadyAt %s Elapsed %s", res.Ready, res.ReadyAt, res.Elapsed)
	}
	if !res.Clean || res.ExitCode != 0 || res.ExpectMatched || res.Accel != AccelTCG {
		t.Errorf("result = %+v, want clean exit 0 under tcg", res)
	}
	if !strings.Contains(logs.String(), "malformed console event") {
		t.Errorf("malformed event not logged; log: %s", logs.String())
	}
	for _, want := range []string{"Linux version", "node login: \r\n", "reboot: Power down\r\n"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console.String())
		}
	}
}

func TestRunPassesArgs(t *testing.T) {
	o := fakeOptions(t, powerOff)
	o.Cmdline = "console=ttyS0 panic=10 kiln.debug"
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(o.Binary), "args"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	o, _ = o.withDefaults()
	if want := o.args(AccelTCG); !slices.Equal(got, want) {
		t.Errorf("QEMU got %q\nwant %q", got, want)
	}
}

func TestRunExpectStopsEarly(t *testing.T) {
	tests := []struct {
		name   string
		expect string
	}{
		{"event line", `"phase":"ready"`},
		{"prompt without newline", `login: $`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var console bytes.Buffer
			o := fakeOptions(t, bootLog+"sleep 30\necho too-late\n")
			o.Expect = regexp.MustCompile(tt.expect)
			o.Console = &console
			start := time.Now()
			res, err := Run(t.Context(), o)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Run took %s; Expect did not stop the VM", d)
			}
			if !res.ExpectMatched || !res.Ready || res.Clean || res.ExitCode != -1 {
				t.Errorf("result = %+v, want matched, ready, killed", res)
			}
			if strings.Contains(console.String(), "too-late") {
				t.Error("output after the match reached the console")
			}
		})
	}
}

func TestRunTimeout(t *testing.T) {
	o := fakeOptions(t, bootLog+"echo boom >&2\nsleep 30\n")
	o.Timeout = 500 * time.Millisecond
	start := time.Now()
	res, err := Run(t.Context(), o)
	if d := time.Since(start); d > o.Timeout+killGrace+2*time.Second {
		t.Errorf("Run took %s after a %s timeout", d, o.Timeout)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	for _, want := range []string{"after 500ms", "last event: ready ok at uptime 3120 ms", "QEMU stderr: boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if res == nil || res.Clean || res.ExitCode != -1 || len(res.Events) != 5 {
		t.Errorf("result = %+v, want the events so far and a killed QEMU", res)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, fakeOptions(t, "sleep 30\n"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last event: none") {
		t.Fatalf("err = %v, want the context's error and no event", err)
	}
	if res.ExitCode != -1 {
		t.Errorf("exit code %d, want -1 (killed)", res.ExitCode)
	}
}

func TestRunUnclean(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		expect  string
		code    int
		wantErr string
		panic   string
		clean   bool
	}{
		{"qemu fails", "echo 'qemu: could not load kernel' >&2\nexit 1\n", "", 1,
			"QEMU exited with status 1; last event: none (the agent never reported; read the console); QEMU stderr: qemu: could not load kernel", "", false},
		{"powered off but status 1", powerOff + "exit 1\n", "", 1, "status 1", "", false},
		{"guest panicked", "echo '[ 1.2] Kernel panic - not syncing: VFS: Unable to mount root fs'\n", "", 0,
			"guest reset instead of powering off (Kernel panic - not syncing: VFS: Unable to mount root fs)", "Kernel panic - not syncing: VFS: Unable to mount root fs", false},
		{"stopped before expect", bootLog + powerOff, "never", 0, `guest stopped before the console matched "never"; last event: ready ok`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fakeOptions(t, tt.script)
			if tt.expect != "" {
				o.Expect = regexp.MustCompile(tt.expect)
			}
			res, err := Run(t.Context(), o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if res.Clean != tt.clean || res.ExitCode != tt.code || res.Panic != tt.panic {
				t.Errorf("Clean %t ExitCode %d Panic %q, want %t %d %q", res.Clean, res.ExitCode, res.Panic, tt.clean, tt.code, tt.panic)
			}
		})
	}
}

func TestRunStdin(t *testing.T) {
	var console bytes.Buffer
	o := fakeOptions(t, "read line\necho \"got $line\"\n"+powerOff)
	o.Stdin = strings.NewReader("hello\n")
	o.Console = &console
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console.String(), "got hello") {
		t.Errorf("console = %q, want the echoed input", console.String())
	}
}

// fakeOptions boots a fake QEMU running script under TCG.
func fakeOptions(t *testing.T, script string) Options {
	t.Helper()
	return Options{
		Kernel: touch(t, t.TempDir(), "vmlinuz"),
		Accel:  AccelTCG,
		Binary: fakeQEMU(t, script),
	}
}
