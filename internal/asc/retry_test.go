package asc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/retry"
	"github.com/asc-action/asc-action/internal/testclock"
)

func TestDefaultRetryPolicy(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "refused"}}}
	refusedErrno := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dns := &url.Error{Op: "Post", URL: "http://x", Err: &net.DNSError{Err: "no such host", Name: "x"}}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eof := &url.Error{Op: "Patch", URL: "http://x", Err: io.EOF}
	untrusted := &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	tests := []struct {
		method string
		status int
		err    error
		want   bool
	}{
		{"GET", 500, nil, true},
		{"GET", 502, nil, true},
		{"GET", 503, nil, true},
		{"GET", 501, nil, false},
		{"GET", 429, nil, true},
		{"GET", 400, nil, false},
		{"GET", 404, nil, false},
		{"GET", 409, nil, false},
		{"DELETE", 503, nil, true},
		{"PUT", 500, nil, true},
		{"POST", 500, nil, false},
		{"POST", 503, nil, false},
		{"PATCH", 502, nil, false},
		{"POST", 429, nil, true},
		{"PATCH", 429, nil, true},
		{"POST", 422, nil, false},
		{"GET", 0, reset, true},
		{"POST", 0, reset, false},
		{"PATCH", 0, eof, false},
		{"GET", 0, eof, true},
		{"POST", 0, refused, true},
		{"PATCH", 0, refusedErrno, true},
		{"POST", 0, dns, true},
		{"GET", 0, untrusted, false},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s %d", tc.method, tc.status)
		if tc.err != nil {
			name = fmt.Sprintf("%s %v", tc.method, tc.err)
		}
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://x/v1/apps", nil)
			var resp *http.Response
			if tc.err == nil {
				resp = &http.Response{StatusCode: tc.status, Header: http.Header{}, Request: req}
			}
			got, err := DefaultRetryPolicy(context.Background(), req, resp, tc.err)
			if got != tc.want || err != nil {
				t.Errorf("retry = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, _ := http.NewRequest("GET", "http://x/v1/apps", nil)
		got, err := DefaultRetryPolicy(ctx, req, &http.Response{StatusCode: 503}, nil)
		if got || !errors.Is(err, context.Canceled) {
			t.Errorf("retry = %v, %v; want false, context.Canceled", got, err)
		}
	})
}

// script answers the n-th request (0-based) with steps[n], or the last step.
type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	n     int
	auths []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := s.n
	s.n++
	s.auths = append(s.auths, r.Header.Get("Authorization"))
	if i >= len(s.steps) {
		i = len(s.steps) - 1
	}
	step := s.steps[i]
	s.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	step(w, r)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func status(code int, hdr ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		switch {
		case code == 204:
			w.WriteHeader(204)
		case code < 300:
			writeJSON(w, code, map[string]any{"data": map[string]any{"type": "apps", "id": "1"}, "links": map[string]any{"self": selfURL(r)}})
		default:
			appleError(w, code, fmt.Sprintf("STATUS_%d", code), http.StatusText(code), "scripted")
		}
	}
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, _, _ := hj.Hijack()
	conn.Close()
}

// truncated promises 100 bytes and sends 10.
func truncated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "100")
	w.WriteHeader(200)
	_, _ = w.Write([]byte(`{"data":{"`))
}

