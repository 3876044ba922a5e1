package qemu

import (
	"bytes"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestConsoleReaderSplits(t *testing.T) {
	long := strings.Repeat("x", maxLine+10)
	tests := []struct {
		name     string
		in       string
		partials bool
		want     []string // partial lines marked with a leading "~"
	}{
		{"crlf", "a\r\nb\r\n", false, []string{"a", "b"}},
		{"last line without newline", "a\nb", false, []string{"a", "b"}},
		{"partials", "a\nlogin: ", true, []string{"a", "~login: ", "login: "}},
		{"long line cut", long + "\n", false, []string{long[:maxLine], "xxxxxxxxxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var console bytes.Buffer
			c := &consoleReader{console: &console, partials: tt.partials, log: slog.New(slog.DiscardHandler)}
			out := make(chan consoleLine, 100)
			// One byte at a time: lines must not depend on read sizes.
			in := io.Reader(strings.NewReader(tt.in))
			if !tt.partials {
				in = iotest.OneByteReader(in)
			}
			c.run(in, out, make(chan struct{}))
			var got []string
			for l := range out {
				if l.partial {
					l.text = "~" + l.text
				}
				got = append(got, l.text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			if console.String() != tt.in {
				t.Errorf("console copy differs from the input")
			}
		})
	}
}

// TestConsoleReaderStops: once the run loop stops listening the reader
// must not block on sending, and still copies to the console.
func TestConsoleReaderStops(t *testing.T) {
	var console bytes.Buffer
	c := &consoleReader{console: &console, log: slog.New(slog.DiscardHandler)}
	stop := make(chan struct{})
	close(stop)
	c.run(strings.NewReader("a\nb\nc\n"), make(chan consoleLine), stop)
	if console.String() != "a\nb\nc\n" {
		t.Errorf("console = %q", console.String())
	}
}

func TestTailBuffer(t *testing.T) {
	var tb tailBuffer
	tb.Write([]byte(strings.Repeat("a", tailMax)))
	tb.Write([]byte("end\n"))
	// The last tailMax bytes, less the trailing newline String trims.
	if got, want := tb.String(), strings.Repeat("a", tailMax-4)+"end"; got != want {
		t.Errorf("tail = %d bytes ending %q, want %d ending \"aend\"", len(got), got[max(0, len(got)-5):], len(want))
	}
}
