package emulator

import (
	"io"
	"net/http"
	"time"
)

// Defaults of the body deadlines of a started server (Start).
const (
	// DefaultBodyIdleTimeout is how long a request body may go without a
	// byte arriving before its connection is closed (a stalled client),
	// and the grace before DefaultMinBodyRate applies.
	DefaultBodyIdleTimeout = 10 * time.Second
	// DefaultMinBodyRate is the average rate, in bytes per second, a body
	// must keep after the grace (a client trickling bytes to hold its
	// connection). A part upload at any usable speed is far above it.
	DefaultMinBodyRate = 1 << 10
)

// bodyDeadlines bounds the reading of each request body and the writing of
// each answer of next on the connection itself (http.ResponseController),
// so that a client that stalls or trickles its body, or never reads its
// answers, loses its connection within seconds, while a large part upload
// at a normal speed takes as long as it needs: the read deadline moves with
// each read, to idle from now and to grace plus one second per minRate
// bytes from the first read, whichever comes first; the write deadline, at
// each write, to idle plus one second per minRate bytes written then.
// Connection deadlines are wall-clock time, not the emulator's clock.
func bodyDeadlines(next http.Handler, idle time.Duration, minRate int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// A fresh answer, no deadline left from the last one on this
		// connection (the server writes a 100 Continue itself).
		if rc.SetWriteDeadline(time.Time{}) != nil {
			next.ServeHTTP(w, r) // a writer without deadlines (not a started server)
			return
		}
		w = &deadlineWriter{ResponseWriter: w, rc: rc, idle: idle, minRate: minRate}
		if r.Body != nil && r.Body != http.NoBody {
			// Set now, before the handler runs: a handler that never
			// reads the body leaves the server to discard its rest after it.
			_ = rc.SetReadDeadline(time.Now().Add(idle))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, idle: idle, minRate: minRate}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineWriter moves the connection's write deadline before each write
// of an answer; the last one also bounds the flush after the handler.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(d.idle + time.Duration(float64(len(p))/float64(d.minRate)*float64(time.Second))))
	return d.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// deadlineBody moves the connection's read deadline before each read, and
// lifts it once the body has ended (the server then watches the idle
// connection under its own limits).
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
	start   time.Time
	n       int64
	done    bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	now := time.Now()
	if b.start.IsZero() {
		b.start = now
	}
	deadline := now.Add(b.idle)
	if b.minRate > 0 {
		// The average-rate bound: grace, then one second per minRate bytes.
		earned := b.start.Add(b.idle + time.Duration(float64(b.n)/float64(b.minRate)*float64(time.Second)))
		if earned.Before(deadline) {
			deadline = earned
		}
	}
	_ = b.rc.SetReadDeadline(deadline)
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil {
		b.done = true
		if err == io.EOF {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}
