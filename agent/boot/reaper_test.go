package boot

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

func TestReaperDeliversStatusToListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewReaper(slog.New(slog.NewTextHandler(io.Discard, nil)))
	go r.Run(ctx)
	for _, code := range []int{0, 3, 42} {
		ch, err := r.Start(exec.Command("sh", "-c", "exit "+strconv.Itoa(code)))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ws := <-ch:
			if ws.ExitStatus() != code {
				t.Errorf("exit %d, want %d", ws.ExitStatus(), code)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no status for exit %d", code)
		}
	}
}
