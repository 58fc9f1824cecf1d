package transfer

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/retry"
	"github.com/asc-action/asc-action/internal/testclock"
)

func TestSendReassembles(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size, part  int64
		parallelism int
	}{
		{"one part", 100_000, 1 << 20, 0},
		{"one byte", 1, 1 << 20, 4},
		{"uneven last part", 1_000_003, 100_000, 3},
		{"hundreds of parts", 3 << 20, 10_000, 8},
		{"serial", 500_000, 50_000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, want := testFile(t, tc.size)
			st := newStorage(t, tc.size)
			ops := st.ops(tc.part, time.Time{})
			// Apple does not promise an order; neither do we.
			rand.New(rand.NewPCG(3, 4)).Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
			res, err := Send(context.Background(), f, tc.size, ops, Options{Parallelism: tc.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Complete || res.Bytes != tc.size || res.PartsDone != len(ops) || res.Retries != 0 {
				t.Errorf("result = %+v", res)
			}
			if st.sum() != want {
				t.Error("the bytes the server reassembled differ from the file")
			}
			if st.authSeen != 0 {
				t.Errorf("%d requests carried an Authorization header", st.authSeen)
			}
			if len(st.badHeaders) != 0 {
				t.Errorf("headers beyond Apple's were sent: %v", st.badHeaders)
			}
		})
	}
}

