// Package httpx holds what every outgoing HTTP connection of asc-action
// shares: the timeout of each network wait, named and explained in one place;
// the rule that a bearer token never leaves its origin (links.next and
// redirects alike); bounded reads of response bodies; and an idle-read
// watchdog. The App Store Connect client (internal/asc) and the part
// transfer (internal/upload/transfer) both build on it.
package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/retry"
)

// Timeouts of every network wait. Each is a deliberate choice, not a
// library default:
const (
	// DialTimeout bounds connecting (DNS and TCP). A reachable host answers in
	// well under a second; 10 s leaves room for a slow resolver and two
	// retransmitted SYNs (after 1 s and 3 s), and fails a black-holed
	// address long before the kernel's ~2 minutes.
	DialTimeout = 10 * time.Second
	// TLSHandshakeTimeout bounds the handshake: two round trips and a
	// signature, under a second on any real link.
	TLSHandshakeTimeout = 10 * time.Second
	// KeepAlive is the TCP keep-alive probe period, so a peer that vanished
	// is noticed on an idle connection.
	KeepAlive = 30 * time.Second
	// IdleConnTimeout closes pooled connections unused for this long.
	IdleConnTimeout = 90 * time.Second

	// APIHeaderTimeout bounds the wait for App Store Connect's response
	// headers once the request is sent. Apple answers in one to a few
	// seconds, the slowest list calls in about ten; a server that never
	// answers costs 30 s per attempt, not the whole attempt budget.
	APIHeaderTimeout = 30 * time.Second
	// APIIdleReadTimeout abandons an API response body that stops moving
	// for this long (each read resets it).
	APIIdleReadTimeout = 30 * time.Second
	// APIAttemptTimeout bounds one API attempt end to end, besides the
	// caller's context (asc.DefaultRequestTimeout).
	APIAttemptTimeout = 60 * time.Second

	// PartHeaderTimeout bounds the wait for a storage host's answer after a
	// part's last byte: the host checks the part (up to tens of MB) before
	// it answers, so this is longer than the API's.
	PartHeaderTimeout = 2 * time.Minute
	// PartStallTimeout abandons (and retries) a part whose connection moved
	// no byte for this long, sending or awaiting the answer
	// (transfer.DefaultStallTimeout). There is no overall bound: a large
	// part on a slow link may take minutes.
	PartStallTimeout = 2 * time.Minute
)

// NewTransport returns an http.Transport with the timeouts above and
// headerTimeout for the response headers (APIHeaderTimeout or
// PartHeaderTimeout). Proxies from the environment are honoured as by
// http.DefaultTransport.
func NewTransport(headerTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: DialTimeout, KeepAlive: KeepAlive}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       IdleConnTimeout,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: headerTimeout,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// IsHeaderTimeout reports whether err is the transport giving up on the
// response headers (ResponseHeaderTimeout).
func IsHeaderTimeout(err error) bool {
	return err != nil && strings.Contains(err.Error(), "timeout awaiting response headers")
}

// SameOrigin reports whether a and b have the same scheme, host and port
// (the default port of the scheme when none is written), compared without
// regard to case. It is the rule for every URL a token may be sent to.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// MaxRedirects is how many redirects one request follows (net/http's own
// limit).
const MaxRedirects = 10

// ErrRedirectRefused is wrapped by the error of a request whose redirect left
// its origin.
var ErrRedirectRefused = errors.New("redirect refused")

// RedirectError is a redirect to another scheme, host or port than the
// request's origin: not followed, so the request's Authorization header
// (the App Store Connect token) never reaches it.
// It wraps ErrRedirectRefused and retry.ErrNotRetryable: sending the request
// again would be redirected again.
type RedirectError struct {
	From, To string // scheme://host:port of each, no path or query
}

// Error names both origins and the rule.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("refusing a redirect from %s to %s: only the same scheme, host and port may receive the token", e.From, e.To)
}

// Unwrap returns ErrRedirectRefused and retry.ErrNotRetryable.
func (e *RedirectError) Unwrap() []error { return []error{ErrRedirectRefused, retry.ErrNotRetryable} }

// SameOriginRedirects returns an http.Client CheckRedirect that follows a
// redirect only to the first request's origin (SameOrigin), up to
// MaxRedirects.
func SameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	if first := via[0].URL; !SameOrigin(req.URL, first) {
		return &RedirectError{From: origin(first), To: origin(req.URL)}
	}
	return nil
}

func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port(u)
}

// LimitError is a body longer than the limit set for its purpose.
type LimitError struct {
	What  string // "App Store Connect response body", ...
	Name  string // the limit's name in the code, e.g. "asc.MaxResponseBytes"
	Limit int64
}

// Error names what was read, the limit and its name.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes (limit %s)", e.What, e.Limit, e.Name)
}

// Unwrap returns retry.ErrNotRetryable: the same request gets the same
// oversized answer, so it is not read again.
func (e *LimitError) Unwrap() error { return retry.ErrNotRetryable }

// ReadAll reads r to the end, but at most limit bytes: a longer body is a
// *LimitError naming what and name, and nothing more is read.
func ReadAll(r io.Reader, limit int64, what, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], &LimitError{What: what, Name: name, Limit: limit}
	}
	return b, nil
}

// ReadPrefix reads at most limit bytes of r, for diagnosis: a longer body is
// cut, not an error. truncated says whether it was.
func ReadPrefix(r io.Reader, limit int64) (b []byte, truncated bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], true, err
	}
	return b, false, err
}

// Watchdog cancels a context when nothing kicks it for its timeout: the
// idle-read bound of a connection (an answer that stops moving).
type Watchdog struct {
	t *time.Timer
	d time.Duration
}

// NewWatchdog starts a watchdog that calls cancel(cause) after d without a
// Kick. Stop it when the guarded work ends.
func NewWatchdog(d time.Duration, cancel context.CancelCauseFunc, cause error) *Watchdog {
	return &Watchdog{t: time.AfterFunc(d, func() { cancel(cause) }), d: d}
}

// Kick restarts the countdown (progress was made).
func (w *Watchdog) Kick() { w.t.Reset(w.d) }

// Stop ends the watchdog.
func (w *Watchdog) Stop() { w.t.Stop() }

// KickingReader kicks w on every read that returns bytes.
type KickingReader struct {
	R io.Reader
	W *Watchdog
}

// Read reads from R and kicks W.
func (k KickingReader) Read(p []byte) (int, error) {
	n, err := k.R.Read(p)
	if n > 0 {
		k.W.Kick()
	}
	return n, err
}
