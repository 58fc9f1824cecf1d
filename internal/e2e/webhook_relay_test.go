package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// standInEnv makes the test binary serve as a stand-in for GitHub's API
// (serveGitHubStandIn) instead of running tests: a process of its own, as
// the emulator and the relay are.
const standInEnv = "ASC_E2E_GITHUB_STANDIN"

// standInState is what the stand-in has seen: the accepted dispatches and
// the refused ones (notification ID -> new state); version grows with each.
type standInState struct {
	Version    int               `json:"version"`
	Dispatches []map[string]any  `json:"dispatches"`
	Refused    map[string]string `json:"refused"`
}

// serveGitHubStandIn plays GitHub's REST API for repository_dispatch on a
// loopback port it prints, until its stdin closes. POST
// /_standin/failing?on=true makes it answer 503; GET /_standin/state?after=V
// waits (at most 20 s) for a state newer than V.
func serveGitHubStandIn() int {
	var mu sync.Mutex
	changed := sync.NewCond(&mu)
	st := standInState{Dispatches: []map[string]any{}, Refused: map[string]string{}}
	failing := false
	mux := http.NewServeMux()
	mux.HandleFunc("POST /repos/octo/app/dispatches", func(w http.ResponseWriter, r *http.Request) {
		var d map[string]any
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer ghp-standin-token" || json.Unmarshal(body, &d) != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		defer changed.Broadcast()
		st.Version++
		if failing {
			p, _ := d["client_payload"].(map[string]any)
			id, _ := p["notification_id"].(string)
			st.Refused[id], _ = p["new_state"].(string)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		st.Dispatches = append(st.Dispatches, d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_standin/failing", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		failing = r.URL.Query().Get("on") == "true"
		mu.Unlock()
	})
	mux.HandleFunc("GET /_standin/state", func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		timeout := time.AfterFunc(20*time.Second, func() { mu.Lock(); changed.Broadcast(); mu.Unlock() })
		defer timeout.Stop()
		deadline := time.Now().Add(20 * time.Second)
		mu.Lock()
		for st.Version <= after && time.Now().Before(deadline) {
			changed.Wait()
		}
		b, _ := json.Marshal(st)
		mu.Unlock()
		_, _ = w.Write(b)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("github stand-in listening on http://%s\n", ln.Addr())
	go func() { _ = http.Serve(ln, mux) }()
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test closes stdin or exits
	return 0
}

// gitHubStandIn is the test's handle on the stand-in process.
type gitHubStandIn struct {
	url  string
	last standInState
}

// startGitHubStandIn runs the test binary as the stand-in.
func startGitHubStandIn(t *testing.T) *gitHubStandIn {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), standInEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "github stand-in listening on ")
	if err != nil || !ok {
		t.Fatalf("the GitHub stand-in did not start: %q %v", line, err)
	}
	return &gitHubStandIn{url: url}
}

func (g *gitHubStandIn) setFailing(t *testing.T, on bool) {
	t.Helper()
	res, err := http.Post(g.url+"/_standin/failing?on="+strconv.FormatBool(on), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// fetch returns the stand-in's state once it is newer than after (or after
// its 20 s wait).
func (g *gitHubStandIn) fetch(t *testing.T, after int) standInState {
	t.Helper()
	res, err := http.Get(g.url + "/_standin/state?after=" + strconv.Itoa(after))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st standInState
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	g.last = st
	return st
}

// waitFor waits (bounded) until cond holds on the stand-in's state.
func (g *gitHubStandIn) waitFor(t *testing.T, what string, cond func(standInState) bool) standInState {
	t.Helper()
	st := g.fetch(t, -1)
	for deadline := time.Now().Add(30 * time.Second); !cond(st); st = g.fetch(t, st.Version) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, st)
		}
	}
	return st
}

// byNotification counts the accepted dispatches of each notification and
// gives each one's new state.
func byNotification(st standInState) (map[string]int, map[string]string) {
	count, state := map[string]int{}, map[string]string{}
	for _, d := range st.Dispatches {
		p, _ := d["client_payload"].(map[string]any)
		id, _ := p["notification_id"].(string)
		count[id]++
		state[id], _ = p["new_state"].(string)
	}
	return count, state
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

// TestWebhookRelayProcesses runs the emulator, the relay and a stand-in for
// GitHub's API as processes: each signed delivery is exactly one dispatch;
// tampered, wrongly signed and unsigned ones are 401 and none; while GitHub
// fails the relay answers 5xx, and a redelivery succeeds.
func TestWebhookRelayProcesses(t *testing.T) {
	gh := startGitHubStandIn(t)
	emu := emulatortest.Start(t, binary, "--upload-delay", "0s", "--build-delay", "0s", "--webhook-attempts", "1")
	relay := startRelay(t, "ASC_WEBHOOK_SECRET=whsec-e2e", "GITHUB_REPOSITORY=octo/app", "GITHUB_TOKEN=ghp-standin-token", "GITHUB_API_URL="+gh.url+"/")
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
	st := gh.waitFor(t, "the COMPLETE dispatch", func(st standInState) bool {
		_, states := byNotification(st)
		for _, s := range states {
			if s == "COMPLETE" {
				return true
			}
		}
		return false
	})
	counts, states := byNotification(st)
	for id, n := range counts {
		if n != 1 {
			t.Errorf("notification %s (%s) dispatched %d times", id, states[id], n)
		}
	}
	last := st.Dispatches[len(st.Dispatches)-1]
	if last["event_type"] != "asc-build-upload-state-updated" || last["client_payload"].(map[string]any)["new_state"] != "COMPLETE" {
		t.Fatalf("last dispatch %v", last)
	}
	before := len(counts)

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
	if now := gh.fetch(t, -1); now.Version != st.Version {
		t.Fatalf("forged deliveries reached GitHub: %+v", now)
	}

	// GitHub down: the relay answers 5xx, the deliveries fail; once GitHub
	// is back, a redelivery of each succeeds, once.
	gh.setFailing(t, true)
	ipa2, _ := writeIPA(t, "32", 64<<10)
	cli(t, append(append([]string{"upload"}, key...), "--app-path", ipa2, "--wait", "none")...)
	st = gh.waitFor(t, "the refused COMPLETE dispatch", func(st standInState) bool {
		for _, s := range st.Refused {
			if s == "COMPLETE" {
				return true
			}
		}
		return false
	})
	gh.setFailing(t, false)
	failed := len(st.Refused)
	redelivered := 0
	for try := 0; redelivered < failed && try < 50; try++ { // the emulator records each 502 as the relay answers it
		redelivered += atoi(hook("--webhook-redeliver")["redelivered"])
	}
	if redelivered != failed {
		t.Fatalf("redelivered %d failed deliveries, want %d", redelivered, failed)
	}
	st = gh.waitFor(t, "the redelivered dispatches", func(st standInState) bool { c, _ := byNotification(st); return len(c) == before+failed })
	counts, _ = byNotification(st)
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
