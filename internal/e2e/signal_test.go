//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// TestEmulatorSIGTERMRemovesKeyAndStore stops `asc-action emulator` as
// kill, timeout, docker stop and a cancelled job do: with SIGTERM. It must
// clean up as on Ctrl-C: the throwaway key and the store of uploaded bytes
// are removed, and the exit is a clean one.
func TestEmulatorSIGTERMRemovesKeyAndStore(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the emulator makes its key and store directories
	emu := emulatortest.Start(t, binary)
	if !strings.HasPrefix(emu.KeyPath, tmp) {
		t.Fatalf("the key was written to %s, not under TMPDIR %s", emu.KeyPath, tmp)
	}
	before, _ := filepath.Glob(filepath.Join(tmp, "asc-emulator-*"))
	if len(before) != 2 {
		t.Fatalf("want the key and the store directories under TMPDIR, found %v", before)
	}
	if err := emu.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("after SIGTERM the emulator ended with %v, want exit status 0", err)
	}
	if _, err := os.Stat(emu.KeyPath); !os.IsNotExist(err) {
		t.Errorf("the throwaway key %s is still on disk after SIGTERM", emu.KeyPath)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "asc-emulator-*")); len(left) != 0 {
		t.Errorf("left on disk after SIGTERM: %v", left)
	}
}

// TestUploadSIGTERMDeletesTheUnfinishedUpload stops an upload with SIGTERM
// while its parts are on the way: it must stop as on Ctrl-C, deleting the
// unfinished build upload so that the next run can use the build number,
// and fail.
func TestUploadSIGTERMDeletesTheUnfinishedUpload(t *testing.T) {
	k := newKey(t)
	srv := emulator.New(emulator.Config{Keys: []emulator.Key{{ID: keyID, IssuerID: issuer, Public: &k.priv.PublicKey}},
		Data: emulator.DefaultData(time.Now()), PartSize: 1 << 20, StoreDir: t.TempDir()})
	partIn := make(chan struct{}, 64)
	// Parts are held until their client gives up: the upload is mid-transfer
	// when the signal comes.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/parts/") {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leave
			partIn <- struct{}{}
			<-r.Context().Done()
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { ts.Close(); srv.Close() })
	path, _ := writeIPA(t, "302", 3<<20)

	cmd := exec.Command(binary, "upload", "--key-id", keyID, "--issuer-id", issuer, "--api-url", ts.URL, "--app-path", path)
	cmd.Env = append(os.Environ(), "ASC_PRIVATE_KEY="+k.pem, "GITHUB_ACTIONS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-partIn:
	case err := <-done:
		t.Fatalf("upload ended (%v) before sending a part:\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("no part arrived within 30 s:\n%s", stderr.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the upload was still running 30 s after SIGTERM:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("after SIGTERM: %v, want exit status 1", err)
	}
	if n := srv.Requests()["buildUploads_deleteInstance"]; n != 1 {
		t.Errorf("the unfinished build upload was deleted %d times, want once:\n%s", n, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Deleted the unfinished build upload") {
		t.Errorf("no word of the deletion:\n%s", stderr.String())
	}
}
