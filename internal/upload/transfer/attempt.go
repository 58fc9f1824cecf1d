package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
	"github.com/asc-action/asc-action/internal/retry"
)

// Sentinel errors, matched with errors.Is against a *PartError or *PlanError.
var (
	// ErrPlan: the operations do not describe the file (gaps, overlaps, wrong size).
	ErrPlan = errors.New("the upload operations do not match the file")
	// ErrAttemptsExhausted: a part kept failing with retryable errors.
	ErrAttemptsExhausted = errors.New("part failed on every attempt")
	// ErrRejected: the storage host refused a part with a non-retryable status.
	ErrRejected = errors.New("part refused")
	// ErrExpired: a part's URL expired and there is no Refresh to renew it.
	ErrExpired = errors.New("part URL expired")
	// ErrRefresh: renewing expired URLs failed.
	ErrRefresh = errors.New("could not renew expired part URLs")
)

// errStalled ends an attempt whose connection stopped moving.
var errStalled = errors.New("no progress on the connection")

// PlanError says the operations cannot be sent as given.
type PlanError struct{ Detail string }

// Error says what is wrong with the operations.
func (e *PlanError) Error() string { return "upload operations: " + e.Detail }

// Unwrap returns ErrPlan.
func (e *PlanError) Unwrap() error { return ErrPlan }

// PartError says which part failed for good, and why. It never contains the
// part's URL (its query string is a credential).
type PartError struct {
	PartNumber int
	Parts      int   // how many parts the file has
	Offset     int64 // first byte
	Length     int64
	Attempts   int
	StatusCode int   // last HTTP status, 0 for a network error
	Err        error // sentinel: ErrAttemptsExhausted, ErrRejected, ErrExpired, ErrRefresh
	Cause      error // the last failure, if any
}

// Error names the part, its bytes, the failure and what to do.
func (e *PartError) Error() string {
	msg := fmt.Sprintf("part %d of %d (bytes %d-%d): %v (attempts: %d)", e.PartNumber, e.Parts, e.Offset, e.Offset+e.Length-1, e.Err, e.Attempts)
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg + "; the upload was not committed, so it is safe to run the step again"
}

// Unwrap returns the sentinel and the cause.
func (e *PartError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

type class int

const (
	classRetry class = iota
	classExpired
	classPermanent
)

// attemptError is one failed attempt.
type attemptError struct {
	class      class
	status     int
	detail     string
	err        error
	retryAfter time.Duration
	throttled  bool // the host asked to slow down (429, SlowDown)
}

// Error gives the status and cause of one failed attempt.
func (e *attemptError) Error() string {
	var msg string
	if e.status != 0 {
		msg = fmt.Sprintf("HTTP %d %s", e.status, http.StatusText(e.status))
		if e.detail != "" {
			msg += " (" + e.detail + ")"
		}
	}
	if e.err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += e.err.Error()
	}
	return msg
}

// Unwrap returns the transport error, if any.
func (e *attemptError) Unwrap() error { return e.err }

// countingBody reads a part from the file and reports the bytes as they go;
// once the attempt is over it refuses to read, so a connection the transport
// still holds cannot keep pulling file data for a dead attempt.
type countingBody struct {
	r      io.Reader
	onRead func(int)
	onEOF  func() // the last byte has been handed to the transport
	closed *atomic.Bool
}

// Read reads from the file section and counts the bytes.
func (b *countingBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errors.New("transfer: attempt is over")
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.onRead(n)
	}
	if err == io.EOF && b.onEOF != nil {
		b.onEOF()
	}
	return n, err
}

// Close does nothing: the file belongs to the caller of Send.
func (b *countingBody) Close() error { return nil }

// maxErrBody is how much of a storage host's answer is read, for diagnosis
// (S3-style error documents are under 1 KiB); the rest is left unread.
const maxErrBody = 64 << 10

