package asc

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/eventtest"
	"github.com/asc-action/asc-action/internal/testclock"
)

// prefix is the API root's path in tests, so a request built from an
// absolute path ("/v1/apps") instead of a relative one misses it.
const prefix = "/api-prefix"

// newFakeClock is the tests' settable clock.
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
}

// fakeSource mints opaque tokens "tok-<n>-exp-<unix>" living lifetime on its
// own clock (the fake clock plus any offset), renewing renewBefore expiry,
// as the real source does. It counts calls.
type fakeSource struct {
	mu          sync.Mutex
	now         func() time.Time
	lifetime    time.Duration
	renewBefore time.Duration
	offset      time.Duration
	cur         string
	exp         time.Time
	minted      int
	calls       int
	renews      int
	offsets     []time.Duration
	err         error
}

func newFakeSource(now func() time.Time) *fakeSource {
	return &fakeSource{now: now, lifetime: 20 * time.Minute, renewBefore: time.Minute}
}

func (s *fakeSource) mintLocked() string {
	s.minted++
	now := s.now().Add(s.offset)
	s.exp = now.Add(s.lifetime)
	s.cur = fmt.Sprintf("tok-%d-exp-%d", s.minted, s.exp.Unix())
	return s.cur
}

func (s *fakeSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return "", s.err
	}
	if s.cur == "" || !s.now().Add(s.offset).Before(s.exp.Add(-s.renewBefore)) {
		return s.mintLocked(), nil
	}
	return s.cur, nil
}

func (s *fakeSource) Renew(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renews++
	return s.mintLocked(), nil
}

func (s *fakeSource) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
	s.offsets = append(s.offsets, d)
}

// plainSource is a TokenSource with no optional interfaces.
type plainSource string

func (p plainSource) Token(context.Context) (string, error) { return string(p), nil }

// tokenExpiry reads the expiry from a fakeSource token.
func tokenExpiry(tok string) (time.Time, bool) {
	i := strings.LastIndex(tok, "-exp-")
	if i < 0 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(tok[i+5:], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// newTestClient starts an httptest server mounting h under prefix and
// returns a client for it with a fixed rand, sleeping on a fake clock
// (returned) that records the waits.
func newTestClient(t *testing.T, h http.Handler, ts TokenSource, opts ...Option) (*Client, *httptest.Server, *testclock.Clock) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the API root: %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fs := newFakeClock()
	all := append([]Option{
		WithSleep(fs.Sleep),
		WithRand(rand.NewPCG(1, 2)),
		WithRetryWait(10*time.Millisecond, 80*time.Millisecond),
	}, opts...)
	c, err := New(srv.URL+prefix, ts, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, fs
}

// writeJSON writes v as a JSON:API document with status and Apple's
// rate-limit header.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("X-Rate-Limit") == "" {
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:3499;")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// appleError writes an Apple-shaped error document.
func appleError(w http.ResponseWriter, status int, code, title, detail string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"id": "c1a5e0d2-0000-4000-8000-000000000000", "status": strconv.Itoa(status),
		"code": code, "title": title, "detail": detail,
	}}})
}

// selfURL is the absolute URL of r as the server sees it, under prefix.
func selfURL(r *http.Request) string {
	return "http://" + r.Host + prefix + r.URL.RequestURI()
}

// events collects client events.
type events struct{ eventtest.Recorder[Event] }

func (e *events) of(k EventKind) []Event {
	return e.Where(func(ev Event) bool { return ev.Kind == k })
}
