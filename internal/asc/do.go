package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
	"github.com/asc-action/asc-action/internal/retry"
)

// Do sends req with a bearer token, retrying as the retry policy allows, and
// decodes a 2xx JSON body into v (when v is not nil). A non-2xx answer is
// returned as *APIError together with the Response; a request that got no
// answer as *NetworkError; a cancelled context as an error wrapping ctx.Err().
//
// req must address the client's API origin (NewRequest makes sure of it),
// and redirects are followed only within it, so the token goes nowhere else.
// Token is called for every attempt. A 401 is retried once with a token from
// Renewer.Renew; on that 401 a server Date more than SkewThreshold away from
// the local clock is passed once per Client to ClockCorrector.SetClockOffset.
func (c *Client) Do(ctx context.Context, req *http.Request, v any) (*Response, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	cl, err := c.newCall(req)
	if err != nil {
		return nil, err
	}
	for {
		cl.attempt++
		r, again, err := cl.try(ctx, v)
		if !again {
			return r, err
		}
	}
}

// call is one Do: the request and what its attempts have learnt so far.
type call struct {
	c            *Client
	req          *http.Request
	body         []byte // the request body, sent again on each attempt
	method, path string
	attempt      int    // 1-based, the attempt under way
	retries      int    // attempts repeated by the retry policy
	renewed      bool   // the one renewal after a 401 was used
	nextToken    string // a token from Renew, for the next attempt
	// mayHaveActed: an earlier attempt may have been carried out although
	// it failed (a 5xx, a connection broken after sending).
	mayHaveActed bool
}

func (c *Client) newCall(req *http.Request) (*call, error) {
	cl := &call{c: c, req: req, method: req.Method, path: req.URL.Path}
	if !httpx.SameOrigin(req.URL, c.baseURL) {
		return nil, fmt.Errorf("App Store Connect %s %s: refusing to send the token to %s://%s, which is not the API host %s", cl.method, cl.path, req.URL.Scheme, req.URL.Host, c.baseURL.Host)
	}
	body, err := snapshotBody(req)
	if err != nil {
		return nil, fmt.Errorf("App Store Connect %s %s: reading the request body: %w", cl.method, cl.path, err)
	}
	cl.body = body
	return cl, nil
}

// try makes one attempt: token, send, then check the answer. again says
// whether another attempt follows.
func (cl *call) try(ctx context.Context, v any) (r *Response, again bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, cl.ctxErr(ctx)
	}
	tok, err := cl.token(ctx)
	if err != nil {
		return nil, false, err
	}
	resp, body, timedOut, sendErr := cl.c.send(ctx, cl.req, cl.body, tok)
	if sendErr != nil {
		again, err := cl.onNetworkError(ctx, sendErr, timedOut)
		return nil, again, err
	}
	r = cl.c.newResponse(resp, body, cl.attempt)
	cl.c.noteRateLimit(r.RateLimit, cl.method, cl.path)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		again, err := cl.decode(ctx, resp.StatusCode, body, v)
		return r, again, err
	}
	again, err = cl.onFailure(ctx, resp, body, tok, r.RateLimit)
	return r, again, err
}

func (cl *call) ctxErr(ctx context.Context) error {
	return fmt.Errorf("App Store Connect %s %s: %w", cl.method, cl.path, ctx.Err())
}

// token is the renewed token when a 401 asked for one, else the source's.
func (cl *call) token(ctx context.Context) (string, error) {
	if tok := cl.nextToken; tok != "" {
		cl.nextToken = ""
		return tok, nil
	}
	tok, err := cl.c.ts.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", cl.ctxErr(ctx)
		}
		return "", &TokenError{Method: cl.method, Path: cl.path, Err: err}
	}
	return tok, nil
}

// onNetworkError decides what follows an attempt that got no answer.
func (cl *call) onNetworkError(ctx context.Context, sendErr error, timedOut bool) (bool, error) {
	if ctx.Err() != nil {
		return false, cl.ctxErr(ctx)
	}
	netErr := &NetworkError{Method: cl.method, Path: cl.path, Attempts: cl.attempt, Timeout: timedOut, Err: sendErr}
	ok, err := cl.c.policy(ctx, cl.req, nil, sendErr)
	if err != nil && ctx.Err() != nil {
		return false, cl.ctxErr(ctx)
	}
	if !ok || err != nil || cl.retries >= cl.c.retryMax {
		return false, netErr
	}
	if err := cl.wait(ctx, nil, Event{Err: netErr}); err != nil {
		return false, err
	}
	cl.mayHaveActed = cl.mayHaveActed || !retry.NotSent(sendErr)
	return true, nil
}

// decode reads a 2xx body into v; a body that is not the document expected
// is read again when the method is idempotent (a proxy's hiccup).
func (cl *call) decode(ctx context.Context, status int, body []byte, v any) (bool, error) {
	if v == nil || len(bytes.TrimSpace(body)) == 0 {
		return false, nil
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return false, nil
	}
	decErr := &DecodeError{Method: cl.method, Path: cl.path, StatusCode: status, Err: err}
	if !retry.IsIdempotent(cl.method) || cl.retries >= cl.c.retryMax {
		return false, decErr
	}
	if err := cl.wait(ctx, nil, Event{Status: status, Err: decErr}); err != nil {
		return false, err
	}
	return true, nil
}

