// Package emulatortest is test support: it runs `asc-action emulator` as a
// process of its own, as a person or a workflow step does, and reads where
// it listens (and the throwaway key it wrote) from its log.
package emulatortest

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"
)

// Process is a running `asc-action emulator`.
type Process struct {
	URL string
	// KeyID, IssuerID and KeyPath name the throwaway key the emulator
	// generated; empty when a --public-key was given.
	KeyID, IssuerID, KeyPath string
	// Stop interrupts the process, as Ctrl-C does, and waits for it; the
	// test's cleanup calls it too.
	Stop func()
	// Signal sends sig instead (SIGTERM, as kill and docker stop do),
	// waits for the process and returns how it ended.
	Signal func(sig os.Signal) error
}

var (
	urlRe = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	keyRe = regexp.MustCompile(`Key ID ([A-Z0-9]{10}), Issuer ID ([0-9a-f-]{36}), private key written to (\S+\.p8)`)
)

// Start runs bin as `emulator --addr 127.0.0.1:0 args...` and returns once
// it has said where it listens (and, without --public-key, which key it
// wrote), failing the test if it exits first or is silent for 30 s.
func Start(t testing.TB, bin string, args ...string) Process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	var waitErr error
	signal := func(sig os.Signal) error {
		if stopped {
			return waitErr
		}
		stopped = true
		_ = cmd.Process.Signal(sig)
		done := make(chan struct{})
		go func() { waitErr = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		return waitErr
	}
	stop := func() { _ = signal(os.Interrupt) }
	t.Cleanup(stop)

	wantKey := !slices.Contains(args, "--public-key")
	p := Process{Stop: stop, Signal: signal}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for p.URL == "" || (wantKey && p.KeyPath == "") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the emulator exited before announcing itself")
			}
			if m := urlRe.FindStringSubmatch(l); m != nil {
				p.URL = m[1]
			}
			if m := keyRe.FindStringSubmatch(l); m != nil {
				p.KeyID, p.IssuerID, p.KeyPath = m[1], m[2], m[3]
			}
		case <-deadline:
			t.Fatal("the emulator did not announce its URL (and key) within 30 s")
		}
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	return p
}
