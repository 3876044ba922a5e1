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
