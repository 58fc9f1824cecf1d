package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// gitHubStandIn plays GitHub's REST API for repository_dispatch: it
// records each accepted dispatch, or answers 503 while failing is set.
type gitHubStandIn struct {
	mu         sync.Mutex
	failing    bool
	dispatches []map[string]any
	refused    map[string]string // notification ID -> new state, of the dispatches refused
	arrived    chan struct{}
}

func (g *gitHubStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer func() {
		g.mu.Unlock()
		select {
		case g.arrived <- struct{}{}:
		default:
		}
	}()
	if r.Method != http.MethodPost || r.URL.Path != "/repos/octo/app/dispatches" || r.Header.Get("Authorization") != "Bearer ghp-standin-token" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var d map[string]any
	if json.Unmarshal(body, &d) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if g.failing {
		p, _ := d["client_payload"].(map[string]any)
		id, _ := p["notification_id"].(string)
		g.refused[id], _ = p["new_state"].(string)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	g.dispatches = append(g.dispatches, d)
	w.WriteHeader(http.StatusNoContent)
}

// byNotification counts the accepted dispatches of each Apple notification.
func (g *gitHubStandIn) byNotification() (map[string]int, map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	count, state := map[string]int{}, map[string]string{}
	for _, d := range g.dispatches {
		p, _ := d["client_payload"].(map[string]any)
		id, _ := p["notification_id"].(string)
		count[id]++
		state[id], _ = p["new_state"].(string)
	}
	return count, state
}

// snapshotStates returns the new state of each dispatched notification.
func (g *gitHubStandIn) snapshotStates() map[string]string {
	_, states := g.byNotification()
	return states
}

// waitFor waits (bounded) until cond holds, woken by each request GitHub's
// stand-in receives.
func (g *gitHubStandIn) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-g.arrived:
		case <-deadline:
			g.mu.Lock()
			t.Fatalf("timed out waiting for %s: dispatches %v, refused %v", what, g.dispatches, g.refused)
		}
	}
}

var relayURLRe = regexp.MustCompile(`Relay listening on (http://127\.0\.0\.1:\d+)`)

// startRelay runs `asc-action relay` as a process and returns its URL.
func startRelay(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(binary, "relay", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := relayURLRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
			if strings.Contains(sc.Text(), "whsec-e2e") || strings.Contains(sc.Text(), "ghp-standin-token") {
				t.Errorf("the relay logged a secret: %s", sc.Text())
			}
		}
	}()
	select {
	case u := <-urlc:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the relay did not announce its URL within 30 s")
	}
	return ""
}

// cli runs asc-action with args and returns its --json outputs.
func cli(t *testing.T, args ...string) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, append(args, "--json")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("asc-action %s: %v\n%s", args[0], err, stderr.String())
	}
	out := map[string]string{}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("asc-action %s --json: %v: %s", args[0], err, stdout.String())
	}
	return out
}

