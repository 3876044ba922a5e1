package artifact

import (
	"fmt"
	"io"
	"time"
)

// progress draws one self-overwriting line per download.
type progress struct {
	w io.Writer
}

// TrackProgress implements go-getter's ProgressTracker.
func (p *progress) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	return &progressReader{w: p.w, name: src, done: current, total: total, r: stream}
}

type progressReader struct {
	w           io.Writer
	name        string
	done, total int64
	r           io.ReadCloser
	last        time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	// Redrawing on every read would flood slow terminals.
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last = now
		p.draw()
	}
	return n, err
}

func (p *progressReader) Close() error {
	p.draw()
	fmt.Fprintln(p.w)
	return p.r.Close()
}

func (p *progressReader) draw() {
	if p.total > 0 {
		fmt.Fprintf(p.w, "\rdownloading %s: %s / %s (%d%%)", p.name, mib(p.done), mib(p.total), p.done*100/p.total)
		return
	}
	fmt.Fprintf(p.w, "\rdownloading %s: %s", p.name, mib(p.done))
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