func TestRetries(t *testing.T) {
	type step = func(w http.ResponseWriter, r *http.Request)
	tests := []struct {
		name     string
		method   string
		steps    []step
		wantErr  error // errors.Is target, nil for success
		wantNet  bool  // *NetworkError expected
		attempts int
		waits    []time.Duration // exact waits; nil to check only the count
		nWaits   int
	}{
		{name: "GET 503 503 200", method: "GET", steps: []step{status(503), status(503), status(200)}, attempts: 3, nWaits: 2},
		{name: "GET 500 forever", method: "GET", steps: []step{status(500)}, wantErr: ErrServer, attempts: 5, nWaits: 4},
		{name: "GET 501 not retried", method: "GET", steps: []step{status(501), status(200)}, wantErr: ErrServer, attempts: 1},
		{name: "GET 404 not retried", method: "GET", steps: []step{status(404), status(200)}, wantErr: ErrNotFound, attempts: 1},
		{name: "POST 500 not repeated", method: "POST", steps: []step{status(500), status(201)}, wantErr: ErrServer, attempts: 1},
		{name: "PATCH 503 not repeated", method: "PATCH", steps: []step{status(503, "Retry-After", "1"), status(200)}, wantErr: ErrServer, attempts: 1},
		{name: "POST 429 Retry-After 7 repeated", method: "POST", steps: []step{status(429, "Retry-After", "7"), status(201)}, attempts: 2, waits: []time.Duration{7 * time.Second}},
		{name: "GET 503 Retry-After 3 honoured", method: "GET", steps: []step{status(503, "Retry-After", "3"), status(200)}, attempts: 2, waits: []time.Duration{3 * time.Second}},
		{name: "GET 429 Retry-After too long", method: "GET", steps: []step{status(429, "Retry-After", "3600"), status(200)}, wantErr: ErrRateLimited, attempts: 1, waits: []time.Duration{}},
		{name: "GET 429 forever", method: "GET", steps: []step{status(429, "Retry-After", "2")}, wantErr: ErrRateLimited, attempts: 5, waits: []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}},
		{name: "GET dropped then 200", method: "GET", steps: []step{drop, status(200)}, attempts: 2, nWaits: 1},
		{name: "PATCH dropped not repeated", method: "PATCH", steps: []step{drop, status(200)}, wantNet: true, attempts: 1},
		{name: "POST dropped not repeated", method: "POST", steps: []step{drop, status(201)}, wantNet: true, attempts: 1},
		{name: "GET truncated body then 200", method: "GET", steps: []step{truncated, status(200)}, attempts: 2, nWaits: 1},
		{name: "GET truncated forever", method: "GET", steps: []step{truncated}, wantNet: true, attempts: 5, nWaits: 4},
		{name: "DELETE 503 then 404 is done", method: "DELETE", steps: []step{status(503), status(404)}, attempts: 2, nWaits: 1},
		{name: "DELETE 502 then 204", method: "DELETE", steps: []step{status(502), status(204)}, attempts: 2, nWaits: 1},
		{name: "DELETE dropped then 404 is done", method: "DELETE", steps: []step{drop, status(404)}, attempts: 2, nWaits: 1},
		{name: "DELETE 429 then 404 is not found", method: "DELETE", steps: []step{status(429, "Retry-After", "1"), status(404)}, wantErr: ErrNotFound, attempts: 2, waits: []time.Duration{time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := &script{steps: tc.steps}
			ev := &events{}
			c, _, fs := newTestClient(t, sc, plainSource("t0k3n-secret"), WithEvents(ev.Add))
			var body any
			if tc.method == "POST" || tc.method == "PATCH" {
				body = map[string]any{"data": map[string]any{"type": "apps"}}
			}
			req, err := c.NewRequest(tc.method, "v1/apps/1", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(context.Background(), req, &struct{}{})
			var ne *NetworkError
			switch {
			case tc.wantNet:
				if !errors.As(err, &ne) || ne.Attempts != tc.attempts {
					t.Errorf("err = %v; want *NetworkError after %d attempts", err, tc.attempts)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v; want %v", err, tc.wantErr)
				}
			default:
				if err != nil {
					t.Errorf("err = %v; want success", err)
				} else if resp.Attempts != tc.attempts {
					t.Errorf("resp.Attempts = %d; want %d", resp.Attempts, tc.attempts)
				}
			}
			if err != nil && strings.Contains(err.Error(), "t0k3n-secret") {
				t.Errorf("the error shows the token: %v", err)
			}
			if got := sc.count(); got != tc.attempts {
				t.Errorf("server saw %d attempts; want %d", got, tc.attempts)
			}
			waits := fs.Sleeps()
			if tc.waits != nil {
				if fmt.Sprint(waits) != fmt.Sprint(tc.waits) {
					t.Errorf("waits = %v; want %v", waits, tc.waits)
				}
			} else if len(waits) != tc.nWaits {
				t.Errorf("waits = %v; want %d of them", waits, tc.nWaits)
			}
			if n := len(ev.of(EventRetry)); n != len(waits) {
				t.Errorf("%d retry events for %d waits", n, len(waits))
			}
		})
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(500)}}
	c, _, fs := newTestClient(t, sc, plainSource("x"), WithRetryMax(6))
	req, _ := c.NewRequest("GET", "v1/apps/1", nil)
	if _, err := c.Do(context.Background(), req, nil); !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v", err)
	}
	waits := fs.Sleeps()
	if len(waits) != 6 {
		t.Fatalf("waits = %v", waits)
	}
	// newTestClient sets 10ms..80ms: step n is min(10ms<<n, 80ms), jittered into [step/2, step].
	for n, w := range waits {
		step := min(10*time.Millisecond<<n, 80*time.Millisecond)
		if w < step/2 || w > step {
			t.Errorf("wait %d = %v; want within [%v, %v]", n, w, step/2, step)
		}
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	clock := newFakeClock()
	retryAt := clock.Now().Add(42 * time.Second).Format(http.TimeFormat)
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(429, "Retry-After", retryAt), status(200)}}
	c, _, fs := newTestClient(t, sc, plainSource("x"), WithClock(clock.Now))
	if _, _, err := c.GetApp(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	if w := fs.Sleeps(); len(w) != 1 || w[0] != 42*time.Second {
		t.Errorf("waits = %v; want [42s]", w)
	}
}

