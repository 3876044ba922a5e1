package cpio

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// NewZstdWriter compresses to w at zstd's default level (SpeedDefault,
// about zstd -3). Every option that shapes the output is fixed, so the same
// input gives the same bytes on every run and machine, for a given
// klauspost/compress version:
//   - concurrency is pinned to 2 rather than GOMAXPROCS. Plain stream
//     concurrency only overlaps compressing one block with writing the
//     previous one, and gives the same bytes as 1 (tested), but
//     WithConcurrentBlocks is left off: it splits the input into jobs and
//     is silently disabled below 2 encoders, so its output would depend
//     on the settings a machine ends up with. On 2 cores it gained little
//     (107 MB of modules: 0.45 s either way);
//   - the window size is fixed at 8 MiB, the level's default;
//   - the content checksum is on, so a corrupt initramfs fails loudly.
//
// Close must be called to finish the frame; it does not close w.
func NewZstdWriter(w io.Writer) (io.WriteCloser, error) {
	return zstd.NewWriter(w,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(2),
		zstd.WithWindowSize(8<<20),
		zstd.WithEncoderCRC(true),
	)
}
