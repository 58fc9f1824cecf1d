package relay

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/command/commandtest"
)

func TestAddr(t *testing.T) {
	env := func(port string) func(string) string {
		return func(k string) string {
			if k == "PORT" {
				return port
			}
			return ""
		}
	}
	cases := []struct{ flag, port, want string }{
		{"", "", "127.0.0.1:8080"},
		{"", "9000", "0.0.0.0:9000"},
		{"127.0.0.1:7000", "9000", "127.0.0.1:7000"},
	}
	for _, c := range cases {
		if got := (&Options{Addr: c.flag}).addr(env(c.port)); got != c.want {
			t.Errorf("addr(--addr=%q, PORT=%q) = %q, want %q", c.flag, c.port, got, c.want)
		}
	}
}

// TestServe runs the command against a stand-in for GitHub's API: a signed
// delivery is one dispatch, an unsigned one is 401 and none, and neither
// the secret nor the token is printed.
func TestServe(t *testing.T) {
	var dispatches atomic.Int32
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/repos/octo/app/dispatches" && r.Header.Get("Authorization") == "Bearer tok-123456" {
			dispatches.Add(1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer gh.Close()
	rec := commandtest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	readyc, done := make(chan string, 1), make(chan error, 1)
	inputs := map[string]string{"addr": "127.0.0.1:0", "webhook-secret": "whsec-abcdef", "github-repository": "octo/app",
		"github-token": "tok-123456", "github-api-url": gh.URL + "/"}
	go func() { done <- newCommand(func(u string) { readyc <- u }).Run(ctx, rec.Env(inputs, nil)) }()
	var url string
	select {
	case url = <-readyc:
	case err := <-done:
		t.Fatalf("relay ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("relay did not start")
	}
	body := `{"data":{"type":"buildUploadStateUpdated","id":"e1","attributes":{"newState":"COMPLETE"}}}`
	m := hmac.New(sha256.New, []byte("whsec-abcdef"))
	m.Write([]byte(body))
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
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
	if got := post(""); got != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", got)
	}
	if got := post("hmacsha256=" + hex.EncodeToString(m.Sum(nil))); got != http.StatusOK {
		t.Errorf("signed: %d", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := dispatches.Load(); n != 1 {
		t.Errorf("%d dispatches, want 1", n)
	}
	if all := strings.Join(rec.Logs, "\n"); strings.Contains(all, "whsec-abcdef") || strings.Contains(all, "tok-123456") {
		t.Errorf("a secret was printed:\n%s", all)
	}
}

func TestRefusesMissingConfig(t *testing.T) {
	for name, inputs := range map[string]map[string]string{
		"no secret":       {"github-repository": "o/r", "github-token": "t"},
		"no repository":   {"webhook-secret": "s", "github-token": "t"},
		"no token":        {"webhook-secret": "s", "github-repository": "o/r"},
		"app without key": {"webhook-secret": "s", "github-repository": "o/r", "github-app-id": "12", "github-app-installation-id": "3"},
		"app and token":   {"webhook-secret": "s", "github-repository": "o/r", "github-app-id": "12", "github-token": "t"},
	} {
		t.Run(name, func(t *testing.T) {
			inputs["addr"] = "127.0.0.1:0"
			err := Command().Run(context.Background(), commandtest.NewRecorder().Env(inputs, nil))
			if err == nil {
				t.Fatal("started without it")
			}
		})
	}
}
