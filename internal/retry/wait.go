package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// MaxRetryAfterHint is the longest Retry-After ParseRetryAfter reports; a
// larger value (a year of seconds, an overflow) is read as this.
const MaxRetryAfterHint = 365 * 24 * time.Hour

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP date
// (any form http.ParseTime reads, relative to now). ok is false when the
// header is absent, negative or malformed; a date in the past is 0, true.
func ParseRetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(MaxRetryAfterHint/time.Second))) * time.Second, true
	}
	if len(v) > 64 {
		return 0, false // no HTTP date is this long
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfterHint), true
}

// Policy says how long to wait before another attempt.
type Policy struct {
	// Min and Max bound the backoff: before retry n (0-based) the step is
	// Min*2^n, at most Max (go-retryablehttp's DefaultBackoff).
	Min, Max time.Duration
	// Throttle replaces Min when the server asked to slow down without
	// saying for how long (0: Min).
	Throttle time.Duration
	// Floor is the fraction of each step always waited; the rest is drawn at
	// random. 0 is "full jitter" (a wait anywhere in [0, step], as the AWS
	// SDKs do); 0.5 is "equal jitter" ([step/2, step]).
	Floor float64
	// MaxRetryAfter is the longest server Retry-After waited for; see
	// TooLong and Delay.
	MaxRetryAfter time.Duration
}

// TooLong reports whether the server asks for a longer pause than the
// policy waits (callers that prefer to return the error rather than wait
// less than asked check it first).
func (p Policy) TooLong(v Verdict) bool {
	return v.HasRetryAfter && p.MaxRetryAfter > 0 && v.RetryAfter > p.MaxRetryAfter
}

// Delay is the pause before retry n (0-based) after a failure judged v: the
// server's Retry-After when it gave one (capped at MaxRetryAfter), else the
// jittered backoff step. fromServer says which.
func (p Policy) Delay(n int, v Verdict, r Rand) (d time.Duration, fromServer bool) {
	if v.HasRetryAfter {
		d = v.RetryAfter
		if p.MaxRetryAfter > 0 {
			d = min(d, p.MaxRetryAfter)
		}
		return d, true
	}
	lo := p.Min
	if v.Throttled {
		lo = max(lo, p.Throttle)
	}
	step := retryablehttp.DefaultBackoff(lo, max(p.Max, lo), n, nil)
	fixed := time.Duration(float64(step) * p.Floor)
	if step-fixed <= 0 {
		return step, false
	}
	return fixed + time.Duration(r.Int64N(int64(step-fixed)+1)), false
}

// Rand draws the jitter: a *rand.Rand (guarded by its owner) or a *Jitter.
type Rand interface {
	Int64N(n int64) int64
}

// Jitter is a source of random pauses, safe for concurrent use.
type Jitter struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewJitter draws from src (nil: a randomly seeded source).
func NewJitter(src rand.Source) *Jitter {
	if src == nil {
		src = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	return &Jitter{r: rand.New(src)}
}

// Int64N returns a number in [0, n).
func (j *Jitter) Int64N(n int64) int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.r.Int64N(n)
}

// Sleep waits d or until ctx ends, whichever is first, and returns ctx.Err()
// in the latter case. A d of zero or less returns at once (with ctx.Err()).
// It is the one context-aware sleep of the project; tests inject a fake in
// its place.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
