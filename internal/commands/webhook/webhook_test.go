package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/distribute/distributetest"
	"github.com/asc-action/asc-action/internal/emulator"
)

// endpoint stands in for the relay: it checks signatures with the secret
// it is given and answers status.
type endpoint struct {
	mu     sync.Mutex
	secret string
	status int
	ok     int
	bad    int
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	defer e.mu.Unlock()
	m := hmac.New(sha256.New, []byte(e.secret))
	m.Write(b)
	if r.Header.Get("X-Apple-Signature") != "hmacsha256="+hex.EncodeToString(m.Sum(nil)) {
		e.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	e.ok++
	w.WriteHeader(e.status)
}

func runCmd(t *testing.T, w *distributetest.World, inputs map[string]string) (*commandtest.Recorder, error) {
	t.Helper()
	in := map[string]string{"private-key": w.Key.PEM, "key-id": distributetest.KeyID, "issuer-id": distributetest.IssuerID,
		"api-url": w.URL, InBundleID: emulator.DemoBundleID, InEvents: strings.Join(DefaultEvents, "\n"), InName: "asc-action", InDeliveries: "10"}
	for k, v := range inputs {
		in[k] = v
	}
	rec := commandtest.NewRecorder()
	env := rec.Env(in, w.Clock.Now)
	env.HTTP = &http.Client{Transport: w.Writes, Timeout: 10 * time.Second}
	err := Command().Run(context.Background(), env)
	return rec, err
}

// TestWebhookCommand: the first run creates the configuration with a
// generated, masked secret; the second changes nothing; a ping reaches
// the endpoint signed with that secret; a failed delivery is redelivered.
func TestWebhookCommand(t *testing.T) {
	w := distributetest.New(t, emulator.RoleAppManager, emulator.Faults{})
	w.Server.SetWebhookRetries(nil)
	ep := &endpoint{status: 200}
	srv := httptest.NewServer(ep)
	defer srv.Close()

	rec, err := runCmd(t, w, map[string]string{InURL: srv.URL + "/"})
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, rec.Text())
	}
	secret := rec.Outputs[OutSecret]
	if rec.Outputs[OutChange] != "created" || len(secret) != 64 || !slices.Contains(rec.Masks, secret) {
		t.Fatalf("first run: outputs %v, secret masked: %v", rec.Outputs, slices.Contains(rec.Masks, secret))
	}
	if strings.Contains(strings.Join(rec.Logs, "\n"), secret) {
		t.Fatal("the secret was logged")
	}
	ep.mu.Lock()
	ep.secret = secret
	ep.mu.Unlock()

	rec, err = runCmd(t, w, map[string]string{InURL: srv.URL + "/", InPing: "true"})
	if err != nil || rec.Outputs[OutChange] != "unchanged" || rec.Outputs[OutID] == "" || rec.Outputs[OutSecret] != "" {
		t.Fatalf("second run: %v %v", err, rec.Outputs)
	}
	w.Server.Tick()
	if ep.ok != 1 || ep.bad != 0 {
		t.Fatalf("ping: %d verified, %d refused", ep.ok, ep.bad)
	}
	// Two runs: one configuration created, none changed; the ping is the only other write.
	if got, want := w.Writes.Take(), []string{"POST /v1/webhooks", "POST /v1/webhookPings"}; !slices.Equal(got, want) {
		t.Fatalf("writes of two runs %v, want %v", got, want)
	}

	ep.mu.Lock()
	ep.status = 503
	ep.mu.Unlock()
	if _, err := runCmd(t, w, map[string]string{InPing: "true"}); err != nil {
		t.Fatal(err)
	}
	w.Server.Tick()
	ep.mu.Lock()
	ep.status = 200
	ep.mu.Unlock()
	rec, err = runCmd(t, w, map[string]string{InRedeliver: "true"})
	if err != nil || rec.Outputs[OutFailed] != "1" || rec.Outputs[OutRedelivered] != "1" {
		t.Fatalf("redeliver: %v %v\n%s", err, rec.Outputs, rec.Text())
	}
	w.Server.Tick()
	rec, _ = runCmd(t, w, nil)
	if got := rec.Outputs[OutDeliveries]; got != "SUCCEEDED,FAILED,SUCCEEDED" {
		t.Errorf("deliveries newest first: %q", got)
	}
}

func TestWebhookInputs(t *testing.T) {
	cases := map[string]Options{
		"no app":          {URL: "https://r.example.com/"},
		"both app inputs": {AppID: "1", BundleID: "b"},
		"relative url":    {AppID: "1", URL: "relay.example.com"},
		"url with user":   {AppID: "1", URL: "https://u:p@relay.example.com/"},
		"bad event":       {AppID: "1", Events: []string{"build-upload"}},
	}
	for name, o := range cases {
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestWebhookSecretIsTrimmed: the secret registered with Apple is the one
// the relay checks with, which trims it (a secret pasted with a trailing
// newline would otherwise make every delivery a 401).
func TestWebhookSecretIsTrimmed(t *testing.T) {
	var o Options
	if err := command.Fill(command.MapValues{InSecret: "  s3cret-value\n"}, o.fields()); err != nil {
		t.Fatal(err)
	}
	if o.Secret != "s3cret-value" {
		t.Errorf("secret kept its white space (%d bytes)", len(o.Secret))
	}
}
