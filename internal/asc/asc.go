// Package asc is a typed client for the App Store Connect API: the endpoints
// asc-action uses (apps, certificates, profiles, builds, build uploads and
// their files), with bearer-token auth from a TokenSource, Apple's error
// documents decoded into typed errors, X-Rate-Limit parsing, paging through
// links.next, and retries that repeat only what is safe to repeat.
//
// The package prints nothing: callers observe retries, token renewals, clock
// corrections and rate limiting through an Event callback (WithEvents).
package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
	"github.com/asc-action/asc-action/internal/retry"
)

// DefaultBaseURL is App Store Connect's API root.
const DefaultBaseURL = "https://api.appstoreconnect.apple.com"

// DefaultUserAgent is sent when WithUserAgent is not given.
const DefaultUserAgent = "asc-action"

// Defaults for the retry policy and timeouts; each has an Option.
const (
	DefaultRetryMax       = 4                       // retries after the first attempt
	DefaultRetryWaitMin   = 1 * time.Second         // first backoff step
	DefaultRetryWaitMax   = 30 * time.Second        // backoff ceiling
	DefaultMaxRetryAfter  = 2 * time.Minute         // longer Retry-After values are returned, not waited for
	DefaultRequestTimeout = httpx.APIAttemptTimeout // per attempt, besides the caller's context
	// SkewThreshold is how far the server's Date may be from the local clock
	// on a 401 before the client asks the token source to correct its clock.
	SkewThreshold = 5 * time.Second
)

// Limits on what the server may make the client read. Each names itself in
// the error that reports it.
const (
	// MaxResponseBytes bounds a 2xx body: a page of 200 profiles with their
	// content is about 4 MiB.
	MaxResponseBytes = 32 << 20
	// MaxErrorBytes bounds how much of an error body is read: Apple's error
	// documents are under 4 KiB; a longer body is cut and shown as an excerpt.
	MaxErrorBytes = 1 << 20
	// MaxPages bounds how many pages a list call follows, against a server
	// that never stops handing out links.next.
	MaxPages = 1000
	// MaxListBytes bounds the bytes of all pages of one list call, so memory
	// stays flat whatever the server sends (a thousand profiles with their
	// content are about 20 MiB).
	MaxListBytes = 64 << 20
)

// TokenSource supplies the bearer token for each request. The client calls
// Token for every attempt, so a source that caches and renews before expiry
// keeps operations of any length from sending an expired token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Renewer is implemented by token sources that can discard their cached token
// and mint a fresh one; the client uses it once after a 401.
type Renewer interface {
	Renew(ctx context.Context) (string, error)
}

// ClockCorrector is implemented by token sources whose minting clock can be
// shifted by d (server time minus local time), to recover from clock skew.
type ClockCorrector interface {
	SetClockOffset(d time.Duration)
}

// Client talks to App Store Connect. It is safe for concurrent use.
type Client struct {
	baseURL    *url.URL
	ts         TokenSource
	http       *http.Client
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	userAgent  string
	events     func(Event)
	retryMax   int
	waitMin    time.Duration
	waitMax    time.Duration
	maxRetryAf time.Duration
	reqTimeout time.Duration
	policy     RetryPolicy

	jitter *retry.Jitter
	// listBytes is MaxListBytes and idleRead httpx.APIIdleReadTimeout
	// (tests lower them).
	listBytes int64
	idleRead  time.Duration

	rlMu      sync.Mutex
	rateLimit RateLimit

	skewCorrected atomic.Bool
}

// Option configures a Client.
type Option func(*Client) error

