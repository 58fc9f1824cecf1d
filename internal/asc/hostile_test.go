package asc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
)

// TestRedirectToAnotherPortKeepsTheToken: a 307 from the API to the same
// host on another port is not followed, so the bearer token stays home, and
// the refusal is not retried.
func TestRedirectToAnotherPortKeepsTheToken(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		writeJSON(w, 200, map[string]any{"data": map[string]any{"type": "apps", "id": "1"}})
	}))
	defer other.Close()
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Location", other.URL+"/v1/apps/1")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	c, _, fs := newTestClient(t, h, plainSource("t0k3n-secret"))
	_, _, err := c.GetApp(context.Background(), "1")
	if !errors.Is(err, httpx.ErrRedirectRefused) {
		t.Fatalf("err = %v; want the redirect refused", err)
	}
	if got := leaked.Load().(string); got != "" {
		t.Errorf("the other port received Authorization %q", got)
	}
	if calls.Load() != 1 || len(fs.Sleeps()) != 0 {
		t.Errorf("%d attempts, waits %v; a refused redirect is not retried", calls.Load(), fs.Sleeps())
	}
	if strings.Contains(err.Error(), "t0k3n-secret") || !strings.Contains(err.Error(), "same scheme, host and port") {
		t.Errorf("message %q", err)
	}
}

// TestRedirectRuleHoldsWithTheCallersClient: WithHTTPClient does not lift it.
func TestRedirectRuleHoldsWithTheCallersClient(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization") != "")
	}))
	defer other.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	})
	c, _, _ := newTestClient(t, h, plainSource("x"), WithHTTPClient(&http.Client{}))
	if _, _, err := c.GetApp(context.Background(), "1"); !errors.Is(err, httpx.ErrRedirectRefused) {
		t.Errorf("err = %v", err)
	}
	if leaked.Load() {
		t.Error("token sent to the other port")
	}
}

// TestEveryNetworkWaitIsBounded: the default transport bounds connect, TLS,
// response headers; the per-attempt timeout and the idle-read watchdog bound
// the rest (see send).
func TestEveryNetworkWaitIsBounded(t *testing.T) {
	// The program hands the client http.DefaultTransport (internal/app).
	for _, opts := range [][]Option{nil, {WithHTTPClient(&http.Client{Transport: http.DefaultTransport})}} {
		c, err := New("", plainSource("x"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		tr, ok := c.http.Transport.(*http.Transport)
		if !ok || tr == http.DefaultTransport {
			t.Fatalf("transport %T: want the client's own", c.http.Transport)
		}
		if tr.ResponseHeaderTimeout != httpx.APIHeaderTimeout || tr.TLSHandshakeTimeout != httpx.TLSHandshakeTimeout || tr.DialContext == nil {
			t.Errorf("header %v, TLS %v, dial set %v", tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.DialContext != nil)
		}
		if c.reqTimeout != httpx.APIAttemptTimeout || httpx.APIHeaderTimeout >= httpx.APIAttemptTimeout {
			t.Errorf("attempt timeout %v, header timeout %v", c.reqTimeout, httpx.APIHeaderTimeout)
		}
	}
}

// TestPagingStopsAtTheByteLimit: a server answering 1 MiB pages with a fresh
// cursor each time is read up to MaxListBytes (lowered here to 8 MiB to
// keep the test quick), not for MaxPages pages.
func TestPagingStopsAtTheByteLimit(t *testing.T) {
	filler := strings.Repeat("x", 1<<20)
	var pages atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := pages.Add(1)
		writeJSON(w, 200, map[string]any{
			"data":  []any{map[string]any{"type": "profiles", "id": fmt.Sprint(n), "attributes": map[string]any{"name": filler}}},
			"links": map[string]any{"next": fmt.Sprintf("http://%s%s/v1/profiles?cursor=%d", r.Host, prefix, n)}})
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	if c.listBytes != MaxListBytes {
		t.Fatalf("default list limit %d, want MaxListBytes", c.listBytes)
	}
	const limit = 8 << 20
	c.listBytes = limit
	profs, _, err := c.ListProfiles(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "asc.MaxListBytes") {
		t.Fatalf("err = %v; want the list byte limit", err)
	}
	if n := int(pages.Load()); n > limit>>20+1 || len(profs) >= n {
		t.Errorf("%d pages read, %d profiles kept; want at most %d pages and the last one dropped", n, len(profs), limit>>20+1)
	}
}

// TestPagingStopsOnACycle: page 2 -> page 3 -> page 2 again, written with
// its query reordered and the host in capitals, is a cycle: page 2 is not
// read twice.
func TestPagingStopsOnACycle(t *testing.T) {
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		base := "http://" + r.Host + prefix
		next := base + "/v1/apps?cursor=2&limit=1"
		switch r.URL.Query().Get("cursor") {
		case "2":
			next = base + "/v1/apps?limit=1&cursor=3"
		case "3":
			next = "http://" + strings.ToUpper(r.Host[:4]) + r.Host[4:] + prefix + "/v1/apps?limit=1&cursor=2"
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "apps", "id": "1"}}, "links": map[string]any{"next": next}})
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	_, _, err := c.ListApps(context.Background(), &ListAppsOptions{ListOptions: ListOptions{Limit: 1}})
	if err == nil || !strings.Contains(err.Error(), "already read") || calls.Load() != 3 {
		t.Errorf("err = %v after %d pages; want a cycle refused after 3", err, calls.Load())
	}
}

