package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Do sends req with a bearer token, retrying as the retry policy allows, and
// decodes a 2xx JSON body into v (when v is not nil). A non-2xx answer is
// returned as *APIError together with the Response; a request that got no
// answer as *NetworkError; a cancelled context as an error wrapping ctx.Err().
//
// req must address the client's API host (NewRequest makes sure of it), so
// the token goes nowhere else. Token is called for every attempt. A 401 is retried once with a token from
// Renewer.Renew; on that 401 a server Date more than SkewThreshold away from
// the local clock is passed once per Client to ClockCorrector.SetClockOffset.
func (c *Client) Do(ctx context.Context, req *http.Request, v any) (*Response, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	method, path := req.Method, req.URL.Path
	if !strings.EqualFold(req.URL.Scheme, c.baseURL.Scheme) || !strings.EqualFold(req.URL.Host, c.baseURL.Host) {
		return nil, fmt.Errorf("App Store Connect %s %s: refusing to send the token to %s://%s, which is not the API host %s", method, path, req.URL.Scheme, req.URL.Host, c.baseURL.Host)
	}
	reqBody, err := snapshotBody(req)
	if err != nil {
		return nil, fmt.Errorf("App Store Connect %s %s: reading the request body: %w", method, path, err)
	}
	var (
		renewed   bool
		retries   int
		nextToken string // a token from Renew, used for the next attempt
		// mayHaveActed: an earlier attempt may have been carried out
		// although it failed (a 5xx, a connection broken after sending).
		mayHaveActed bool
	)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("App Store Connect %s %s: %w", method, path, err)
		}
		tok := nextToken
		nextToken = ""
		if tok == "" {
			tok, err = c.ts.Token(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("App Store Connect %s %s: %w", method, path, ctx.Err())
				}
				return nil, &TokenError{Method: method, Path: path, Err: err}
			}
		}

		resp, body, timedOut, sendErr := c.send(ctx, req, reqBody, tok)
		if sendErr != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("App Store Connect %s %s: %w", method, path, ctx.Err())
			}
			netErr := &NetworkError{Method: method, Path: path, Attempts: attempt, Timeout: timedOut, Err: sendErr}
			ok, perr := c.policy(ctx, req, nil, sendErr)
			if perr != nil && ctx.Err() != nil {
				return nil, fmt.Errorf("App Store Connect %s %s: %w", method, path, ctx.Err())
			}
			if ok && perr == nil && retries < c.retryMax {
				if err := c.wait(ctx, retries, nil, Event{Method: method, Path: path, Attempt: attempt, Err: netErr}); err != nil {
					return nil, err
				}
				mayHaveActed = mayHaveActed || !NotSent(sendErr)
				retries++
				continue
			}
			return nil, netErr
		}

		r := c.newResponse(resp, body, attempt)
		c.noteRateLimit(r.RateLimit, method, path)
		status := resp.StatusCode

		if status >= 200 && status < 300 {
			if v != nil && len(bytes.TrimSpace(body)) > 0 {
				if err := json.Unmarshal(body, v); err != nil {
					decErr := &DecodeError{Method: method, Path: path, StatusCode: status, Err: err}
					if IsIdempotent(method) && retries < c.retryMax {
						if err := c.wait(ctx, retries, nil, Event{Method: method, Path: path, Attempt: attempt, Status: status, Err: decErr}); err != nil {
							return r, err
						}
						retries++
						continue
					}
					return r, decErr
				}
			}
			return r, nil
		}
		// A DELETE sent again after an attempt that may have reached the
		// server (5xx, broken connection) finds the resource gone: that
		// attempt did it.
		if method == http.MethodDelete && status == http.StatusNotFound && mayHaveActed {
			return r, nil
		}

		apiErr := c.apiError(method, path, resp, body, tok, r.RateLimit)
		if status == http.StatusUnauthorized {
			corrected := c.checkSkew(apiErr, method, path, attempt)
			if renewer, ok := c.ts.(Renewer); ok && !renewed {
				renewed = true
				fresh, err := renewer.Renew(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return r, fmt.Errorf("App Store Connect %s %s: %w", method, path, ctx.Err())
					}
					return r, &TokenError{Method: method, Path: path, Err: fmt.Errorf("renewing the token after a 401: %w", err)}
				}
				c.emit(Event{Kind: EventTokenRenewed, Method: method, Path: path, Attempt: attempt, Status: status, Skew: apiErr.ClockSkew, Corrected: corrected, RateLimit: c.RateLimit()})
				nextToken = fresh
				continue
			}
			return r, apiErr
		}
		if status == http.StatusTooManyRequests {
			c.emit(Event{Kind: EventRateLimited, Method: method, Path: path, Attempt: attempt, Status: status, Wait: apiErr.RetryAfter, RateLimit: c.RateLimit()})
		}
		ok, perr := c.policy(ctx, req, resp, nil)
		if perr != nil && ctx.Err() != nil {
			return r, fmt.Errorf("App Store Connect %s %s: %w", method, path, ctx.Err())
		}
		if ok && perr == nil && retries < c.retryMax {
			if _, hinted := ParseRetryAfter(resp.Header, c.now()); hinted && apiErr.RetryAfter > c.maxRetryAf {
				return r, apiErr // too long to wait here; the caller sees RetryAfter
			}
			if err := c.wait(ctx, retries, resp, Event{Method: method, Path: path, Attempt: attempt, Status: status, Err: apiErr}); err != nil {
				return r, err
			}
			mayHaveActed = mayHaveActed || status >= 500
			retries++
			continue
		}
		return r, apiErr
	}
}

