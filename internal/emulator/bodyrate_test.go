package emulator

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// stalledBody opens a connection, sends a request's headers announcing a
// body of 100000 bytes and a few of them, then nothing more.
func stalledBody(t *testing.T, addr, request string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, request+"Content-Length: 100000\r\n\r\n{\"da"); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedWithin reports whether the server closes c within d (whatever it
// answers first).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	ne, ok := err.(net.Error)
	return !ok || !ne.Timeout()
}

func TestLimitStalledBodiesLoseTheirConnection(t *testing.T) {
	_, base, key := started(t, Config{MaxConnections: 4, BodyIdleTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(base, "http://")
	auth := "Authorization: Bearer " + key.token(t, time.Now()) + "\r\n"
	// Every slot held by a client that stalls its body: two whose body the
	// handler reads, one refused before its body is read (no token), one
	// part upload.
	conns := []net.Conn{
		stalledBody(t, addr, "POST /v1/betaGroups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+auth),
		stalledBody(t, addr, "POST /v1/buildUploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+auth),
		stalledBody(t, addr, "POST /v1/betaGroups HTTP/1.1\r\nHost: x\r\n"),
		stalledBody(t, addr, "PUT "+partPrefix+"x/1 HTTP/1.1\r\nHost: x\r\n"),
	}
	for i, c := range conns {
		if !closedWithin(c, 10*time.Second) {
			t.Errorf("stalled client %d still connected after 10 s", i)
		}
	}
	// The slots are free again: another client is served.
	if code := <-getApps(t, base, key); code != 200 {
		t.Errorf("a client after the stalled ones: %d, want 200", code)
	}
}

func TestLimitTricklingBodyLosesItsConnection(t *testing.T) {
	_, base, key := started(t, Config{BodyIdleTimeout: 300 * time.Millisecond, MinBodyRate: 1000})
	c := stalledBody(t, strings.TrimPrefix(base, "http://"),
		"POST /v1/betaGroups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "+key.token(t, time.Now())+"\r\n")
	// One byte every 100 ms: never idle for 300 ms, but 10 bytes a second
	// where 1000 are asked for.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	if !closedWithin(c, 10*time.Second) {
		t.Error("a client trickling 10 bytes a second was still connected after 10 s")
	}
}

// pacedReader gives its bytes in chunks, waiting between two chunks: a
// slow network, which only the wall clock can play against connection
// deadlines.
type pacedReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
	first bool
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.first {
		<-time.After(p.pause)
	}
	p.first = true
	return p.r.Read(b[:min(len(b), p.chunk)])
}

func TestLimitSlowPartUploadStillWorks(t *testing.T) {
	// A part that takes about 1.6 s to send (32 KiB reads), in pauses shorter than the
	// idle timeout: far longer than the timeout, and still accepted, since
	// the deadline moves with the bytes.
	e := newEnv(t, Config{PartSize: 1 << 20, SkipArchiveCheck: true})
	hs := httptest.NewServer(bodyDeadlines(e.srv, 300*time.Millisecond, 64<<10))
	t.Cleanup(hs.Close)
	e.hs = hs
	id := e.createUpload("901")
	_, ops := e.createFile(id, 1<<20)
	data := bytes.Repeat([]byte{0x5a}, 1<<20)
	op := ops[0]
	req, _ := http.NewRequest("PUT", op.URL, &pacedReader{r: bytes.NewReader(data), chunk: 64 << 10, pause: 50 * time.Millisecond})
	req.ContentLength = op.Length
	for k, v := range op.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("paced part: %d", res.StatusCode)
	}
	t.Logf("took %v", time.Since(start))
	if took := time.Since(start); took < time.Second {
		t.Fatalf("the part took %v; the test needs it to outlast the idle timeout several times", took)
	}
}

func TestLimitClientThatNeverReadsLosesItsConnection(t *testing.T) {
	_, base, key := started(t, Config{MaxConnections: 1, BodyIdleTimeout: 300 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Requests one after the other on the one connection allowed, their
	// answers never read: the server's writes block once the buffers fill.
	req := "GET /v1/apps?include=builds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.token(t, time.Now()) + "\r\n\r\n"
	go func() {
		for range 20000 {
			if _, err := io.WriteString(c, req); err != nil {
				return
			}
		}
	}()
	done := getApps(t, base, key)
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("a client after the one that never reads: %d, want 200", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a client that never reads its answers still held the only connection after 20 s")
	}
}
