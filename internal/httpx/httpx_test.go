package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/retry"
)

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://api.example.com/v1", "https://api.example.com/v1/apps?cursor=x", true},
		{"https://API.example.com/", "https://api.example.com:443/", true},
		{"http://127.0.0.1/", "http://127.0.0.1:80/x", true},
		{"https://api.example.com/", "https://api.example.com:8443/", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:9090/", false},
		{"https://api.example.com/", "http://api.example.com/", false},
		{"https://api.example.com/", "https://evil.example.com/", false},
		{"https://api.example.com/", "https://api.example.com.evil.net/", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := SameOrigin(a, b); got != tc.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestRedirectToAnotherPortIsRefused: the token never reaches a listener on
// another port of the same host (net/http alone would send it there).
func TestRedirectToAnotherPortIsRefused(t *testing.T) {
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
			return
		}
		if r.URL.Path == "/ok" {
			io.WriteString(w, r.Header.Get("Authorization"))
			return
		}
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c := &http.Client{CheckRedirect: SameOriginRedirects}
	req, _ := http.NewRequest("GET", api.URL+"/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer secret")
	_, err := c.Do(req)
	var re *RedirectError
	if !errors.As(err, &re) || !errors.Is(err, ErrRedirectRefused) || !errors.Is(err, retry.ErrNotRetryable) {
		t.Fatalf("err = %v; want a *RedirectError", err)
	}
	if leaked != "" {
		t.Errorf("the other port received Authorization %q", leaked)
	}
	if !strings.Contains(err.Error(), "same scheme, host and port") || strings.Contains(err.Error(), "secret") {
		t.Errorf("message %q", err)
	}
	req, _ = http.NewRequest("GET", api.URL+"/same", nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("a redirect within the origin: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "Bearer secret" {
		t.Errorf("same-origin redirect lost the header: %q", b)
	}
}

func TestHeaderTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := &http.Client{Transport: NewTransport(50 * time.Millisecond)}
	_, err := c.Get(srv.URL)
	if !IsHeaderTimeout(err) {
		t.Fatalf("err = %v; want the response-header timeout", err)
	}
	tr := NewTransport(APIHeaderTimeout)
	if tr.ResponseHeaderTimeout != APIHeaderTimeout || tr.TLSHandshakeTimeout != TLSHandshakeTimeout || tr.DialContext == nil {
		t.Errorf("transport timeouts not set: %+v", tr)
	}
}

func TestReadAll(t *testing.T) {
	b, err := ReadAll(strings.NewReader("12345"), 5, "the body", "pkg.Limit")
	if err != nil || string(b) != "12345" {
		t.Errorf("ReadAll at the limit = %q, %v", b, err)
	}
	_, err = ReadAll(strings.NewReader("123456"), 5, "the body", "pkg.Limit")
	var le *LimitError
	if !errors.As(err, &le) || err.Error() != "the body is larger than 5 bytes (limit pkg.Limit)" {
		t.Errorf("ReadAll past the limit = %v", err)
	}
	p, cut, err := ReadPrefix(strings.NewReader("123456"), 4)
	if string(p) != "1234" || !cut || err != nil {
		t.Errorf("ReadPrefix = %q, %v, %v", p, cut, err)
	}
}

func TestWatchdog(t *testing.T) {
	stalled := errors.New("stalled")
	ctx, cancel := context.WithCancelCause(context.Background())
	w := NewWatchdog(500*time.Millisecond, cancel, stalled)
	defer w.Stop()
	for range 5 { // kicked in time: never fires
		time.Sleep(10 * time.Millisecond)
		w.Kick()
	}
	if ctx.Err() != nil {
		t.Fatal("watchdog fired although kicked")
	}
	<-ctx.Done()
	if context.Cause(ctx) != stalled {
		t.Errorf("cause = %v", context.Cause(ctx))
	}
}