func TestSendUnderFaults(t *testing.T) {
	const size = 2<<20 + 123
	f, want := testFile(t, size)
	st := newStorage(t, size)
	st.failRate = 0.2
	clock := testclock.New(testclock.Start)
	st.now = clock.Now
	var retrying atomic.Int64
	res, err := Send(context.Background(), f, size, st.ops(10_000, time.Time{}), Options{
		Parallelism: 8, MaxAttempts: 10, MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Second,
		Now: clock.Now, Sleep: clock.Sleep, Rand: rand.NewPCG(5, 6),
		OnEvent: func(e Event) {
			if e.Kind == PartRetrying {
				retrying.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || st.sum() != want {
		t.Fatalf("complete=%v digest match=%v", res.Complete, st.sum() == want)
	}
	for f := fault500; f < numFaults; f++ {
		if st.faults[f] == 0 {
			t.Errorf("fault %d was never injected; the test does not exercise it", f)
		}
	}
	injected := 0
	for _, n := range st.faults {
		injected += n
	}
	if res.Retries != injected || int(retrying.Load()) != injected {
		t.Errorf("retries = %d, retry events = %d, faults injected = %d", res.Retries, retrying.Load(), injected)
	}
	// Every 429/503 carried Retry-After: 2, which beats the backoff (at most 1s).
	honoured := 0
	for _, d := range clock.Sleeps() {
		if d == 2*time.Second {
			honoured++
		} else if d > time.Second || d < 0 {
			t.Errorf("backoff %v outside [0, MaxBackoff]", d)
		}
	}
	if honoured != st.faults[fault429]+st.faults[fault503] {
		t.Errorf("slept Retry-After %d times, want %d", honoured, st.faults[fault429]+st.faults[fault503])
	}
	if st.authSeen != 0 {
		t.Errorf("Authorization sent %d times", st.authSeen)
	}
	if res.WireBytes <= res.Bytes {
		t.Errorf("wire bytes %d should exceed file bytes %d after retries", res.WireBytes, res.Bytes)
	}
}

func TestSendRefreshesExpiredURLs(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		name string
		// known: operations carry their Expiration (refreshed before use);
		// otherwise only the server knows and answers 403 "Request has expired".
		known bool
	}{
		{"expiration known", true},
		{"server says expired", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, want := testFile(t, size)
			st := newStorage(t, size)
			clock := testclock.New(testclock.Start)
			st.now = clock.Now
			ops := st.ops(50_000, clock.Now().Add(10*time.Minute))
			if !tc.known {
				for i := range ops {
					ops[i].Expiration = time.Time{}
				}
			}
			clock.Advance(time.Hour) // the job was slow to start: every URL is stale
			var calls atomic.Int32
			var asked atomic.Int32
			refresh := func(ctx context.Context, expired []Operation) ([]Operation, error) {
				calls.Add(1)
				asked.Add(int32(len(expired)))
				var out []Operation
				for _, op := range expired {
					out = append(out, st.op(op.PartNumber, op.Offset, op.Length, clock.Now().Add(10*time.Minute)))
				}
				return out, nil
			}
			res, err := Send(context.Background(), f, size, ops, Options{Parallelism: 4, Now: clock.Now, Sleep: clock.Sleep, Refresh: refresh})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Complete || st.sum() != want {
				t.Fatal("upload incomplete or bytes differ")
			}
			if tc.known {
				if st.expiredSeen != 0 {
					t.Errorf("%d requests went to expired URLs; they should have been refreshed first", st.expiredSeen)
				}
				if calls.Load() != 1 || asked.Load() != int32(len(ops)) {
					t.Errorf("refresh called %d times for %d operations; want 1 call for all %d", calls.Load(), asked.Load(), len(ops))
				}
			} else if st.expiredSeen == 0 || calls.Load() == 0 {
				t.Errorf("expired answers %d, refreshes %d: want both", st.expiredSeen, calls.Load())
			}
			if res.Refreshes != int(calls.Load()) {
				t.Errorf("result refreshes = %d, calls = %d", res.Refreshes, calls.Load())
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	const size = 500_000
	for _, tc := range []struct {
		name         string
		status       int
		refresh      bool
		wantErr      error
		wantAttempts int
	}{
		{"always 500", http.StatusInternalServerError, false, ErrAttemptsExhausted, 4},
		{"refused 400", http.StatusBadRequest, false, ErrRejected, 1},
		{"refused 404", http.StatusNotFound, false, ErrRejected, 1},
		{"400 RequestTimeout is retried", 4001, false, ErrAttemptsExhausted, 4},
		{"expired without refresh", -1, false, ErrExpired, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := testFile(t, size)
			st := newStorage(t, size)
			clock := testclock.New(testclock.Start)
			st.now = clock.Now
			exp := time.Time{}
			if tc.status == -1 {
				exp = clock.Now().Add(-time.Minute)
			} else {
				st.alwaysFail[3] = tc.status
			}
			ops := st.ops(50_000, time.Time{})
			if !exp.IsZero() {
				ops[2] = st.op(3, ops[2].Offset, ops[2].Length, exp)
				ops[2].Expiration = time.Time{} // only the server knows
			}
			res, err := Send(context.Background(), f, size, ops, Options{Parallelism: 2, MaxAttempts: 4, MinBackoff: time.Millisecond, Now: clock.Now, Sleep: clock.Sleep})
			var pe *PartError
			if !errors.As(err, &pe) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want a *PartError %v", err, tc.wantErr)
			}
			if pe.PartNumber != 3 || pe.Attempts != tc.wantAttempts || pe.Offset != 100_000 {
				t.Errorf("part error = %+v", pe)
			}
			msg := err.Error()
			if !strings.Contains(msg, "part 3 of 10") || strings.Contains(msg, "SECRETSIG") || strings.Contains(msg, "X-Amz-Signature") {
				t.Errorf("message %q should name part 3 and never the signature", msg)
			}
			if res.Complete {
				t.Error("result says complete though a part failed")
			}
			st.mu.Lock()
			stored3 := st.stored[3]
			st.mu.Unlock()
			if stored3 != 0 {
				t.Error("part 3 stored?")
			}
		})
	}

	t.Run("network error message hides the signature", func(t *testing.T) {
		f, _ := testFile(t, 10)
		st := newStorage(t, 10)
		ops := st.ops(10, time.Time{})
		st.srv.Close() // connection refused
		clock := testclock.New(testclock.Start)
		_, err := Send(context.Background(), f, 10, ops, Options{MaxAttempts: 2, Now: clock.Now, Sleep: clock.Sleep})
		if !errors.Is(err, ErrAttemptsExhausted) || strings.Contains(err.Error(), "SECRETSIG") || !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSendCancel(t *testing.T) {
	const size = 1 << 20
	f, _ := testFile(t, size)
	st := newStorage(t, size)
	st.block = make(chan struct{})
	st.started = make(chan int, 100)
	defer close(st.block)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = Send(ctx, f, size, st.ops(100_000, time.Time{}), Options{Parallelism: 4})
		done <- err
	}()
	<-st.started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || res.Complete {
			t.Errorf("err = %v, complete = %v", err, res.Complete)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send did not return after its context was cancelled")
	}
}

func TestSendPlanErrors(t *testing.T) {
	op := func(n int, off, l int64) Operation {
		return Operation{URL: "http://x/", PartNumber: n, Offset: off, Length: l}
	}
	for _, tc := range []struct {
		name string
		size int64
		ops  []Operation
		want string
	}{
		{"none", 10, nil, "no upload operations"},
		{"gap", 10, []Operation{op(1, 0, 4), op(2, 5, 5)}, "starts at byte 5, expected 4"},
		{"overlap", 10, []Operation{op(1, 0, 6), op(2, 5, 5)}, "expected 6"},
		{"short", 11, []Operation{op(1, 0, 10)}, "cover 10 bytes but the file has 11"},
		{"empty part", 10, []Operation{op(1, 0, 10), op(2, 10, 0)}, "length 0"},
		{"duplicate number", 10, []Operation{op(1, 0, 5), op(1, 5, 5)}, "appears twice"},
		{"no url", 10, []Operation{{PartNumber: 1, Length: 10}}, "no URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Send(context.Background(), strings.NewReader(""), tc.size, tc.ops, Options{})
			if !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), tc.want) || res.Complete {
				t.Errorf("err = %v, want ErrPlan containing %q", err, tc.want)
			}
		})
	}
}

func TestProgressEvents(t *testing.T) {
	const size = 1 << 20
	f, _ := testFile(t, size)
	st := newStorage(t, size)
	st.failRate = 0.1
	var (
		mu      sync.Mutex
		events  []Event
		inside  atomic.Bool
		overlap atomic.Bool
	)
	_, err := Send(context.Background(), f, size, st.ops(30_000, time.Time{}), Options{
		Parallelism: 6, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: time.Millisecond, ProgressInterval: time.Nanosecond,
		OnEvent: func(e Event) {
			if inside.Swap(true) {
				overlap.Store(true)
			}
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			inside.Store(false)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if overlap.Load() {
		t.Error("OnEvent calls overlapped")
	}
	kinds := map[EventKind]int{}
	lastDone := 0
	for _, e := range events {
		kinds[e.Kind]++
		if e.BytesSent > e.BytesTotal || e.BytesSent < e.BytesDone || e.BytesTotal != size || e.PartsTotal != 35 {
			t.Fatalf("bad totals in %+v", e)
		}
		if e.PartsDone < lastDone {
			t.Fatalf("parts done went back: %d after %d", e.PartsDone, lastDone)
		}
		lastDone = e.PartsDone
	}
	if kinds[PartDone] != 35 || kinds[PartStarted] != 35+kinds[PartRetrying] || kinds[BytesSent] == 0 {
		t.Errorf("event counts %v", kinds)
	}
	if last := events[len(events)-1]; last.BytesDone != size || last.PartsDone != 35 {
		t.Errorf("last event %+v", last)
	}
}

// TestRetryAfterIsHonoured: the storage host's Retry-After (read by
// internal/retry, whose tests hold the parser's cases) sets the pause; a
// negative or past one leaves the jittered backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	const size = 100
	f, _ := testFile(t, size)
	for _, tc := range []struct {
		hdr    string
		lo, hi time.Duration
	}{
		{"3", 3 * time.Second, 3 * time.Second},
		{"Wed, 25 Nov 2026 20:00:30 GMT", 30 * time.Second, 30 * time.Second},
		{"99999999999999", DefaultMaxRetryAfter, DefaultMaxRetryAfter},
		{"-1", 0, DefaultMinBackoff},
		{"Wed, 25 Nov 2026 19:00:00 GMT", 0, DefaultMinBackoff},
		{"soon", 0, DefaultMinBackoff},
	} {
		srv := firstAnswer(func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", tc.hdr)
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		var waits []time.Duration
		now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
		res, err := Send(context.Background(), f, size, benchOps(srv.URL, size, size), Options{
			Now:   func() time.Time { return now },
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
		srv.Close()
		if err != nil || !res.Complete || len(waits) != 1 || waits[0] < tc.lo || waits[0] > tc.hi {
			t.Errorf("Retry-After %q: waits %v, err %v; want one in [%v, %v]", tc.hdr, waits, err, tc.lo, tc.hi)
		}
	}
}

func TestBackoffFreesTheSlot(t *testing.T) {
	const size = 200
	f, want := testFile(t, size)
	st := newStorage(t, size)
	st.failOnce[1] = http.StatusServiceUnavailable
	part2 := make(chan struct{})
	sleep := func(ctx context.Context, d time.Duration) error {
		select {
		case <-part2:
		case <-time.After(5 * time.Second):
			t.Error("part 2 was not sent while part 1 waited out its backoff")
		}
		return nil
	}
	res, err := Send(context.Background(), f, size, st.ops(100, time.Time{}), Options{Parallelism: 1, Sleep: sleep,
		OnEvent: func(e Event) {
			if e.Kind == PartDone && e.PartNumber == 2 {
				close(part2)
			}
		}})
	if err != nil || !res.Complete || st.sum() != want || res.Retries != 1 {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

func TestStalledConnectionIsRetried(t *testing.T) {
	const size = 100_000
	f, want := testFile(t, size)
	st := newStorage(t, size)
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	var first atomic.Bool
	// The first request reads a little and then neither reads nor answers.
	inner := st.srv.Config.Handler
	st.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !first.Swap(true) {
			r.Body.Read(make([]byte, 1000))
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		inner.ServeHTTP(w, r)
	})
	clock := testclock.New(testclock.Start)
	res, err := Send(context.Background(), f, size, st.ops(size, time.Time{}), Options{StallTimeout: 100 * time.Millisecond, Now: clock.Now, Sleep: clock.Sleep,
		OnEvent: func(e Event) {
			if e.Kind == PartRetrying && !errors.Is(e.Err, errStalled) {
				t.Errorf("retry cause %v, want a stall", e.Err)
			}
		}})
	if err != nil || !res.Complete || res.Retries != 1 || st.sum() != want {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

// FuzzErrorDetail: whatever a storage host answers, the detail kept is
// short and holds no signed query.
func FuzzErrorDetail(f *testing.F) {
	f.Add([]byte(`<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`))
	f.Add([]byte(`<Error><StringToSign>AWS4-HMAC-SHA256 SIG</StringToSign></Error>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := errorDetail(body)
		if len(d) > 2*200+2 {
			t.Fatalf("detail of %d bytes", len(d))
		}
	})
}

func TestAwaitingTheAnswerFreesTheSlot(t *testing.T) {
	const size = 200
	f, _ := testFile(t, size)
	// Part 1 is answered only once part 2's bytes have arrived: with one
	// slot, that happens only if part 1 gave its slot up after its last byte.
	as, srv := newAnswerServer(t, 2, func(as *answerServer, part int) {
		if part != 1 {
			return
		}
		select {
		case <-as.received[2]:
		case <-time.After(5 * time.Second):
			t.Error("part 2 was not sent while part 1 awaited its answer")
		}
	})
	res, err := Send(context.Background(), f, size, benchOps(srv.URL, size, 100), Options{Parallelism: 1})
	if err != nil || !res.Complete {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	if as.maxAwait != 2 {
		t.Errorf("at most %d parts awaited their answer at once, want 2", as.maxAwait)
	}
}

func TestOpenPartsAreBounded(t *testing.T) {
	const size, parallelism = 800, 2
	f, _ := testFile(t, size)
	// No answer until 2*parallelism parts await theirs, and a moment more:
	// a fifth part would arrive in that moment if nothing bounded them.
	release := make(chan struct{})
	var once sync.Once
	as, srv := newAnswerServer(t, 8, func(as *answerServer, part int) {
		as.mu.Lock()
		full := as.awaiting >= 2*parallelism
		as.mu.Unlock()
		if full {
			once.Do(func() { time.AfterFunc(300*time.Millisecond, func() { close(release) }) })
		}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
			t.Error("fewer than 2*parallelism parts were open at once")
		}
	})
	res, err := Send(context.Background(), f, size, benchOps(srv.URL, size, 100), Options{Parallelism: parallelism})
	if err != nil || !res.Complete {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	if as.maxAwait != 2*parallelism {
		t.Errorf("at most %d parts awaited their answer at once, want exactly %d", as.maxAwait, 2*parallelism)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	s := &sender{opt: Options{}.WithDefaults(), jitter: retry.NewJitter(rand.NewPCG(7, 8))}
	for _, tc := range []struct {
		name    string
		attempt int
		ae      *attemptError
		bound   time.Duration
	}{
		{"transient, first retry", 1, &attemptError{status: 503}, DefaultMinBackoff},
		{"transient, third retry", 3, &attemptError{}, 4 * DefaultMinBackoff},
		{"throttled, first retry", 1, &attemptError{status: 429, throttled: true}, DefaultThrottleBackoff},
		{"throttled, second retry", 2, &attemptError{status: 503, throttled: true}, 2 * DefaultThrottleBackoff},
		{"capped", 40, &attemptError{status: 500}, DefaultMaxBackoff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 4000
			var sum, lo, hi time.Duration
			lo = tc.bound
			for range n {
				d := s.backoff(tc.attempt, tc.ae)
				if d < 0 || d > tc.bound {
					t.Fatalf("backoff %v outside [0, %v]", d, tc.bound)
				}
				sum += d
				lo, hi = min(lo, d), max(hi, d)
			}
			// Full jitter: uniform over [0, bound], so the mean is half of it
			// and the draws reach both ends.
			if mean := sum / n; mean < tc.bound*45/100 || mean > tc.bound*55/100 {
				t.Errorf("mean %v, want about %v", mean, tc.bound/2)
			}
			if lo > tc.bound/20 || hi < tc.bound*95/100 {
				t.Errorf("draws span [%v, %v] of [0, %v]", lo, hi, tc.bound)
			}
		})
	}
	if d := s.backoff(1, &attemptError{retryAfter: 7 * time.Second, throttled: true}); d != 7*time.Second {
		t.Errorf("Retry-After 7s gave %v", d)
	}
	if d := s.backoff(1, &attemptError{retryAfter: time.Hour}); d != DefaultMaxRetryAfter {
		t.Errorf("Retry-After 1h gave %v, want the cap %v", d, DefaultMaxRetryAfter)
	}
}

func TestSlowDownIsThrottling(t *testing.T) {
	const size = 100
	f, _ := testFile(t, size)
	for _, tc := range []struct {
		status    int
		body      string
		throttled bool
	}{
		{http.StatusServiceUnavailable, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`, true},
		{http.StatusTooManyRequests, ``, true},
		{http.StatusServiceUnavailable, `<Error><Code>ServiceUnavailable</Code></Error>`, false},
		{http.StatusInternalServerError, `<Error><Code>InternalError</Code></Error>`, false},
	} {
		srv := firstAnswer(func(w http.ResponseWriter) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		var got *attemptError
		res, err := Send(context.Background(), f, size, benchOps(srv.URL, size, size), Options{
			Sleep: func(context.Context, time.Duration) error { return nil },
			OnEvent: func(e Event) {
				if e.Kind == PartRetrying {
					errors.As(e.Err, &got)
				}
			}})
		srv.Close()
		if err != nil || !res.Complete {
			t.Fatalf("%d %s: res = %+v, err = %v", tc.status, tc.body, res, err)
		}
		if got == nil || got.throttled != tc.throttled {
			t.Errorf("%d %s: retry error %+v, want throttled=%v", tc.status, tc.body, got, tc.throttled)
		}
	}
}
