package transfer

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fault is what the storage server does to one request.
type fault int

const (
	faultNone      fault = iota
	fault500             // 500 after reading the body
	fault503             // 503 with Retry-After
	fault429             // 429 with Retry-After
	faultDrop            // read part of the body, then drop the connection
	faultTruncated       // store the part but cut the 200 answer short
	numFaults
)

// storage plays the presigned-URL storage host: it stores each part at its
// offset, checks signatures and expiry, and injects faults.
type storage struct {
	t    testing.TB
	srv  *httptest.Server
	size int64

	mu          sync.Mutex
	data        []byte
	rng         *rand.Rand
	failRate    float64     // fraction of requests given a random fault
	alwaysFail  map[int]int // part -> status always returned
	failOnce    map[int]int // part -> status returned to its first request only
	now         func() time.Time
	retryAfter  int // seconds, for 429/503
	faults      [numFaults]int
	requests    int
	authSeen    int
	badHeaders  []string
	expiredSeen int
	stored      map[int]int // part -> times stored
	block       chan struct{}
	started     chan int
}

func newStorage(t testing.TB, size int64) *storage {
	s := &storage{t: t, size: size, data: make([]byte, size), rng: rand.New(rand.NewPCG(1, 2)), alwaysFail: map[int]int{}, failOnce: map[int]int{}, stored: map[int]int{}, retryAfter: 2, now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// ops lays out parts of partSize bytes with URLs valid until exp.
func (s *storage) ops(partSize int64, exp time.Time) []Operation {
	var ops []Operation
	for off, n := int64(0), 1; off < s.size; off, n = off+partSize, n+1 {
		ops = append(ops, s.op(n, off, min(partSize, s.size-off), exp))
	}
	return ops
}

func (s *storage) op(n int, off, length int64, exp time.Time) Operation {
	var e int64
	if !exp.IsZero() {
		e = exp.Unix()
	}
	return Operation{
		Method: "PUT",
		URL:    fmt.Sprintf("%s/bucket/part%d?offset=%d&length=%d&exp=%d&X-Amz-Signature=SECRETSIG%d", s.srv.URL, n, off, length, e, n),
		Offset: off, Length: length, PartNumber: n, Expiration: exp,
		Headers: []Header{{"Content-Type", "application/octet-stream"}, {"x-amz-meta-part", strconv.Itoa(n)}, {"Authorization", "Bearer must-not-be-sent"}},
	}
}

func (s *storage) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	if r.Header.Get("Authorization") != "" {
		s.authSeen++
	}
	for k := range r.Header {
		switch k {
		case "Content-Type", "X-Amz-Meta-Part", "Content-Length":
		default:
			s.badHeaders = append(s.badHeaders, k)
		}
	}
	started, block := s.started, s.block
	q := r.URL.Query()
	n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bucket/part"))
	off, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
	length, _ := strconv.ParseInt(q.Get("length"), 10, 64)
	exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
	expired := exp != 0 && !s.now().Before(time.Unix(exp, 0))
	f := faultNone
	status := s.alwaysFail[n]
	if st, ok := s.failOnce[n]; ok {
		status = st
		delete(s.failOnce, n)
	}
	if !expired && status == 0 && s.rng.Float64() < s.failRate {
		f = fault(1 + s.rng.IntN(int(numFaults)-1))
		s.faults[f]++
	}
	if expired {
		s.expiredSeen++
	}
	s.mu.Unlock()

	if started != nil {
		started <- n
	}
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodPut || r.Header.Get("X-Amz-Meta-Part") != strconv.Itoa(n) || r.ContentLength != length {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if expired {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`)
		return
	}
	if status == 4001 {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `<Error><Code>RequestTimeout</Code><Message>Your socket connection to the server was not read from or written to within the timeout period.</Message></Error>`)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		code := "InternalError"
		if status < 500 {
			code = "InvalidArgument"
		}
		io.WriteString(w, `<Error><Code>`+code+`</Code><Message>Something went wrong.</Message><StringToSign>SECRETSIG</StringToSign></Error>`)
		return
	}
	switch f {
	case faultDrop:
		io.CopyN(io.Discard, r.Body, length/2)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case fault500:
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		return
	case fault503, fault429:
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
		if f == fault503 {
			w.WriteHeader(http.StatusServiceUnavailable)
		} else {
			w.WriteHeader(http.StatusTooManyRequests)
		}
		return
	}
	buf := make([]byte, length)
	if _, err := io.ReadFull(r.Body, buf); err != nil {
		return
	}
	s.mu.Lock()
	copy(s.data[off:], buf)
	s.stored[n]++
	s.mu.Unlock()
	if f == faultTruncated {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err == nil {
			fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
			rw.Flush()
			conn.Close()
		}
		return
	}
	w.Header().Set("ETag", fmt.Sprintf("%q", strconv.Itoa(n)))
	w.WriteHeader(http.StatusOK)
}

func (s *storage) sum() [32]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sha256.Sum256(s.data)
}

// firstAnswer is a storage host that reads each part and answers the first
// request with answer, every later one with 200 OK.
func firstAnswer(answer func(w http.ResponseWriter)) *httptest.Server {
	var calls atomic.Int32
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			answer(w)
		}
	}))
}

// answerServer reads each part's body whole, then holds the answer until
// hold returns; it counts the parts awaiting their answer.
type answerServer struct {
	mu       sync.Mutex
	awaiting int
	maxAwait int
	received map[int]chan struct{}
}

func newAnswerServer(t *testing.T, parts int, hold func(as *answerServer, part int)) (*answerServer, *httptest.Server) {
	as := &answerServer{received: map[int]chan struct{}{}}
	for i := 1; i <= parts; i++ {
		as.received[i] = make(chan struct{})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p"))
		io.Copy(io.Discard, r.Body)
		as.mu.Lock()
		as.awaiting++
		as.maxAwait = max(as.maxAwait, as.awaiting)
		as.mu.Unlock()
		close(as.received[n])
		hold(as, n)
		as.mu.Lock()
		as.awaiting--
		as.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return as, srv
}

// testFile writes size seeded random bytes and returns the open file and its digest.
func testFile(t testing.TB, size int64) (*os.File, [32]byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "build.ipa")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriter(io.MultiWriter(f, h))
	if _, err := io.CopyN(w, rand.NewChaCha8([32]byte{7}), size); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return f, sum
}

// benchOps lays out parts of part bytes of a size-byte file at url/p1, url/p2, …
func benchOps(url string, size, part int64) []Operation {
	var ops []Operation
	for off, n := int64(0), 1; off < size; off, n = off+part, n+1 {
		ops = append(ops, Operation{Method: "PUT", URL: fmt.Sprintf("%s/p%d", url, n), Offset: off, Length: min(part, size-off), PartNumber: n,
			Headers: []Header{{"Content-Type", "application/octet-stream"}}})
	}
	return ops
}
