// Package retry is the one retry policy of asc-action, shared by the App Store
// Connect client (internal/asc) and the part transfer (internal/upload/transfer):
// which failures are worth another attempt, whether repeating a request is
// safe, how long to wait (the server's Retry-After, capped; else exponential
// backoff with jitter, longer when the server asked to slow down), and a
// context-aware sleep. Nothing is retried once the context has ended.
//
// It decides; it does not loop. Each caller keeps its own loop (the client
// renews tokens, the transfer hands sending slots around) and asks Check and
// Policy.Delay at each failed attempt.
package retry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// ErrNotRetryable marks an error that no further attempt can cure (a refused
// redirect, say). Check never retries an error wrapping it.
var ErrNotRetryable = errors.New("not retryable")

// Verdict is what Check makes of one failed attempt.
type Verdict struct {
	// Retry: another attempt may succeed (whether it is safe to send one is
	// Safe's business).
	Retry bool
	// Throttled: the server asked to slow down (429, or an S3-style SlowDown).
	Throttled bool
	// RetryAfter is the server's Retry-After, when HasRetryAfter.
	RetryAfter    time.Duration
	HasRetryAfter bool
}

// S3-style error codes in a response body (storage hosts answer XML).
var (
	slowDownCode = regexp.MustCompile(`<Code>SlowDown</Code>`)
	// Codes an S3-style host answers with a 400 when the body arrived short
	// or too slowly; sending the request again is the documented remedy.
	retryableCode = regexp.MustCompile(`<Code>(RequestTimeout|IncompleteBody|InternalError|SlowDown)</Code>`)
)

// Check classifies an attempt that ended with resp (whose body, or its
// first bytes, is body) or with err when no response came:
//   - network failures are retryable, except those go-retryablehttp's
//     policy deems permanent (untrusted certificates, bad schemes, redirect
//     loops, invalid headers) and errors wrapping ErrNotRetryable;
//   - 429 and 5xx but 501 (go-retryablehttp's policy), 408, and a 400 whose
//     body carries an S3-style RequestTimeout, IncompleteBody, InternalError
//     or SlowDown code are retryable;
//   - 429 and SlowDown mean throttled.
//
// A cancelled or expired context is never retried: Check then returns
// ctx.Err().
func Check(ctx context.Context, resp *http.Response, body []byte, err error, now time.Time) (Verdict, error) {
	if ctx.Err() != nil {
		return Verdict{}, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, ErrNotRetryable) {
			return Verdict{}, nil
		}
		ok, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err)
		return Verdict{Retry: ok}, nil
	}
	if resp == nil {
		return Verdict{}, nil
	}
	v := Verdict{Throttled: resp.StatusCode == http.StatusTooManyRequests || slowDownCode.Match(body)}
	ok, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, nil)
	switch {
	case ok:
		v.Retry = true
		v.RetryAfter, v.HasRetryAfter = ParseRetryAfter(resp.Header, now)
	case resp.StatusCode == http.StatusRequestTimeout:
		v.Retry = true
	case resp.StatusCode == http.StatusBadRequest && retryableCode.Match(body):
		v.Retry = true
	}
	return v, nil
}

// Safe reports whether sending the request again cannot do something twice:
// idempotent methods always; any method after a 429 (the server refused
// before acting) or when the connection was never made (NotSent). POST and
// PATCH are not repeated after a 5xx, a timeout or a connection that broke
// after the request was sent: the server may have acted on it.
func Safe(method string, resp *http.Response, err error) bool {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	if err != nil && NotSent(err) {
		return true
	}
	return IsIdempotent(method)
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