// wait emits an EventRetry and sleeps for the backoff of retry number n.
func (c *Client) wait(ctx context.Context, n int, resp *http.Response, e Event) error {
	d, fromServer := c.backoff(n, resp)
	e.Kind, e.Wait, e.FromServer, e.RateLimit = EventRetry, d, fromServer, c.RateLimit()
	c.emit(e)
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("App Store Connect %s %s: %w", e.Method, e.Path, err)
	}
	return nil
}

// send makes one attempt under the per-attempt timeout and reads the body.
func (c *Client) send(ctx context.Context, req *http.Request, body []byte, tok string) (*http.Response, []byte, bool, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.reqTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.reqTimeout)
	}
	defer cancel()
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	timedOut := func() bool { return ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) }
	resp, err := c.http.Do(r)
	if err != nil {
		return nil, nil, timedOut(), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, timedOut(), fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err)
	}
	if len(b) > maxBody {
		return nil, nil, false, fmt.Errorf("the %d answer is larger than %d bytes", resp.StatusCode, maxBody)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, b, false, nil
}

func snapshotBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

func (c *Client) newResponse(resp *http.Response, body []byte, attempt int) *Response {
	r := &Response{Response: resp, Pages: 1, Attempts: attempt}
	r.RateLimit = ParseRateLimit(resp.Header.Get("X-Rate-Limit"))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && len(body) > 0 {
		var page struct {
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
			Meta struct {
				Paging struct {
					Total int `json:"total"`
				} `json:"paging"`
			} `json:"meta"`
		}
		if json.Unmarshal(body, &page) == nil {
			r.NextURL = page.Links.Next
			r.Total = page.Meta.Paging.Total
		}
	}
	return r
}

func (c *Client) noteRateLimit(rl RateLimit, method, path string) {
	if !rl.Known {
		return
	}
	low := func(r RateLimit) bool { return r.Known && r.Limit > 0 && r.Remaining*20 <= r.Limit }
	c.rlMu.Lock()
	prev := c.rateLimit
	c.rateLimit = rl
	c.rlMu.Unlock()
	if low(rl) && !low(prev) {
		c.emit(Event{Kind: EventRateLimitLow, Method: method, Path: path, RateLimit: rl})
	}
}

func (c *Client) apiError(method, path string, resp *http.Response, body []byte, tok string, rl RateLimit) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Header: resp.Header, RateLimit: rl}
	if tok != "" && bytes.Contains(body, []byte(tok)) {
		body = bytes.ReplaceAll(body, []byte(tok), []byte("[token]"))
	}
	if items, ok := ParseErrorDocument(body); ok {
		e.Errors = items
	} else {
		e.Body = excerpt(body, tok)
	}
	if d, ok := ParseRetryAfter(resp.Header, c.now()); ok {
		e.RetryAfter = d
	}
	return e
}

// checkSkew measures the server's Date against the local clock on a 401,
// records it in e, and corrects the token source's clock once per Client
// when it is off by more than SkewThreshold. It reports whether this call
// made the correction.
func (c *Client) checkSkew(e *APIError, method, path string, attempt int) bool {
	date := e.Header.Get("Date")
	if date == "" {
		return false
	}
	server, err := http.ParseTime(date)
	if err != nil {
		return false
	}
	skew := server.Sub(c.now())
	e.ClockSkew = skew
	if absDur(skew) <= SkewThreshold {
		return false
	}
	corrected := false
	if cc, ok := c.ts.(ClockCorrector); ok && c.skewCorrected.CompareAndSwap(false, true) {
		cc.SetClockOffset(skew.Round(time.Second))
		corrected = true
	}
	// The correction was in force for this attempt's token only if an
	// earlier 401 made it.
	e.ClockCorrected = c.skewCorrected.Load() && !corrected
	c.emit(Event{Kind: EventClockSkew, Method: method, Path: path, Attempt: attempt, Status: e.StatusCode, Skew: skew, Corrected: corrected, RateLimit: c.RateLimit()})
	return corrected
}
