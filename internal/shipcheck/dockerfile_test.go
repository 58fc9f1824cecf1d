package shipcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourceDockerfileMatchesTheReleaseImage holds the top-level Dockerfile
// (the source build the runner makes on a branch, and `docker build .`) to
// the release image, which TestReleaseImage builds and runs: the same
// empty base, environment and entrypoint, the binary at the same path. It
// cannot build it here: its build stage pulls golang:1.26-alpine.
func TestSourceDockerfileMatchesTheReleaseImage(t *testing.T) {
	r := root(t)
	src, err := os.ReadFile(filepath.Join(r, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := os.ReadFile(filepath.Join(r, "image", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	final := string(src)
	if i := strings.LastIndex(final, "\nFROM "); i >= 0 {
		final = final[i+1:]
	}
	if !strings.HasPrefix(final, "FROM scratch\n") {
		t.Errorf("the source Dockerfile's last stage is not FROM scratch")
	}
	for _, l := range strings.Split(string(rel), "\n") {
		if strings.HasPrefix(l, "ENV ") || strings.HasPrefix(l, "ENTRYPOINT ") || strings.HasPrefix(l, "FROM ") {
			if !strings.Contains(final, l+"\n") {
				t.Errorf("the source Dockerfile's last stage lacks %q (image/Dockerfile has it)", l)
			}
		}
	}
	for _, want := range []string{" /usr/local/bin/asc-action\n", " /tmp\n", " /etc/ssl/certs/ca-certificates.crt\n", "CGO_ENABLED=0", "-trimpath", "-s -w"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the source Dockerfile lacks %q", want)
		}
	}
	for _, bad := range []string{"\nUSER ", "\nCMD "} {
		if strings.Contains(final, bad) {
			t.Errorf("the source Dockerfile's last stage has %s", strings.TrimSpace(bad))
		}
	}
}
