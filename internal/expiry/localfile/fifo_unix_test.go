//go:build unix

package localfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// ipa-path naming a FIFO, a device or a directory is refused before it is
// opened: opening a FIFO blocks until a writer comes, which would hold the
// step until the job's timeout.
func TestIPAPathNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "app.ipa")
	paths := map[string]string{"directory": dir, "device": os.DevNull}
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		paths["named pipe"] = fifo
	} else {
		t.Logf("no FIFO on this system: %v", err)
	}
	for name, p := range paths {
		t.Run(name, func(t *testing.T) {
			_, err := ReadIPAProfile(p)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), name) {
				t.Errorf("%v; want ErrMalformed saying it is a %s, not a regular file", err, name)
			}
		})
	}
}