// TestLongErrorBodyIsCut: an error body is read up to MaxErrorBytes; past
// that it is shown as a short excerpt, never decoded whole.
func TestLongErrorBodyIsCut(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appleError(w, 500, "BIG", "big", strings.Repeat("d", 2*MaxErrorBytes))
	})
	c, _, _ := newTestClient(t, h, plainSource("x"), WithRetryMax(0))
	_, _, err := c.GetApp(context.Background(), "1")
	var ae *APIError
	if !errors.As(err, &ae) || len(ae.Errors) != 0 || len(ae.Body) > 300 {
		t.Fatalf("err = %.300v; want an excerpt of a cut body", err)
	}
}

// TestLargeAnswerNamesItsLimit: a 2xx body past MaxResponseBytes is refused
// with the limit's name.
func TestLargeAnswerNamesItsLimit(t *testing.T) {
	big := []byte(`{"data":{"type":"apps","id":"1","attributes":{"name":"` + strings.Repeat("x", MaxResponseBytes) + `"}}}`)
	var sent atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		w.WriteHeader(200)
		_, _ = w.Write(big)
	})
	// Retries allowed: the same answer would come again, so none is made.
	c, _, _ := newTestClient(t, h, plainSource("x"), WithRetryMax(3))
	_, _, err := c.GetApp(context.Background(), "1")
	if err == nil || !strings.Contains(err.Error(), "asc.MaxResponseBytes") {
		t.Errorf("err = %.300v; want the limit named", err)
	}
	if n := sent.Load(); n != 1 {
		t.Errorf("the oversized answer was requested %d times; want 1 (not retried)", n)
	}
}

// TestSilentServerTimesOutNamed: a server that never sends response headers
// ends each attempt at the header timeout (lowered here from
// httpx.APIHeaderTimeout), reported as a timeout naming that limit.
func TestSilentServerTimesOutNamed(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	})
	c, _, fs := newTestClient(t, h, plainSource("x"), WithRetryMax(1))
	c.http.Transport = httpx.NewTransport(50 * time.Millisecond)
	_, _, err := c.GetApp(context.Background(), "1")
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout || ne.Attempts != 2 || !strings.Contains(err.Error(), "httpx.APIHeaderTimeout") {
		t.Fatalf("err = %v; want a timeout naming httpx.APIHeaderTimeout after 2 attempts", err)
	}
	if len(fs.Sleeps()) != 1 {
		t.Errorf("waits = %v", fs.Sleeps())
	}
}

// TestStalledAnswerTimesOutNamed: an answer whose body stops moving ends at
// the idle-read watchdog, named in the error.
func TestStalledAnswerTimesOutNamed(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write([]byte(`{"data":`))
		w.(http.Flusher).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	})
	c, _, _ := newTestClient(t, h, plainSource("x"), WithRetryMax(0))
	c.idleRead = 50 * time.Millisecond
	_, _, err := c.GetApp(context.Background(), "1")
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout || !strings.Contains(err.Error(), "httpx.APIIdleReadTimeout") || !strings.Contains(err.Error(), "50ms") {
		t.Fatalf("err = %v; want a timeout naming httpx.APIIdleReadTimeout and the 50ms it was set to", err)
	}
}

func TestSkewWords(t *testing.T) {
	for skew, want := range map[time.Duration]string{
		90*time.Second + 400*time.Millisecond: "1m30s behind",
		-2 * time.Hour:                        "2h0m0s ahead of",
	} {
		size, dir := SkewWords(skew)
		if got := fmt.Sprint(size, " ", dir); got != want {
			t.Errorf("SkewWords(%v) = %q, want %q", skew, got, want)
		}
	}
}
