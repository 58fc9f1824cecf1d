package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Wednesday, 25-Nov-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Wed Nov 25 12:00:10 2026", 10 * time.Second, true},     // ANSI C
		{"99999999999999999", 365 * 24 * time.Hour, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			h := http.Header{}
			if tc.in != "" {
				h.Set("Retry-After", tc.in)
			}
			got, ok := ParseRetryAfter(h, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// The part transfer's cases (they were its own parser's): a negative value
// or a date in the past never means a wait.
func TestParseRetryAfterTransferCases(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		" 120 ":                         2 * time.Minute,
		"-1":                            0,
		"soon":                          0,
		"Wed, 25 Nov 2026 20:00:30 GMT": 30 * time.Second,
		"Wed, 25 Nov 2026 19:00:00 GMT": 0,
		"99999999999999":                MaxRetryAfterHint,
	} {
		got, _ := ParseRetryAfter(http.Header{"Retry-After": {in}}, now)
		if got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParseRetryAfter: no panic, never a negative wait nor one past MaxRetryAfterHint.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"7", "-1", "Wed, 25 Nov 2026 12:00:30 GMT", "soon", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		d, ok := ParseRetryAfter(h, now)
		if d < 0 || d > MaxRetryAfterHint || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}

func TestCheck(t *testing.T) {
	reset := &url.Error{Op: "Put", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	badScheme := &url.Error{Op: "Put", URL: "ftp://x", Err: errors.New("unsupported protocol scheme \"ftp\"")}
	loop := &url.Error{Op: "Get", URL: "http://x", Err: errors.New("stopped after 10 redirects")}
	refused := &url.Error{Op: "Get", URL: "http://x", Err: fmt.Errorf("redirect: %w", ErrNotRetryable)}
	for _, tc := range []struct {
		status          int
		body            string
		hdr             string
		err             error
		retry, throttle bool
	}{
		{status: 500, retry: true},
		{status: 503, retry: true},
		{status: 501},
		{status: 429, retry: true, throttle: true},
		{status: 408, retry: true},
		{status: 400},
		{status: 400, body: "<Error><Code>RequestTimeout</Code></Error>", retry: true},
		{status: 400, body: "<Error><Code>IncompleteBody</Code></Error>", retry: true},
		{status: 503, body: "<Error><Code>SlowDown</Code></Error>", retry: true, throttle: true},
		{status: 403, body: "<Error><Code>AccessDenied</Code></Error>"},
		{status: 404},
		{status: 503, hdr: "7", retry: true},
		{err: reset, retry: true},
		{err: io.EOF, retry: true},
		{err: badScheme},
		{err: loop},
		{err: refused},
	} {
		name := fmt.Sprintf("%d %s %v", tc.status, tc.body, tc.err)
		t.Run(name, func(t *testing.T) {
			var resp *http.Response
			if tc.err == nil {
				resp = &http.Response{StatusCode: tc.status, Header: http.Header{}}
				if tc.hdr != "" {
					resp.Header.Set("Retry-After", tc.hdr)
				}
			}
			v, err := Check(context.Background(), resp, []byte(tc.body), tc.err, time.Now())
			if err != nil || v.Retry != tc.retry || v.Throttled != tc.throttle {
				t.Errorf("Check = %+v, %v; want retry %v, throttled %v", v, err, tc.retry, tc.throttle)
			}
			if tc.hdr != "" && (!v.HasRetryAfter || v.RetryAfter != 7*time.Second) {
				t.Errorf("Retry-After not read: %+v", v)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v, err := Check(ctx, &http.Response{StatusCode: 503}, nil, nil, time.Now()); v.Retry || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %+v, %v; want no retry and context.Canceled", v, err)
	}
}

func TestSafe(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}}
	for _, tc := range []struct {
		method string
		status int
		err    error
		want   bool
	}{
		{"GET", 500, nil, true}, {"PUT", 500, nil, true}, {"DELETE", 503, nil, true},
		{"POST", 500, nil, false}, {"PATCH", 503, nil, false},
		{"POST", 429, nil, true}, {"POST", 0, dial, true}, {"POST", 0, io.EOF, false},
	} {
		var resp *http.Response
		if tc.err == nil {
			resp = &http.Response{StatusCode: tc.status}
		}
		if got := Safe(tc.method, resp, tc.err); got != tc.want {
			t.Errorf("Safe(%s, %d, %v) = %v, want %v", tc.method, tc.status, tc.err, got, tc.want)
		}
	}
}

func TestDelay(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	full := Policy{Min: 100 * time.Millisecond, Max: 30 * time.Second, Throttle: time.Second, MaxRetryAfter: 5 * time.Minute}
	equal := Policy{Min: 10 * time.Millisecond, Max: 80 * time.Millisecond, Floor: 0.5, MaxRetryAfter: 2 * time.Minute}
	for _, tc := range []struct {
		name   string
		p      Policy
		n      int
		v      Verdict
		lo, hi time.Duration
	}{
		{"full jitter, first", full, 0, Verdict{}, 0, 100 * time.Millisecond},
		{"full jitter, third", full, 2, Verdict{}, 0, 400 * time.Millisecond},
		{"full jitter, throttled", full, 0, Verdict{Throttled: true}, 0, time.Second},
		{"full jitter, capped", full, 40, Verdict{}, 0, 30 * time.Second},
		{"equal jitter, first", equal, 0, Verdict{}, 5 * time.Millisecond, 10 * time.Millisecond},
		{"equal jitter, capped", equal, 9, Verdict{}, 40 * time.Millisecond, 80 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seenLo, seenHi time.Duration = tc.hi, 0
			for range 2000 {
				d, fromServer := tc.p.Delay(tc.n, tc.v, r)
				if fromServer || d < tc.lo || d > tc.hi {
					t.Fatalf("Delay = %v, %v; want within [%v, %v]", d, fromServer, tc.lo, tc.hi)
				}
				seenLo, seenHi = min(seenLo, d), max(seenHi, d)
			}
			span := tc.hi - tc.lo
			if seenLo > tc.lo+span/20 || seenHi < tc.hi-span/20 {
				t.Errorf("draws span [%v, %v] of [%v, %v]", seenLo, seenHi, tc.lo, tc.hi)
			}
		})
	}
	if d, fromServer := full.Delay(0, Verdict{HasRetryAfter: true, RetryAfter: 7 * time.Second, Throttled: true}, r); d != 7*time.Second || !fromServer {
		t.Errorf("Retry-After 7s gave %v, %v", d, fromServer)
	}
	long := Verdict{HasRetryAfter: true, RetryAfter: time.Hour}
	if d, _ := full.Delay(0, long, r); d != 5*time.Minute {
		t.Errorf("Retry-After 1h gave %v, want the cap 5m", d)
	}
	if !equal.TooLong(long) || equal.TooLong(Verdict{HasRetryAfter: true, RetryAfter: time.Minute}) || equal.TooLong(Verdict{}) {
		t.Error("TooLong does not compare with MaxRetryAfter")
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v", err)
	}
	if err := Sleep(context.Background(), -time.Second); err != nil {
		t.Errorf("Sleep(-1s) = %v", err)
	}
}