func TestDialRefusedRepeatsPOST(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now: every dial is refused
	fs := newFakeClock()
	c, err := New("http://"+addr+prefix, plainSource("x"), WithSleep(fs.Sleep), WithRetryMax(2))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.CreateBuildUpload(context.Background(), "1", "1.0", "1", PlatformIOS)
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Attempts != 3 || !retry.NotSent(err) {
		t.Fatalf("err = %v; want a *NetworkError after 3 attempts that never reached a server", err)
	}
	if len(fs.Sleeps()) != 2 {
		t.Errorf("waits = %v", fs.Sleeps())
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(503)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sleeps atomic.Int32
	sleep := func(ctx context.Context, d time.Duration) error {
		sleeps.Add(1)
		cancel() // the caller gives up while we wait
		<-ctx.Done()
		return ctx.Err()
	}
	c, _, _ := newTestClient(t, sc, plainSource("x"), WithSleep(sleep))
	_, _, err := c.GetApp(ctx, "1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
	if sc.count() != 1 || sleeps.Load() != 1 {
		t.Errorf("attempts = %d, sleeps = %d; want 1, 1", sc.count(), sleeps.Load())
	}

	// Already cancelled: nothing is sent.
	sc2 := &script{steps: []func(http.ResponseWriter, *http.Request){status(200)}}
	c2, _, _ := newTestClient(t, sc2, plainSource("x"))
	if _, _, err := c2.GetApp(ctx, "1"); !errors.Is(err, context.Canceled) || sc2.count() != 0 {
		t.Errorf("cancelled ctx: err = %v, attempts %d", err, sc2.count())
	}
}

func TestRequestTimeout(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}
	t.Run("GET retried", func(t *testing.T) {
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){slow, status(200)}}
		c, _, _ := newTestClient(t, sc, plainSource("x"), WithRequestTimeout(50*time.Millisecond))
		// At least 2 attempts: a loaded machine may time out a fast one too.
		if _, _, err := c.GetApp(context.Background(), "1"); err != nil || sc.count() < 2 {
			t.Errorf("err = %v, attempts = %d; want success after the slow one", err, sc.count())
		}
	})
	t.Run("POST not repeated", func(t *testing.T) {
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){slow, status(201)}}
		c, _, _ := newTestClient(t, sc, plainSource("x"), WithRequestTimeout(50*time.Millisecond))
		_, _, err := c.CreateBuildUpload(context.Background(), "1", "1.0", "1", PlatformIOS)
		var ne *NetworkError
		if !errors.As(err, &ne) || !ne.Timeout || ne.Attempts != 1 || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("err = %v; want a timed-out *NetworkError after 1 attempt", err)
		}
	})
}

