package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// emulatorProcess is `asc-action emulator` running as its own process with
// the throwaway key it generated (in a temporary folder outside the
// workspace, removed when it stops).
type emulatorProcess struct {
	url, keyID, issuerID, keyPath string
	// stop interrupts the process, as Ctrl-C does, and waits for it.
	stop func()
}

// startEmulator starts `asc-action emulator --addr 127.0.0.1:0 args...` and
// reads its URL and key from its log.
func startEmulator(t *testing.T, args ...string) emulatorProcess {
	t.Helper()
	emu := exec.Command(binary, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := emu.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = emu.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = emu.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = emu.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)

	urlRe := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	keyRe := regexp.MustCompile(`Key ID ([A-Z0-9]{10}), Issuer ID ([0-9a-f-]{36}), private key written to (\S+\.p8)`)
	p := emulatorProcess{stop: stop}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for p.url == "" || p.keyPath == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the emulator exited before announcing itself")
			}
			if m := urlRe.FindStringSubmatch(l); m != nil {
				p.url = m[1]
			}
			if m := keyRe.FindStringSubmatch(l); m != nil {
				p.keyID, p.issuerID, p.keyPath = m[1], m[2], m[3]
			}
		case <-deadline:
			t.Fatal("the emulator did not announce its URL and key in time")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}
