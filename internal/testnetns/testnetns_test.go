package testnetns

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNamespace(t *testing.T) {
	var ns string
	t.Run("inside", func(t *testing.T) {
		ns = New(t, "kiln-tn")
		if _, err := os.Stat(Path(ns)); err != nil {
			t.Fatalf("namespace not at Path: %v", err)
		}
		IP(t, "-n", ns, "link", "add", "tn0", "type", "veth", "peer", "name", "tn1")

		var names []string
		Do(t, ns, func() {
			ifs, err := net.Interfaces()
			if err != nil {
				t.Error(err)
			}
			for _, i := range ifs {
				names = append(names, i.Name)
			}
		})
		slices.Sort(names)
		if want := []string{"lo", "tn0", "tn1"}; !slices.Equal(names, want) {
			t.Errorf("links seen by Do = %v, want %v (the namespace's, not the host's)", names, want)
		}

		log := Start(t, ns, "ip", "-o", "link", "show", "tn0")
		for deadline := time.Now().Add(3 * time.Second); !strings.Contains(log.String(), "tn0@tn1"); {
			if time.Now().After(deadline) {
				t.Fatalf("Start's output %q does not show tn0 in %s", log.String(), ns)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	if _, err := os.Stat(Path(ns)); !os.IsNotExist(err) {
		t.Errorf("namespace %s still there after its test ended (stat: %v)", ns, err)
	}
}
