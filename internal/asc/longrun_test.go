package asc

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoExpiredTokenAcrossTwoHours polls for two simulated hours through a
// server that takes 40 s per answer and often says 503 with Retry-After 150
// (longer than the source's one-minute renewal margin), and checks that no
// request ever carries an expired token: the client asks the source for a
// token on every attempt, including attempts after a wait.
func TestNoExpiredTokenAcrossTwoHours(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	src := newFakeSource(clock.Now)

	var (
		mu         sync.Mutex
		n          int
		expired    int
		tokens     = map[string]bool{}
		renewedMid int // a retry after a wait carried a different token than the failed attempt
		lastFailed string
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		n++
		i := n
		exp, ok := tokenExpiry(tok)
		if !ok || !exp.After(clock.Now()) {
			expired++
		}
		tokens[tok] = true
		if lastFailed != "" && tok != lastFailed {
			renewedMid++
		}
		lastFailed = ""
		if i%3 == 0 {
			lastFailed = tok
		}
		mu.Unlock()
		w.Header().Set("Date", clock.Now().Format(http.TimeFormat))
		if !ok || !exp.After(clock.Now()) {
			appleError(w, 401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "expired")
			return
		}
		clock.Advance(40 * time.Second) // the server is slow
		if i%3 == 0 {
			status(503, "Retry-After", "150")(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/v1/apps") {
			writeJSON(w, 200, map[string]any{"data": []any{}, "links": map[string]any{"self": selfURL(r)}})
			return
		}
		writeJSON(w, 200, map[string]any{"data": map[string]any{"type": "buildUploads", "id": "U1",
			"attributes": map[string]any{"state": map[string]any{"state": "PROCESSING"}}}, "links": map[string]any{"self": selfURL(r)}})
	})
	// Waits advance the clock the token source mints on.
	c, _, _ := newTestClient(t, h, src, WithClock(clock.Now), WithSleep(clock.Sleep), WithMaxRetryAfter(5*time.Minute))
	ctx := context.Background()
	calls := 0
	for clock.Now().Sub(start) < 2*time.Hour {
		var err error
		if calls%5 == 0 {
			_, _, err = c.ListApps(ctx, nil)
		} else {
			_, _, err = c.GetBuildUpload(ctx, "U1")
		}
		if err != nil {
			t.Fatalf("call %d at +%v: %v", calls, clock.Now().Sub(start), err)
		}
		calls++
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d calls, %d requests, %d tokens minted, %d retries over %v simulated", calls, n, src.minted, len(clock.Sleeps()), clock.Now().Sub(start).Round(time.Second))
	if expired != 0 {
		t.Errorf("%d requests carried an expired token", expired)
	}
	if src.renews != 0 {
		t.Errorf("%d renewals after a 401: the source should never have been caught out", src.renews)
	}
	if len(tokens) < 6 {
		t.Errorf("only %d distinct tokens over two hours of 20-minute tokens", len(tokens))
	}
	if renewedMid == 0 {
		t.Error("no retry after a wait picked up a fresher token; the test did not exercise renewal across a wait")
	}
	if src.calls != n {
		t.Errorf("Token() called %d times for %d attempts; want once per attempt", src.calls, n)
	}
}
