//go:build unix

package ipa

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesAreRefusedBeforeOpening: a FIFO given as the .ipa used to
// block the open forever; it, a socket and a device are refused from their
// mode, before any open.
func TestSpecialFilesAreRefusedBeforeOpening(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "App.ipa")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.ipa")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	link := filepath.Join(dir, "link.ipa")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for path, what := range map[string]string{fifo: "named pipe (FIFO)", sock: "socket", "/dev/zero": "device", link: "named pipe (FIFO)"} {
		done := make(chan error, 1)
		go func() {
			_, err := Inspect(path, Facts{})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), what) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("Inspect(%s) = %v; want ErrNotRegular naming a %s", path, err, what)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Inspect(%s) blocked: it opened a %s", path, what)
		}
	}
}