// option returns an Option that applies set, or fails with "asc: " and
// problem (which names the option and its argument) when bad is true.
func option(bad bool, problem string, set func(*Client)) Option {
	return func(c *Client) error {
		if bad {
			return errors.New("asc: " + problem)
		}
		set(c)
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for every request. The client
// uses a copy of it whose redirects obey the same rule as links.next (same
// scheme, host and port; see httpx.SameOriginRedirects), with the timeouts
// of httpx.NewTransport when its Transport is nil or http.DefaultTransport.
func WithHTTPClient(h *http.Client) Option {
	return option(h == nil, "WithHTTPClient: nil *http.Client", func(c *Client) { c.http = h })
}

// WithClock sets the clock used to measure clock skew and Retry-After dates.
func WithClock(now func() time.Time) Option {
	return option(now == nil, "WithClock: nil clock", func(c *Client) { c.now = now })
}

// WithSleep replaces the wait between retries (tests pass a fake that
// advances a fake clock). It must return ctx.Err() if ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return option(sleep == nil, "WithSleep: nil function", func(c *Client) { c.sleep = sleep })
}

// WithRand sets the randomness used for backoff jitter.
func WithRand(src rand.Source) Option {
	return option(src == nil, "WithRand: nil source", func(c *Client) { c.jitter = retry.NewJitter(src) })
}

// WithRetryMax sets how many times a failed attempt may be repeated (0
// disables retries of 429/5xx/network failures; the single 401 renewal stays).
func WithRetryMax(n int) Option {
	return option(n < 0, fmt.Sprintf("WithRetryMax(%d): must be 0 or more", n), func(c *Client) { c.retryMax = n })
}

// WithRetryWait sets the first backoff step and the backoff ceiling.
func WithRetryWait(min, max time.Duration) Option {
	return option(min <= 0 || max < min, fmt.Sprintf("WithRetryWait(%v, %v): need 0 < min <= max", min, max),
		func(c *Client) { c.waitMin, c.waitMax = min, max })
}

// WithMaxRetryAfter sets the longest Retry-After the client will wait for;
// a longer one ends the call with the error, its RetryAfter set. It must be
// positive (retry.Policy reads a zero MaxRetryAfter as "no limit").
func WithMaxRetryAfter(d time.Duration) Option {
	return option(d <= 0, fmt.Sprintf("WithMaxRetryAfter(%v): must be positive", d), func(c *Client) { c.maxRetryAf = d })
}

// WithRequestTimeout bounds each attempt (0 means only the caller's context).
func WithRequestTimeout(d time.Duration) Option {
	return option(d < 0, fmt.Sprintf("WithRequestTimeout(%v): must not be negative", d), func(c *Client) { c.reqTimeout = d })
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return option(false, "", func(c *Client) { c.userAgent = ua })
}

// WithEvents registers a callback told about retries, token renewals, clock
// corrections and rate limiting, so callers can log them.
func WithEvents(fn func(Event)) Option {
	return option(false, "", func(c *Client) { c.events = fn })
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return option(p == nil, "WithRetryPolicy: nil policy", func(c *Client) { c.policy = p })
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty),
// authenticating with ts. baseURL may carry a path prefix.
func New(baseURL string, ts TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, errors.New("asc: no token source")
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api-url %q: not an http(s) URL with a host; use e.g. %s", baseURL, DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("api-url %q: must not carry a query or fragment", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	c := &Client{
		baseURL:    u,
		ts:         ts,
		http:       &http.Client{},
		now:        time.Now,
		sleep:      retry.Sleep,
		userAgent:  DefaultUserAgent,
		retryMax:   DefaultRetryMax,
		waitMin:    DefaultRetryWaitMin,
		waitMax:    DefaultRetryWaitMax,
		maxRetryAf: DefaultMaxRetryAfter,
		reqTimeout: DefaultRequestTimeout,
		policy:     DefaultRetryPolicy,
		jitter:     retry.NewJitter(nil),
		listBytes:  MaxListBytes,
		idleRead:   httpx.APIIdleReadTimeout,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	c.http = guarded(c.http)
	return c, nil
}

// guarded returns a copy of h that follows redirects only within the
// request's origin (whatever h's own CheckRedirect allows besides) and,
// when h uses net/http's default transport (whose response-header wait is
// unbounded), one with every network wait bounded instead.
func guarded(h *http.Client) *http.Client {
	g := *h
	if g.Transport == nil || g.Transport == http.DefaultTransport {
		g.Transport = httpx.NewTransport(httpx.APIHeaderTimeout)
	}
	own := h.CheckRedirect
	g.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := httpx.SameOriginRedirects(req, via); err != nil {
			return err
		}
		if own != nil {
			return own(req, via)
		}
		return nil
	}
	return &g
}

// BaseURL returns the API root the client was built with (ending in "/").
func (c *Client) BaseURL() string { return c.baseURL.String() }

// RateLimit returns the last X-Rate-Limit the server reported.
func (c *Client) RateLimit() RateLimit {
	c.rlMu.Lock()
	defer c.rlMu.Unlock()
	return c.rateLimit
}

// NewRequest builds a request for urlStr, a path relative to the base URL
// ("v1/apps?limit=200") or an absolute URL on the same host (a links.next).
// A non-nil body is encoded as JSON.
func (c *Client) NewRequest(method, urlStr string, body any) (*http.Request, error) {
	u, err := c.resolve(urlStr)
	if err != nil {
		return nil, err
	}
	var buf []byte
	if body != nil {
		buf, err = json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("asc: encoding %s %s body: %w", method, u.Path, err)
		}
	}
	var rd io.Reader
	if buf != nil {
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("asc: %s %s: %w", method, u.Path, err)
	}
	if buf != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// resolve turns a relative path into a URL under the base URL, and checks
// the result points at the same scheme and host (an absolute URL, or a
// network-path one such as "//@" whose host is empty), so the bearer token
// is never sent elsewhere. "v1/apps" lands under the base URL's path prefix;
// a server-relative link ("/v1/apps?cursor=x") is taken as the server wrote it.
func (c *Client) resolve(urlStr string) (*url.URL, error) {
	ref, err := url.Parse(urlStr)
	if err != nil {
		return nil, fmt.Errorf("asc: bad URL %q: %w", urlStr, err)
	}
	u := c.baseURL.ResolveReference(ref)
	if !httpx.SameOrigin(u, c.baseURL) {
		return nil, fmt.Errorf("asc: refusing to follow %s://%s%s: not the API host %s (the token would leave it)", u.Scheme, u.Host, u.Path, c.baseURL.Host)
	}
	return u, nil
}

// Response wraps the HTTP response with what App Store Connect reports
// besides the document: rate limit and paging facts.
type Response struct {
	*http.Response
	// RateLimit is this response's X-Rate-Limit.
	RateLimit RateLimit
	// NextURL is the document's links.next, empty on the last page.
	NextURL string
	// Total is meta.paging.total when the server reported it.
	Total int
	// Pages is how many pages a list call fetched (1 for single calls).
	Pages int
	// Attempts is how many times the last request was sent.
	Attempts int

	bodyLen int // bytes of the body read
}

func (c *Client) emit(e Event) {
	if c.events != nil {
		c.events(e)
	}
}
