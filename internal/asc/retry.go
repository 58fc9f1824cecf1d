package asc

import (
	"context"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/retry"
)

// RetryPolicy decides whether an attempt that ended with resp (or err, when no
// response came) may be sent again. A non-nil error stops retrying; the
// caller gets the failure itself (or the context's error when it ended). It has the shape of go-retryablehttp's CheckRetry,
// plus the request, because safety depends on the method.
type RetryPolicy func(ctx context.Context, req *http.Request, resp *http.Response, err error) (bool, error)

// DefaultRetryPolicy is the project's one retry policy (internal/retry):
// 429, 408, 5xx (but 501) and network failures are worth repeating, only
// when repeating cannot do something twice:
//   - idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) on any of them;
//   - any method on 429 (Apple refuses before processing);
//   - any method when the connection was never made (dial, DNS, refused).
//
// POST and PATCH are never repeated after a 5xx, a timeout or a connection
// that broke after the request was sent: the server may have acted on it.
// A redirect to another origin is never repeated, nor is anything once the
// context has ended.
func DefaultRetryPolicy(ctx context.Context, req *http.Request, resp *http.Response, err error) (bool, error) {
	v, cerr := retry.Check(ctx, resp, nil, err, time.Now())
	if cerr != nil {
		return false, cerr
	}
	return v.Retry && retry.Safe(req.Method, resp, err), nil
}

// backoff returns the wait before retry number n (0-based): the server's
// Retry-After when given, else exponential from waitMin capped at waitMax
// with "equal jitter" (a random half on top of a fixed half), so a retried
// 5xx never comes back at once.
func (c *Client) backoff(n int, resp *http.Response) (wait time.Duration, fromServer bool) {
	return c.retryPolicy().Delay(n, c.verdict(resp), c.jitter)
}

// retryPolicy is the client's tuning of retry.Policy.
func (c *Client) retryPolicy() retry.Policy {
	return retry.Policy{Min: c.waitMin, Max: c.waitMax, Floor: 0.5, MaxRetryAfter: c.maxRetryAf}
}

// verdict is retry.Check's reading of a failed answer (nil for a network
// failure) on the client's clock: throttling and Retry-After.
func (c *Client) verdict(resp *http.Response) retry.Verdict {
	v, _ := retry.Check(context.Background(), resp, nil, nil, c.now())
	return v
}