func TestRenewOn401(t *testing.T) {
	unauthorized := status(401)
	t.Run("renewed once then success", func(t *testing.T) {
		clock := newFakeClock()
		src := newFakeSource(clock.Now)
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){unauthorized, status(201)}}
		ev := &events{}
		c, _, fs := newTestClient(t, sc, src, WithEvents(ev.Add), WithClock(clock.Now))
		// A POST too: a 401 is refused before anything is done.
		if _, _, err := c.CreateBuildUpload(context.Background(), "1", "1.0", "1", PlatformIOS); err != nil {
			t.Fatal(err)
		}
		if src.renews != 1 || len(sc.auths) != 2 || sc.auths[0] == sc.auths[1] {
			t.Errorf("renews = %d, tokens sent = %q; want one renewal and a different second token", src.renews, sc.auths)
		}
		if len(fs.Sleeps()) != 0 || len(ev.of(EventTokenRenewed)) != 1 {
			t.Errorf("waits %v, renew events %d", fs.Sleeps(), len(ev.of(EventTokenRenewed)))
		}
	})
	t.Run("still 401 after renewal", func(t *testing.T) {
		src := newFakeSource(newFakeClock().Now)
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){unauthorized}}
		c, _, _ := newTestClient(t, sc, src)
		_, _, err := c.GetApp(context.Background(), "1")
		if !errors.Is(err, ErrUnauthorized) || src.renews != 1 || sc.count() != 2 {
			t.Errorf("err = %v, renews = %d, attempts = %d; want 401 after 1 renewal, 2 attempts", err, src.renews, sc.count())
		}
		for _, a := range sc.auths {
			if strings.Contains(err.Error(), strings.TrimPrefix(a, "Bearer ")) {
				t.Errorf("the error shows a token")
			}
		}
	})
	t.Run("DELETE 401 then 404 is not found", func(t *testing.T) {
		src := newFakeSource(newFakeClock().Now)
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){unauthorized, status(404)}}
		c, _, _ := newTestClient(t, sc, src)
		if _, err := c.DeleteBuildUpload(context.Background(), "U1"); !errors.Is(err, ErrNotFound) || sc.count() != 2 {
			t.Errorf("err = %v, attempts %d; a refused first attempt deleted nothing", err, sc.count())
		}
	})
	t.Run("no Renewer: not retried", func(t *testing.T) {
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){unauthorized, status(200)}}
		c, _, _ := newTestClient(t, sc, plainSource("x"))
		if _, _, err := c.GetApp(context.Background(), "1"); !errors.Is(err, ErrUnauthorized) || sc.count() != 1 {
			t.Errorf("err = %v, attempts = %d", err, sc.count())
		}
	})
	t.Run("token source failure", func(t *testing.T) {
		src := newFakeSource(newFakeClock().Now)
		src.err = errors.New("private-key: not a PEM block")
		sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(200)}}
		c, _, _ := newTestClient(t, sc, src)
		_, _, err := c.GetApp(context.Background(), "1")
		var te *TokenError
		if !errors.As(err, &te) || sc.count() != 0 || !strings.Contains(err.Error(), "private-key") {
			t.Errorf("err = %v, attempts = %d; want *TokenError and nothing sent", err, sc.count())
		}
	})
}

