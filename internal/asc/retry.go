package asc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy decides whether an attempt that ended with resp (or err, when no
// response came) may be sent again. A non-nil error stops retrying; the
// caller gets the failure itself (or the context's error when it ended). It has the shape of go-retryablehttp's CheckRetry,
// plus the request, because safety depends on the method.
type RetryPolicy func(ctx context.Context, req *http.Request, resp *http.Response, err error) (bool, error)

// DefaultRetryPolicy retries 429, 5xx (but 501) and network failures, only
// when repeating cannot do something twice:
//   - idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) on any of them;
//   - any method on 429 (Apple refuses before processing);
//   - any method when the connection was never made (dial, DNS, refused).
//
// POST and PATCH are never repeated after a 5xx, a timeout or a connection
// that broke after the request was sent: the server may have acted on it.
// A cancelled or expired context is never retried.
func DefaultRetryPolicy(ctx context.Context, req *http.Request, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	// go-retryablehttp's base policy: which statuses and transport errors are
	// worth repeating at all (not 501, not bad schemes, TLS trust or redirect loops).
	retryable, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, err)
	if !retryable {
		return false, nil
	}
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		return true, nil
	}
	if err != nil && NotSent(err) {
		return true, nil
	}
	return IsIdempotent(req.Method), nil
}

// IsIdempotent reports whether sending a request with method twice has the
// same effect as sending it once (RFC 9110 §9.2.2).
func IsIdempotent(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// NotSent reports whether err shows the request never reached a server: the
// connection could not be made (dial, DNS, connection refused).
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP date
// (relative to now). ok is false when the header is absent or malformed.
func ParseRetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(365*24*time.Hour/time.Second) {
			secs = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// backoff returns the wait before retry number attempt (0-based): the
// server's Retry-After when given, else exponential from waitMin capped at
// waitMax (go-retryablehttp's DefaultBackoff) with "equal jitter" (a random
// half on top of a fixed half).
func (c *Client) backoff(attempt int, resp *http.Response) (wait time.Duration, fromServer bool) {
	if resp != nil {
		if d, ok := ParseRetryAfter(resp.Header, c.now()); ok {
			return d, true
		}
	}
	d := retryablehttp.DefaultBackoff(c.waitMin, c.waitMax, attempt, nil)
	half := d / 2
	if half <= 0 {
		return d, false
	}
	c.randMu.Lock()
	j := time.Duration(c.rand.Int64N(int64(half) + 1))
	c.randMu.Unlock()
	return half + j, false
}