// onFailure checks a non-2xx answer, as go-github's CheckResponse does, and
// decides: done, renew the token, or retry.
func (cl *call) onFailure(ctx context.Context, resp *http.Response, body []byte, tok string, rl RateLimit) (bool, error) {
	status := resp.StatusCode
	// A DELETE sent again after an attempt that may have reached the
	// server (5xx, broken connection) finds the resource gone: that
	// attempt did it.
	if cl.method == http.MethodDelete && status == http.StatusNotFound && cl.mayHaveActed {
		return false, nil
	}
	apiErr := cl.c.apiError(cl.method, cl.path, resp, body, tok, rl)
	if status == http.StatusUnauthorized {
		return cl.renew(ctx, apiErr)
	}
	if status == http.StatusTooManyRequests {
		cl.c.emit(Event{Kind: EventRateLimited, Method: cl.method, Path: cl.path, Attempt: cl.attempt, Status: status, Wait: apiErr.RetryAfter, RateLimit: cl.c.RateLimit()})
	}
	ok, err := cl.c.policy(ctx, cl.req, resp, nil)
	if err != nil && ctx.Err() != nil {
		return false, cl.ctxErr(ctx)
	}
	if !ok || err != nil || cl.retries >= cl.c.retryMax {
		return false, apiErr
	}
	if cl.c.retryPolicy().TooLong(cl.c.verdict(resp)) {
		return false, apiErr // too long to wait here; the caller sees RetryAfter
	}
	if err := cl.wait(ctx, resp, Event{Status: status, Err: apiErr}); err != nil {
		return false, err
	}
	cl.mayHaveActed = cl.mayHaveActed || status >= 500
	return true, nil
}

// renew handles a 401: measure the clock skew, and ask once for a fresh
// token when the source can mint one.
func (cl *call) renew(ctx context.Context, apiErr *APIError) (bool, error) {
	corrected := cl.c.checkSkew(apiErr, cl.method, cl.path, cl.attempt)
	renewer, ok := cl.c.ts.(Renewer)
	if !ok || cl.renewed {
		return false, apiErr
	}
	cl.renewed = true
	fresh, err := renewer.Renew(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false, cl.ctxErr(ctx)
		}
		return false, &TokenError{Method: cl.method, Path: cl.path, Err: fmt.Errorf("renewing the token after a 401: %w", err)}
	}
	cl.c.emit(Event{Kind: EventTokenRenewed, Method: cl.method, Path: cl.path, Attempt: cl.attempt, Status: apiErr.StatusCode, Skew: apiErr.ClockSkew, Corrected: corrected, RateLimit: cl.c.RateLimit()})
	cl.nextToken = fresh
	return true, nil
}

// wait emits an EventRetry and sleeps for the backoff of the next retry.
func (cl *call) wait(ctx context.Context, resp *http.Response, e Event) error {
	d, fromServer := cl.c.backoff(cl.retries, resp)
	cl.retries++
	e.Kind, e.Method, e.Path, e.Attempt = EventRetry, cl.method, cl.path, cl.attempt
	e.Wait, e.FromServer, e.RateLimit = d, fromServer, cl.c.RateLimit()
	cl.c.emit(e)
	if err := cl.c.sleep(ctx, d); err != nil {
		return fmt.Errorf("App Store Connect %s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

// errStalled ends an attempt whose answer stopped moving.
var errStalled = errors.New("the answer stopped")

// send makes one attempt under the per-attempt timeout and reads the body,
// within MaxResponseBytes (2xx) or MaxErrorBytes (other answers, cut).
func (c *Client) send(ctx context.Context, req *http.Request, body []byte, tok string) (*http.Response, []byte, bool, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if c.reqTimeout > 0 {
		var stop context.CancelFunc
		actx, stop = context.WithTimeout(actx, c.reqTimeout)
		defer stop()
	}
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	timedOut := func(err error) bool {
		return ctx.Err() == nil && (errors.Is(actx.Err(), context.DeadlineExceeded) || context.Cause(actx) == errStalled || httpx.IsHeaderTimeout(err))
	}
	resp, err := c.http.Do(r)
	if err != nil {
		if httpx.IsHeaderTimeout(err) {
			err = fmt.Errorf("no answer within %v (the response-header timeout httpx.APIHeaderTimeout): %w", httpx.APIHeaderTimeout, err)
		}
		return nil, nil, timedOut(err), err
	}
	defer resp.Body.Close()
	dog := httpx.NewWatchdog(c.idleRead, cancel, errStalled)
	defer dog.Stop()
	b, err := readBody(resp, httpx.KickingReader{R: resp.Body, W: dog})
	if err != nil {
		if context.Cause(actx) == errStalled {
			err = fmt.Errorf("%w for %v (the idle-read timeout httpx.APIIdleReadTimeout)", errStalled, c.idleRead)
		}
		return nil, nil, timedOut(err), err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, b, false, nil
}

// readBody reads a 2xx body whole (within MaxResponseBytes) and an error
// body's first MaxErrorBytes.
func readBody(resp *http.Response, r io.Reader) ([]byte, error) {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		b, err := httpx.ReadAll(r, MaxResponseBytes, fmt.Sprintf("the %d answer", resp.StatusCode), "asc.MaxResponseBytes")
		var le *httpx.LimitError
		if err != nil && !errors.As(err, &le) {
			err = fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err)
		}
		return b, err
	}
	b, _, err := httpx.ReadPrefix(r, MaxErrorBytes)
	if err != nil {
		return nil, fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err)
	}
	return b, nil
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
	r := &Response{Response: resp, Pages: 1, Attempts: attempt, bodyLen: len(body)}
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
	c.rlMu.Lock()
	prev := c.rateLimit
	c.rateLimit = rl
	c.rlMu.Unlock()
	if rl.Low() && !prev.Low() {
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
	if d, ok := retry.ParseRetryAfter(resp.Header, c.now()); ok {
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
	if skew.Abs() <= SkewThreshold {
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
