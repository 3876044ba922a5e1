package qemu

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxLine caps a console line; longer runs without a newline are cut
// so that a guest printing garbage cannot grow memory without bound.
const maxLine = 64 << 10

// consoleLine is a line of serial output and when it arrived. Partial
// is the text after the last newline so far, offered only for Expect
// (prompts end without one); it comes again once complete.
type consoleLine struct {
	text    string
	at      time.Time
	partial bool
}

// consoleReader copies serial output to Console as it comes and hands
// lines to the run loop.
type consoleReader struct {
	console  io.Writer
	partials bool // also send partial lines
	log      *slog.Logger
	pending  []byte
}

// run reads r until EOF or error, then closes out. It stops sending
// (but keeps copying to the console) once stop is closed.
func (c *consoleReader) run(r io.Reader, out chan<- consoleLine, stop <-chan struct{}) {
	defer close(out)
	listening := true // false once stop closed: then only copy to the console
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.copyOut(buf[:n])
			listening = listening && c.split(buf[:n], time.Now(), out, stop)
		}
		if err != nil {
			if listening && len(c.pending) > 0 {
				c.send(consoleLine{text: trimCR(c.pending), at: time.Now()}, out, stop)
			}
			return
		}
	}
}

func (c *consoleReader) copyOut(b []byte) {
	if c.console == nil {
		return
	}
	if _, err := c.console.Write(b); err != nil {
		c.log.Warn("console copy failed; output from now on goes only to the event parser", "err", err)
		c.console = nil
	}
}

// split sends the complete lines in b and, if wanted, the partial rest;
// false means stop was closed.
func (c *consoleReader) split(b []byte, at time.Time, out chan<- consoleLine, stop <-chan struct{}) bool {
	// No copying down of the rest: append moves it to a fresh array once
	// the old one is full, which frees the consumed head. Copying here
	// instead made a long line read in small pieces quadratic.
	c.pending = append(c.pending, b...)
	for {
		end := bytes.IndexByte(c.pending, '\n')
		next := end + 1
		if end < 0 {
			if len(c.pending) < maxLine {
				break
			}
			end, next = maxLine, maxLine
		}
		if !c.send(consoleLine{text: trimCR(c.pending[:end]), at: at}, out, stop) {
			return false
		}
		c.pending = c.pending[next:]
	}
	if c.partials && len(c.pending) > 0 {
		return c.send(consoleLine{text: trimCR(c.pending), at: at, partial: true}, out, stop)
	}
	return true
}

func (c *consoleReader) send(l consoleLine, out chan<- consoleLine, stop <-chan struct{}) bool {
	select {
	case out <- l:
		return true
	case <-stop:
		return false
	}
}

func trimCR(b []byte) string {
	return string(bytes.TrimRight(b, "\r"))
}

// tailBuffer keeps the last tailMax bytes written to it; exec's copier
// writes while the run loop may already read.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailMax; over > 0 {
		t.buf = append([]byte(nil), t.buf[over:]...)
	}
	return len(p), nil
}

// String is the kept tail, trimmed of surrounding blank space.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