// attempt sends one part once.
func (s *sender) attempt(ctx context.Context, p *part, op Operation) *attemptError {
	var over atomic.Bool
	defer over.Store(true)
	// A connection that stops moving (no byte read for StallTimeout, from
	// the start to the end of the answer) is abandoned and the part retried,
	// rather than left to the kernel's TCP timeouts.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dog := httpx.NewWatchdog(s.opt.StallTimeout, cancel, errStalled)
	defer dog.Stop()
	req, err := s.newRequest(ctx, p, op, dog, &over)
	if err != nil {
		return &attemptError{class: classPermanent, err: fmt.Errorf("bad part URL: %v", redact(err))}
	}
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		if context.Cause(ctx) == errStalled {
			return &attemptError{class: classRetry, err: fmt.Errorf("%w (%v)", errStalled, s.opt.StallTimeout)}
		}
		return s.classify(ctx, nil, nil, err, op)
	}
	defer resp.Body.Close()
	body, _, rerr := httpx.ReadPrefix(httpx.KickingReader{R: resp.Body, W: dog}, maxErrBody)
	if rerr != nil && context.Cause(ctx) == errStalled {
		rerr = fmt.Errorf("%w (%v)", errStalled, s.opt.StallTimeout)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if rerr != nil {
			// The status said yes but the answer was cut: sending a part
			// again is harmless, assuming it arrived is not.
			return &attemptError{class: classRetry, status: resp.StatusCode, err: fmt.Errorf("reading the answer: %v", redact(rerr))}
		}
		return nil
	}
	return s.classify(ctx, resp, body, nil, op)
}

// newRequest builds the part's request: its bytes streamed from the file,
// Apple's headers exactly, never an Authorization.
func (s *sender) newRequest(ctx context.Context, p *part, op Operation, dog *httpx.Watchdog, over *atomic.Bool) (*http.Request, error) {
	partNumber, attempt := op.PartNumber, p.attempt // the body is read on the transport's goroutine
	newBody := func() io.ReadCloser {
		s.resetSent(p)
		return &countingBody{r: io.NewSectionReader(s.r, op.Offset, op.Length), onRead: func(n int) {
			dog.Kick()
			s.onBytes(p, partNumber, attempt, n)
		}, onEOF: func() {
			if !over.Load() { // not a transport goroutine outliving its attempt
				s.releaseSlot(p)
			}
		}, closed: over}
	}
	method := op.Method
	if method == "" {
		method = http.MethodPut
	}
	req, err := http.NewRequestWithContext(ctx, method, op.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Body = newBody()
	req.GetBody = func() (io.ReadCloser, error) { return newBody(), nil }
	req.ContentLength = op.Length
	req.Header = make(http.Header, len(op.Headers)+1)
	for _, h := range op.Headers {
		if strings.EqualFold(h.Name, "Authorization") {
			continue // never, whatever we are told: see the package comment
		}
		if strings.EqualFold(h.Name, "Content-Length") || strings.EqualFold(h.Name, "Host") {
			continue // set by the transport from ContentLength and the URL
		}
		req.Header.Add(h.Name, h.Value)
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // an empty value stops Go adding its own
	}
	return req, nil
}

// classify applies the project's retry policy (internal/retry) to a failed
// attempt; what it does not retry is an expired URL (to renew) or final.
func (s *sender) classify(ctx context.Context, resp *http.Response, body []byte, err error, op Operation) *attemptError {
	ae := &attemptError{class: classPermanent, err: redact(err)}
	if resp != nil {
		ae.status, ae.detail = resp.StatusCode, errorDetail(body)
	}
	v, _ := retry.Check(ctx, resp, body, err, s.opt.Now())
	switch {
	case v.Retry:
		ae.class, ae.throttled = classRetry, v.Throttled
		if v.HasRetryAfter && v.RetryAfter > 0 {
			ae.retryAfter = v.RetryAfter
		}
	case resp != nil && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized) &&
		(strings.Contains(strings.ToLower(string(body)), "expired") || s.pastExpiry(op)):
		ae.class = classExpired
	}
	return ae
}

func (s *sender) pastExpiry(op Operation) bool {
	return !op.Expiration.IsZero() && !s.opt.Now().Before(op.Expiration)
}

// redact removes the query string (the signature) from URLs in err.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	return err
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.User = nil
	return u.String()
}

var xmlTag = regexp.MustCompile(`<(Code|Message)>([^<]{1,200})</(?:Code|Message)>`)

// errorDetail keeps the storage host's error code and message (S3-style XML)
// and nothing else: bodies of some hosts echo the signed request.
func errorDetail(body []byte) string {
	var parts []string
	for _, m := range xmlTag.FindAllSubmatch(body, 2) {
		parts = append(parts, string(m[2]))
	}
	return strings.Join(parts, ": ")
}