func post(t *testing.T, url, body, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if sig != "" {
		req.Header.Set("x-apple-signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestWebhookRelayProcesses runs the emulator and the relay as processes
// and GitHub's API as a stand-in: each signed delivery is exactly one
// dispatch; tampered, wrongly signed and unsigned ones are 401 and none;
// while GitHub fails the relay answers 5xx, and a redelivery succeeds.
func TestWebhookRelayProcesses(t *testing.T) {
	gh := &gitHubStandIn{arrived: make(chan struct{}, 1), refused: map[string]string{}}
	ghSrv := httptest.NewServer(gh)
	defer ghSrv.Close()
	emu := emulatortest.Start(t, binary, "--upload-delay", "0s", "--build-delay", "0s", "--webhook-attempts", "1")
	relay := startRelay(t, "ASC_WEBHOOK_SECRET=whsec-e2e", "GITHUB_REPOSITORY=octo/app", "GITHUB_TOKEN=ghp-standin-token", "GITHUB_API_URL="+ghSrv.URL+"/")
	key := []string{"--private-key-path", emu.KeyPath, "--key-id", emu.KeyID, "--issuer-id", emu.IssuerID, "--api-url", emu.URL}
	hook := func(extra ...string) map[string]string {
		return cli(t, append(append([]string{"webhook"}, key...), append([]string{"--bundle-id", "com.example.demo"}, extra...)...)...)
	}

	out := hook("--webhook-url", relay+"/", "--webhook-secret", "whsec-e2e", "--webhook-ping")
	if out["webhook_change"] != "created" || out["ping_id"] == "" {
		t.Fatalf("webhook: %v", out)
	}
	if again := hook("--webhook-url", relay+"/"); again["webhook_change"] != "unchanged" || again["webhook_id"] != out["webhook_id"] {
		t.Fatalf("second run: %v", again)
	}

	// A build uploaded without waiting: each state change (PROCESSING, if
	// the emulator sees it before COMPLETE, and COMPLETE) reaches GitHub once.
	ipa, _ := writeIPA(t, "31", 64<<10)
	cli(t, append(append([]string{"upload"}, key...), "--app-path", ipa, "--wait", "none")...)
	complete := func() int {
		n := 0
		for _, st := range gh.snapshotStates() {
			if st == "COMPLETE" {
				n++
			}
		}
		return n
	}
	gh.waitFor(t, "the COMPLETE dispatch", func() bool { return complete() == 1 })
	before := len(gh.snapshotStates())
	counts, states := gh.byNotification()
	for id, n := range counts {
		if n != 1 {
			t.Errorf("notification %s (%s) dispatched %d times", id, states[id], n)
		}
	}
	gh.mu.Lock()
	last := gh.dispatches[len(gh.dispatches)-1]
	gh.mu.Unlock()
	if last["event_type"] != "asc-build-upload-state-updated" || last["client_payload"].(map[string]any)["new_state"] != "COMPLETE" {
		t.Fatalf("last dispatch %v", last)
	}

	// Forged deliveries: 401 and no dispatch.
	body := `{"data":{"type":"buildUploadStateUpdated","id":"forged","version":1,"attributes":{"newState":"COMPLETE"}}}`
	m := hmac.New(sha256.New, []byte("whsec-e2e"))
	m.Write([]byte(body))
	good := "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
	wrong := hmac.New(sha256.New, []byte("guessed"))
	wrong.Write([]byte(body))
	for name, c := range map[string][2]string{
		"tampered body": {strings.Replace(body, "COMPLETE", "FAILED", 1), good},
		"wrong secret":  {body, "hmacsha256=" + hex.EncodeToString(wrong.Sum(nil))},
		"no signature":  {body, ""},
	} {
		if got := post(t, relay+"/", c[0], c[1]); got != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, got)
		}
	}
	if counts, _ := gh.byNotification(); counts["forged"] != 0 || len(counts) != before {
		t.Fatalf("forged deliveries reached GitHub: %v", counts)
	}

	// GitHub down: the relay answers 5xx, the deliveries fail; once GitHub
	// is back, a redelivery of each succeeds, once.
	gh.mu.Lock()
	gh.failing = true
	gh.mu.Unlock()
	ipa2, _ := writeIPA(t, "32", 64<<10)
	cli(t, append(append([]string{"upload"}, key...), "--app-path", ipa2, "--wait", "none")...)
	refusedComplete := func() bool {
		gh.mu.Lock()
		defer gh.mu.Unlock()
		for _, st := range gh.refused {
			if st == "COMPLETE" {
				return true
			}
		}
		return false
	}
	gh.waitFor(t, "the refused COMPLETE dispatch", refusedComplete)
	gh.mu.Lock()
	gh.failing = false
	failed := len(gh.refused)
	gh.mu.Unlock()
	redelivered := 0
	for try := 0; redelivered < failed && try < 50; try++ { // the emulator records each 502 as the relay answers it
		out := hook("--webhook-redeliver")
		redelivered += atoi(out["redelivered"])
	}
	if redelivered != failed {
		t.Fatalf("redelivered %d failed deliveries, want %d", redelivered, failed)
	}
	gh.waitFor(t, "the redelivered dispatches", func() bool { c, _ := gh.byNotification(); return len(c) == before+failed })
	counts, _ = gh.byNotification()
	for id, n := range counts {
		if n != 1 {
			t.Errorf("notification %s dispatched %d times", id, n)
		}
	}
	if out := hook(); !strings.Contains(out["deliveries"], "FAILED") || !strings.HasPrefix(out["deliveries"], "SUCCEEDED") {
		t.Errorf("deliveries newest first: %q", out["deliveries"])
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
