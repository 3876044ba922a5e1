package boot

import "testing"

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		"/run":               "/run",
		`/mnt/with\040space`: "/mnt/with space",
		`/tab\011x`:          "/tab\tx",
		`/trailing\`:         `/trailing\`,
		`/short\04`:          `/short\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUserProcess(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want bool
	}{
		{"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0", false},          // PF_KTHREAD set
		{"57 (containerd) S 1 57 57 0 -1 4194560 100 0", true},    // user process
		{"58 (my (odd) name) S 1 57 57 0 -1 4194560 100 0", true}, // parens in comm
		{"59 (sh) Z 1 57 57 0 -1 4194564 100 0", false},           // zombie
		{"garbage", false},
	} {
		if got := userProcess(tc.stat); got != tc.want {
			t.Errorf("userProcess(%q) = %v, want %v", tc.stat, got, tc.want)
		}
	}
}

func TestUserProcessesSeesThisMachine(t *testing.T) {
	// The test runner is PID != 1 and not a kernel thread; its parent
	// (go test) is a user process, so the list is never empty here.
	if len(UserProcesses("/proc")) == 0 {
		t.Fatal("no user processes found in /proc")
	}
}