// skewServer plays App Store Connect with a clock serverAhead of ours: as
// Apple does, it refuses a token issued in its future or already expired,
// answering 401 with its Date.
func skewServer(t *testing.T, clock *testclock.Clock, serverAhead time.Duration) *script {
	check := func(w http.ResponseWriter, r *http.Request) {
		serverNow := clock.Now().Add(serverAhead)
		w.Header().Set("Date", serverNow.Format(http.TimeFormat))
		exp, ok := tokenExpiry(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		iat := exp.Add(-20 * time.Minute)
		if !ok || iat.After(serverNow.Add(time.Minute)) || !exp.After(serverNow) {
			appleError(w, 401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "Provide a properly configured and signed bearer token, and make sure that it has not expired.")
			return
		}
		status(200)(w, r)
	}
	return &script{steps: []func(http.ResponseWriter, *http.Request){check}}
}

func TestClockSkewCorrected(t *testing.T) {
	for _, ahead := range []time.Duration{25 * time.Minute, -10 * time.Minute} {
		t.Run(ahead.String(), func(t *testing.T) {
			clock := newFakeClock()
			src := newFakeSource(clock.Now)
			sc := skewServer(t, clock, ahead)
			ev := &events{}
			c, _, _ := newTestClient(t, sc, src, WithClock(clock.Now), WithEvents(ev.Add))
			if _, _, err := c.GetApp(context.Background(), "1"); err != nil {
				t.Fatalf("after correction: %v", err)
			}
			if len(src.offsets) != 1 || src.offsets[0] != ahead {
				t.Errorf("SetClockOffset calls = %v; want [%v]", src.offsets, ahead)
			}
			sk := ev.of(EventClockSkew)
			if len(sk) != 1 || sk[0].Skew != ahead || !sk[0].Corrected {
				t.Errorf("skew events = %+v", sk)
			}
			// Later calls go through on the corrected clock, no new correction.
			for i := 0; i < 3; i++ {
				clock.Advance(10 * time.Minute)
				if _, _, err := c.GetApp(context.Background(), "1"); err != nil {
					t.Fatal(err)
				}
			}
			if len(src.offsets) != 1 || src.renews != 1 {
				t.Errorf("offsets %v, renews %d after later calls; want 1 each", src.offsets, src.renews)
			}
		})
	}
}

func TestClockSkewReportedWhenStillRefused(t *testing.T) {
	clock := newFakeClock()
	src := newFakeSource(clock.Now)
	always401 := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", clock.Now().Add(7*time.Minute).Format(http.TimeFormat))
		appleError(w, 401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "Provide a properly configured and signed bearer token.")
	}
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){always401}}
	c, _, _ := newTestClient(t, sc, src, WithClock(clock.Now))
	for i := 0; i < 2; i++ {
		_, _, err := c.GetApp(context.Background(), "1")
		var ae *APIError
		if !errors.As(err, &ae) || ae.ClockSkew != 7*time.Minute || !ae.ClockCorrected {
			t.Fatalf("call %d: err = %v (%+v); want 401 with a 7m skew, corrected", i, err, ae)
		}
		if !strings.Contains(err.Error(), "7m0s behind") {
			t.Errorf("message does not give the skew: %v", err)
		}
	}
	if len(src.offsets) != 1 {
		t.Errorf("SetClockOffset called %d times; want once per client", len(src.offsets))
	}

	// Within the threshold: measured, not corrected, not blamed.
	small := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", clock.Now().Add(3*time.Second).Format(http.TimeFormat))
		appleError(w, 401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "bad key")
	}
	src2 := newFakeSource(clock.Now)
	c2, _, _ := newTestClient(t, &script{steps: []func(http.ResponseWriter, *http.Request){small}}, src2, WithClock(clock.Now))
	_, _, err := c2.GetApp(context.Background(), "1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.ClockSkew != 3*time.Second || ae.ClockCorrected || len(src2.offsets) != 0 || strings.Contains(err.Error(), "clock") {
		t.Errorf("3s skew: err = %v, offsets %v", err, src2.offsets)
	}
}

func TestCustomRetryPolicy(t *testing.T) {
	var seen []int
	policy := func(ctx context.Context, req *http.Request, resp *http.Response, err error) (bool, error) {
		if resp != nil {
			seen = append(seen, resp.StatusCode)
		}
		if resp != nil && resp.StatusCode == 409 {
			return true, nil // this caller knows its 409s are transient
		}
		return false, errors.New("stop")
	}
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(409), status(503), status(200)}}
	c, _, _ := newTestClient(t, sc, plainSource("x"), WithRetryPolicy(policy))
	_, _, err := c.GetApp(context.Background(), "1")
	if !errors.Is(err, ErrServer) || sc.count() != 2 || fmt.Sprint(seen) != "[409 503]" {
		t.Errorf("err = %v, attempts = %d, policy saw %v", err, sc.count(), seen)
	}
}
