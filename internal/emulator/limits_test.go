package emulator

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// started is an emulator listening on a loopback port, as `asc-action
// emulator` runs it (the limits apply to Start, not to httptest).
func started(t *testing.T, cfg Config) (*Server, string, testKey) {
	t.Helper()
	key := genKey(t, "LIMITKEY01", false, RoleAdmin)
	cfg.Keys = append(cfg.Keys, key.Key)
	cfg.Data = DefaultData(time.Now())
	cfg.StoreDir = t.TempDir()
	srv := New(cfg)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, base, key
}

func TestLimitRequestBodyIsBounded(t *testing.T) {
	_, base, key := started(t, Config{})
	big := `{"data":{"type":"betaBuildLocalizations","attributes":{"locale":"en-US","whatsNew":"` +
		strings.Repeat("x", 2*MaxRequestBody) + `"}}}`
	req, _ := http.NewRequest("POST", base+"/v1/betaBuildLocalizations", strings.NewReader(big))
	req.Header.Set("Authorization", "Bearer "+key.token(t, time.Now()))
	req.Header.Set("Content-Type", "application/json")
	if res := sent(t, req); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a body of twice MaxRequestBody got %d, want 400", res.StatusCode)
	}
}

func TestLimitHeaderBytes(t *testing.T) {
	_, base, _ := started(t, Config{MaxHeaderBytes: 8 << 10})
	req, _ := http.NewRequest("GET", base+"/v1/apps", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 64<<10))
	if res := sent(t, req); res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers over an 8 KiB limit got %d, want 431", res.StatusCode)
	}
}

func TestLimitSlowHeadersAreClosed(t *testing.T) {
	_, base, _ := started(t, Config{ReadHeaderTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /v1/apps HTTP/1.1\r\nHost: x\r\n"); err != nil { // and never the blank line
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c) // returns when the server closes the connection
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a client that never finished its headers was still connected after 10 s")
	}
}

func TestLimitConcurrentConnections(t *testing.T) {
	_, base, key := started(t, Config{MaxConnections: 2})
	addr := strings.TrimPrefix(base, "http://")
	// Two clients hold the two slots with requests they do not finish.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /v1/apps HTTP/1.1\r\nHost: x\r\n")
		held = append(held, c)
	}
	done := getApps(t, base, key)
	select {
	case code := <-done:
		t.Fatalf("a third connection was served (%d) while the limit of 2 was held", code)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("third request once a slot freed: %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the third request was not served after a slot freed")
	}
	held[1].Close()
}

func TestLimitStartBindsWhereTold(t *testing.T) {
	_, base, _ := started(t, Config{})
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("Start(127.0.0.1:0) serves at %s", base)
	}
	// Plain HTTP/1.1 framing: an answer, then a closed connection for a
	// request that asks for it.
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /v1/apps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 401 || !bytes.Contains(b, []byte("NOT_AUTHORIZED")) {
		t.Errorf("no token: %d %s", res.StatusCode, b)
	}
}

// getApps lists apps on a connection of its own and sends the status on
// the channel (-1 when no answer came within 20 s), so a test can wait
// for it or not.
func getApps(t *testing.T, base string, key testKey) <-chan int {
	t.Helper()
	token := key.token(t, time.Now())
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/v1/apps", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := (&http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			done <- -1
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	return done
}
