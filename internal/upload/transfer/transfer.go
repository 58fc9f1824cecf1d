// Package transfer sends a file's bytes to the presigned part URLs App Store
// Connect hands out for a build upload (`uploadOperations`): streamed from disk,
// in parallel, each part retried with backoff, expired URLs re-obtained, with
// progress events for the caller to render.
//
// It never adds an Authorization header: the part URLs carry their own
// signature, and sending the App Store Connect token to a storage host would
// leak it.
package transfer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
	"github.com/asc-action/asc-action/internal/retry"
)

// Header is one request header Apple requires on a part request.
type Header struct {
	Name  string
	Value string
}

// Operation is one part of the file to send: Apple's `uploadOperations[]` item.
type Operation struct {
	Method     string    // usually PUT
	URL        string    // presigned; treat as a secret (it authorizes the write)
	Offset     int64     // first byte of the part in the file
	Length     int64     // bytes in the part
	Headers    []Header  // sent exactly, and nothing else but Content-Length and Host
	Expiration time.Time // when URL stops working; zero if Apple gave none
	PartNumber int       // Apple's 1-based part number
}

// RefreshFunc re-obtains operations whose URLs expired. It receives the
// expired (or soon expiring) operations and returns fresh ones for at least
// those parts, matched by PartNumber (or by Offset when PartNumber is zero);
// extra operations are ignored.
type RefreshFunc func(ctx context.Context, expired []Operation) ([]Operation, error)

// DefaultParallelism is how many parts send their bytes at once by default.
// Each is one HTTP/1.1 connection with 4 KiB buffers, so memory barely
// depends on it. One TCP stream to a distant storage host rarely fills a CI
// runner's uplink (window limits, loss recovery), so parts go in parallel;
// and a part that has sent its last byte gives its slot to the next while it
// awaits the host's answer, so the round trip between two parts does not
// idle the link (at most 2*Parallelism parts are open). 32 rather than 16:
// with a 20 ms round trip injected on loopback, a bare parallel PUT of 4 GiB
// took 1.20 to 1.49 times its clean time at 16 streams and 1.15 to 1.36 at 32
// (BENCHMARKS.md). The `parallelism` input overrides it (1 to 64).
const DefaultParallelism = 32

// Defaults for Options' zero values.
const (
	DefaultMaxAttempts = 10
	// DefaultMinBackoff bounds the first retry's pause after a transient
	// failure (a 5xx, a dropped connection): the pause is drawn between zero
	// and the bound ("full jitter", as the AWS SDKs do), and the bound
	// doubles with each attempt. Short, because a failed part at the end of
	// an upload holds up the commit while every other part is done.
	DefaultMinBackoff = 100 * time.Millisecond
	// DefaultThrottleBackoff bounds the first pause after the host asked to
	// slow down (429, or an S3-style SlowDown) without saying for how long.
	DefaultThrottleBackoff  = time.Second
	DefaultMaxBackoff       = 30 * time.Second
	DefaultMaxRetryAfter    = 5 * time.Minute
	DefaultExpiryMargin     = 30 * time.Second
	DefaultProgressInterval = 250 * time.Millisecond
	DefaultStallTimeout     = httpx.PartStallTimeout
)

// MaxParts is the most operations a plan may hold: S3-style multipart
// uploads allow 10,000 parts, and App Store Connect's parts are megabytes
// each, so a plan with more is not Apple's.
const MaxParts = 10_000

// Options tune Send. The zero value works: every field has a default.
type Options struct {
	// Parallelism is the number of parts sent at once (DefaultParallelism).
	Parallelism int
	// MaxAttempts is how many times one part is tried before the transfer fails.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff between attempts
	// of a part (with full jitter: a wait is between zero and the bound).
	MinBackoff, MaxBackoff time.Duration
	// ThrottleBackoff replaces MinBackoff when the host asked to slow down
	// without a Retry-After (DefaultThrottleBackoff).
	ThrottleBackoff time.Duration
	// MaxRetryAfter caps a server's Retry-After, which is otherwise honoured.
	MaxRetryAfter time.Duration
	// ExpiryMargin: a URL whose Expiration is closer than this is refreshed
	// before it is used.
	ExpiryMargin time.Duration
	// StallTimeout abandons (and retries) an attempt whose connection moved
	// no byte for this long, sending or awaiting the answer. Real time, not
	// the injected clock: it guards the network.
	StallTimeout time.Duration
	// Client sends the parts. It must not add credentials. Default: NewHTTPClient.
	Client *http.Client
	// Refresh re-obtains expired URLs. Without it an expired part fails the transfer.
	Refresh RefreshFunc
	// OnEvent receives progress events. Calls never overlap; keep it quick.
	OnEvent func(Event)
	// ProgressInterval is the least time between two BytesSent events.
	ProgressInterval time.Duration
	// Now and Sleep are the clock; Sleep must return early with ctx.Err() when
	// ctx is done. Defaults: time.Now and a timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand is the source of the backoff jitter (default: randomly seeded).
	Rand rand.Source
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	PartStarted   EventKind = iota + 1 // an attempt of a part begins
	BytesSent                          // bytes flowed (at most every ProgressInterval)
	PartRetrying                       // an attempt failed; Err says why, Wait how long until the next
	URLsRefreshed                      // expired URLs were re-obtained (Parts says how many)
	PartDone                           // a part was acknowledged
)

// String names the kind as log lines and JSON show it.
func (k EventKind) String() string {
	switch k {
	case PartStarted:
		return "part-started"
	case BytesSent:
		return "bytes-sent"
	case PartRetrying:
		return "part-retrying"
	case URLsRefreshed:
		return "urls-refreshed"
	case PartDone:
		return "part-done"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one progress report, with running totals suitable for a progress
// bar (BytesSent/BytesTotal) and for periodic log lines.
type Event struct {
	Kind       EventKind
	PartNumber int           // the part concerned (0 for URLsRefreshed)
	Attempt    int           // the part's attempt number (1-based)
	Err        error         // PartRetrying: the failure being retried
	Wait       time.Duration // PartRetrying: delay before the next attempt
	Parts      int           // URLsRefreshed: operations refreshed

	BytesDone  int64 // bytes of acknowledged parts
	BytesSent  int64 // bytes written so far for acknowledged and in-flight parts (drops back when an attempt fails)
	BytesTotal int64 // file size
	PartsDone  int
	PartsTotal int
	Retries    int // failed attempts so far, all parts
	Elapsed    time.Duration
}

// Result summarizes a transfer. Complete is true only when every part was
// acknowledged; only then may the caller commit the upload.
type Result struct {
	Complete   bool
	Bytes      int64 // bytes acknowledged
	WireBytes  int64 // bytes written including failed attempts
	Parts      int
	PartsDone  int
	Retries    int
	Refreshes  int // calls to Refresh
	Elapsed    time.Duration
	Throughput float64 // acknowledged bytes per second
}

// NewHTTPClient returns the client Send uses by default: HTTP/1.1 (one
// connection per open part, so parallel parts are parallel TCP streams), idle
// connections kept for reuse (up to the 2*parallelism parts that can be open),
// no transparent compression (the headers sent are exactly Apple's), and no
// overall timeout (a big part on a slow link may take minutes) but a bound on
// the wait for response headers.
//
// The connections keep net/http's 4 KiB buffers: past the first buffer, a
// request body goes to the socket through the connection's ReadFrom, not
// through the buffer, so a larger one only costs memory (it was 256 KiB
// until the measurements in BENCHMARKS.md showed no gain from it).
func NewHTTPClient(parallelism int) *http.Client {
	positiveOr(&parallelism, DefaultParallelism)
	t := httpx.NewTransport(httpx.PartHeaderTimeout)
	t.ForceAttemptHTTP2 = false
	t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	t.MaxIdleConns = parallelism * 2
	t.MaxIdleConnsPerHost = parallelism * 2
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// part is the mutable state of one operation.
type part struct {
	op      Operation   // guarded by sender.mu
	gen     int         // guarded by sender.mu; bumped by each refresh
	fresh   bool        // guarded by sender.mu; op came from Refresh and was not yet tried
	done    bool        // guarded by sender.mu
	attempt int         // owned by the goroutine sending it
	slot    atomic.Bool // holds one of the Parallelism sending slots
	sent    atomic.Int64
}

type sender struct {
	opt    Options
	jitter *retry.Jitter // from opt.Rand, safe for the parts' goroutines
	r      io.ReaderAt
	size   int64
	parts  []*part
	start  time.Time

	mu        sync.Mutex
	partsDone int
	bytesDone int64
	retries   int
	refreshes int

	wire     atomic.Int64 // all bytes written, including failed attempts
	inflight atomic.Int64 // bytes written for acknowledged + in-flight attempts
	lastProg atomic.Int64 // unix nanos of the last BytesSent event

	refreshMu sync.Mutex
	emitMu    sync.Mutex
	finished  bool          // guarded by emitMu
	slots     chan struct{} // one per part sending its bytes
	open      chan struct{} // one per part started and not yet over (sending, awaiting its answer or backing off)
}

// Send sends every operation's bytes from r (a file of size bytes) and returns
// when all parts are acknowledged, one part fails for good, or ctx is done.
// The error, if any, is a *PartError, a *PlanError or ctx's error; the Result
// is always non-nil and says how far it got.
func Send(ctx context.Context, r io.ReaderAt, size int64, ops []Operation, opt Options) (*Result, error) {
	opt = opt.WithDefaults()
	s := &sender{opt: opt, jitter: retry.NewJitter(opt.Rand), r: r, size: size, start: opt.Now()}
	res := &Result{Parts: len(ops)}
	if err := CheckPlan(size, ops); err != nil {
		return res, err
	}
	for _, op := range ops {
		s.parts = append(s.parts, &part{op: op})
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	// A part holds one of Parallelism slots while it sends its bytes. It
	// gives the slot up once its last byte is written, while it awaits the
	// storage host's answer (a round trip plus the host's own time), and
	// while it waits out a backoff: either way another part sends instead,
	// so a connection's idle time is not the upload's. At most
	// 2*Parallelism parts are open at once (connections, buffers and
	// goroutines stay bounded however slowly the host answers).
	s.slots = make(chan struct{}, opt.Parallelism)
	s.open = make(chan struct{}, 2*opt.Parallelism)
feed:
	for _, p := range s.parts {
		select {
		case s.open <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
		if err := s.takeSlot(ctx, p); err != nil {
			<-s.open
			break feed
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.releaseSlot(p)
				<-s.open
			}()
			if err := s.sendPart(ctx, p); err != nil {
				errOnce.Do(func() { firstErr = err; cancel() })
			}
		}()
	}
	wg.Wait()
	s.emitMu.Lock()
	s.finished = true // no event after Send returns
	s.emitMu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	res.PartsDone = s.partsDone
	res.Bytes = s.bytesDone
	res.WireBytes = s.wire.Load()
	res.Retries = s.retries
	res.Refreshes = s.refreshes
	res.Elapsed = opt.Now().Sub(s.start)
	if res.Elapsed > 0 {
		res.Throughput = float64(res.Bytes) / res.Elapsed.Seconds()
	}
	res.Complete = s.partsDone == len(s.parts)
	if firstErr == nil && !res.Complete {
		firstErr = context.Cause(ctx)
		if firstErr == nil {
			firstErr = errors.New("transfer: stopped before every part was sent")
		}
	}
	if res.Complete {
		firstErr = nil
	}
	return res, firstErr
}

// WithDefaults returns o with each zero or negative setting replaced by its
// default and each nil hook by the real one: the options Send works with.
func (o Options) WithDefaults() Options {
	positiveOr(&o.Parallelism, DefaultParallelism)
	positiveOr(&o.MaxAttempts, DefaultMaxAttempts)
	positiveOr(&o.MinBackoff, DefaultMinBackoff)
	positiveOr(&o.ThrottleBackoff, DefaultThrottleBackoff)
	positiveOr(&o.MaxBackoff, DefaultMaxBackoff)
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	positiveOr(&o.MaxRetryAfter, DefaultMaxRetryAfter)
	positiveOr(&o.ExpiryMargin, DefaultExpiryMargin)
	positiveOr(&o.ProgressInterval, DefaultProgressInterval)
	positiveOr(&o.StallTimeout, DefaultStallTimeout)
	if o.Client == nil {
		o.Client = NewHTTPClient(o.Parallelism)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	return o
}

// positiveOr gives *v the default def when it is zero or negative.
func positiveOr[T ~int | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// CheckPlan verifies the operations tile [0, size) exactly, so a wrong file
// size or a malformed or hostile answer (more parts than MaxParts or than the
// file has bytes, ranges outside the file, overlapping or empty) is caught
// before anything is sent.
func CheckPlan(size int64, ops []Operation) error {
	if len(ops) == 0 {
		return &PlanError{Detail: "App Store Connect returned no upload operations"}
	}
	if len(ops) > MaxParts || int64(len(ops)) > max(size, 1) {
		return &PlanError{Detail: fmt.Sprintf("%d parts for a file of %d bytes (limit transfer.MaxParts, %d parts, and at most one per byte)", len(ops), size, MaxParts)}
	}
	sorted := make([]Operation, len(ops))
	copy(sorted, ops)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	var next int64
	seen := map[int]bool{}
	for _, op := range sorted {
		switch {
		case op.URL == "":
			return &PlanError{Detail: fmt.Sprintf("part %d has no URL", op.PartNumber)}
		case op.Length <= 0 || op.Offset < 0 || op.Length > size-op.Offset:
			return &PlanError{Detail: fmt.Sprintf("part %d has offset %d and length %d, outside the file's %d bytes", op.PartNumber, op.Offset, op.Length, size)}
		case op.Offset != next:
			return &PlanError{Detail: fmt.Sprintf("part %d starts at byte %d, expected %d (parts overlap or leave a gap)", op.PartNumber, op.Offset, next)}
		case op.PartNumber != 0 && seen[op.PartNumber]:
			return &PlanError{Detail: fmt.Sprintf("part number %d appears twice", op.PartNumber)}
		}
		seen[op.PartNumber] = true
		next = op.Offset + op.Length
	}
	if next != size {
		return &PlanError{Detail: fmt.Sprintf("the parts cover %d bytes but the file has %d (was the file changed after the upload was reserved?)", next, size)}
	}
	return nil
}

// snapshot fills an event's totals. Caller holds s.mu.
func (s *sender) snapshotLocked(e *Event) {
	e.BytesDone = s.bytesDone
	e.BytesTotal = s.size
	e.PartsDone = s.partsDone
	e.PartsTotal = len(s.parts)
	e.Retries = s.retries
	sent := s.inflight.Load()
	e.BytesSent = max(min(sent, s.size), s.bytesDone)
}

func (s *sender) emit(e Event) {
	if s.opt.OnEvent == nil {
		return
	}
	// Snapshot under emitMu so events are delivered in the order of their totals.
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if s.finished {
		return // a transport goroutine outliving its attempt: Send has returned
	}
	s.mu.Lock()
	s.snapshotLocked(&e)
	s.mu.Unlock()
	e.Elapsed = s.opt.Now().Sub(s.start)
	s.opt.OnEvent(e)
}

// onBytes is called as the HTTP client reads a part's body.
func (s *sender) onBytes(p *part, partNumber, attempt, n int) {
	s.wire.Add(int64(n))
	s.inflight.Add(int64(n))
	p.sent.Add(int64(n))
	if s.opt.OnEvent == nil {
		return
	}
	now := s.opt.Now().UnixNano()
	last := s.lastProg.Load()
	if now-last < int64(s.opt.ProgressInterval) || !s.lastProg.CompareAndSwap(last, now) {
		return
	}
	s.emit(Event{Kind: BytesSent, PartNumber: partNumber, Attempt: attempt})
}

// resetSent forgets the bytes of a failed attempt.
func (s *sender) resetSent(p *part) {
	s.inflight.Add(-p.sent.Swap(0))
}

func (s *sender) current(p *part) (Operation, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.op, p.gen, p.fresh
}

// sendPart tries one part until it is acknowledged or fails for good.
func (s *sender) sendPart(ctx context.Context, p *part) error {
	var last *attemptError
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		op, gen, fresh := s.current(p)
		if !fresh && s.expiresSoon(op) {
			if err := s.refresh(ctx, p, gen); err != nil {
				return err
			}
			continue
		}
		s.mu.Lock()
		p.fresh = false
		s.mu.Unlock()
		if p.attempt >= s.opt.MaxAttempts {
			return s.partError(p, op, ErrAttemptsExhausted, last)
		}
		if err := s.takeSlot(ctx, p); err != nil {
			return err
		}
		p.attempt++
		s.emit(Event{Kind: PartStarted, PartNumber: op.PartNumber, Attempt: p.attempt})
		ae := s.attempt(ctx, p, op)
		if ae == nil {
			s.mu.Lock()
			p.done = true
			s.partsDone++
			s.bytesDone += op.Length
			s.mu.Unlock()
			s.emit(Event{Kind: PartDone, PartNumber: op.PartNumber, Attempt: p.attempt})
			return nil
		}
		s.resetSent(p)
		if err := ctx.Err(); err != nil {
			return err
		}
		last = ae
		s.mu.Lock()
		s.retries++
		s.mu.Unlock()
		switch ae.class {
		case classPermanent:
			return s.partError(p, op, ErrRejected, ae)
		case classExpired:
			s.emit(Event{Kind: PartRetrying, PartNumber: op.PartNumber, Attempt: p.attempt, Err: ae})
			if p.attempt >= s.opt.MaxAttempts {
				return s.partError(p, op, ErrAttemptsExhausted, ae)
			}
			if err := s.refresh(ctx, p, gen); err != nil {
				return err
			}
		case classRetry:
			wait := s.backoff(p.attempt, ae)
			if p.attempt >= s.opt.MaxAttempts {
				wait = 0
			}
			s.emit(Event{Kind: PartRetrying, PartNumber: op.PartNumber, Attempt: p.attempt, Err: ae, Wait: wait})
			if p.attempt >= s.opt.MaxAttempts {
				return s.partError(p, op, ErrAttemptsExhausted, ae)
			}
			if err := s.backOff(ctx, p, wait); err != nil {
				return err
			}
		}
	}
}

// backOff gives up the part's slot while it sleeps; the next attempt takes
// one again.
func (s *sender) backOff(ctx context.Context, p *part, d time.Duration) error {
	s.releaseSlot(p)
	return s.opt.Sleep(ctx, d)
}

// takeSlot waits for a sending slot unless p holds one.
func (s *sender) takeSlot(ctx context.Context, p *part) error {
	if p.slot.Load() {
		return nil
	}
	select {
	case s.slots <- struct{}{}:
		p.slot.Store(true)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// releaseSlot gives p's slot back, once, from whichever goroutine sees first
// that p no longer needs it (the transport's, at the body's end, or p's own).
func (s *sender) releaseSlot(p *part) {
	if p.slot.CompareAndSwap(true, false) {
		<-s.slots
	}
}

func (s *sender) expiresSoon(op Operation) bool {
	return !op.Expiration.IsZero() && !s.opt.Now().Before(op.Expiration.Add(-s.opt.ExpiryMargin))
}

// refresh re-obtains p's URL (and those of other parts about to expire) unless
// another worker already did since p's generation gen.
func (s *sender) refresh(ctx context.Context, p *part, gen int) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	s.mu.Lock()
	if p.gen != gen {
		s.mu.Unlock()
		return nil
	}
	op := p.op
	var expired []Operation
	var which []*part
	for _, q := range s.parts {
		if q.done {
			continue
		}
		if q == p || (!q.fresh && s.expiresSoon(q.op)) {
			expired = append(expired, q.op)
			which = append(which, q)
		}
	}
	s.mu.Unlock()
	if s.opt.Refresh == nil {
		return s.partError(p, op, ErrExpired, nil)
	}
	fresh, err := s.opt.Refresh(ctx, expired)
	s.mu.Lock()
	s.refreshes++
	s.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.partError(p, op, ErrRefresh, err)
	}
	n := 0
	s.mu.Lock()
	for _, q := range which {
		for _, f := range fresh {
			if !sameSlot(q.op, f) {
				continue
			}
			if f.Offset != q.op.Offset || f.Length != q.op.Length {
				s.mu.Unlock()
				return s.partError(p, op, ErrRefresh, fmt.Errorf("the refreshed part %d covers bytes %d+%d, not %d+%d", f.PartNumber, f.Offset, f.Length, q.op.Offset, q.op.Length))
			}
			q.op = f
			q.gen++
			q.fresh = true
			n++
			break
		}
	}
	got := p.gen != gen
	s.mu.Unlock()
	if !got {
		return s.partError(p, op, ErrRefresh, errors.New("the refreshed operations do not include this part"))
	}
	s.emit(Event{Kind: URLsRefreshed, Parts: n})
	return nil
}

func sameSlot(a, b Operation) bool {
	if a.PartNumber != 0 || b.PartNumber != 0 {
		return a.PartNumber == b.PartNumber
	}
	return a.Offset == b.Offset
}

// backoff is the wait before the next attempt: the server's Retry-After when
// it gave one (capped), else exponential from MinBackoff (ThrottleBackoff when
// the host asked to slow down) with full jitter.
func (s *sender) backoff(attempt int, ae *attemptError) time.Duration {
	p := retry.Policy{Min: s.opt.MinBackoff, Max: s.opt.MaxBackoff, Throttle: s.opt.ThrottleBackoff, MaxRetryAfter: s.opt.MaxRetryAfter}
	v := retry.Verdict{Throttled: ae.throttled, RetryAfter: ae.retryAfter, HasRetryAfter: ae.retryAfter > 0}
	d, _ := p.Delay(attempt-1, v, s.jitter)
	return d
}

func (s *sender) partError(p *part, op Operation, kind error, cause error) *PartError {
	pe := &PartError{PartNumber: op.PartNumber, Parts: len(s.parts), Offset: op.Offset, Length: op.Length, Attempts: p.attempt, Err: kind}
	var ae *attemptError
	if errors.As(cause, &ae) {
		pe.StatusCode = ae.status
	}
	if cause != nil {
		pe.Cause = cause
	}
	return pe
}
