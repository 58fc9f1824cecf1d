package relay

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// sign is the test's own signer, written from Apple's article (not shared
// with the emulator's).
func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestAppleDocumentedVector is the example of Apple's article: secret
// "This is my secret", body "Hello, World!".
func TestAppleDocumentedVector(t *testing.T) {
	const want = "hmacsha256=7f062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657"
	if err := Verify([][]byte{[]byte("This is my secret")}, []byte("Hello, World!"), want); err != nil {
		t.Fatalf("Apple's example: %v", err)
	}
	if err := Verify([][]byte{[]byte("This is my secret")}, []byte("Hello, World?"), want); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed body: %v, want ErrBadSignature", err)
	}
}

func TestVerify(t *testing.T) {
	body := `{"data":{"type":"buildUploadStateUpdated"}}`
	secrets := [][]byte{[]byte("current"), []byte("previous")}
	good := sign("current", body)
	cases := []struct {
		name, header string
		want         error
	}{
		{"current secret", good, nil},
		{"previous secret while rotating", sign("previous", body), nil},
		{"upper-case prefix and hex", "HMACSHA256=" + strings.ToUpper(strings.TrimPrefix(good, "hmacsha256=")), nil},
		{"no header", "", ErrNoSignature},
		{"wrong secret", sign("other", body), ErrBadSignature},
		{"bare hex without prefix", strings.TrimPrefix(good, "hmacsha256="), ErrMalformedSignature},
		{"other algorithm", "sha256=" + strings.TrimPrefix(good, "hmacsha256="), ErrMalformedSignature},
		{"not hex", "hmacsha256=zz", ErrMalformedSignature},
		{"short digest", good[:len(good)-2], ErrMalformedSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(secrets, []byte(body), c.header)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("Hello, World!"), "hmacsha256=7f062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657")
	f.Add([]byte(`{"data":{}}`), "")
	f.Add([]byte{}, "hmacsha256=")
	secret := [][]byte{[]byte("This is my secret")}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := Verify(secret, body, header)
		// Only the true digest passes; whatever passes is that digest.
		if err == nil && !strings.EqualFold(strings.TrimSpace(header), sign("This is my secret", string(body))) {
			t.Fatalf("accepted %q for body %q", header, body)
		}
		if _, perr := Parse(body); perr != nil && !errors.Is(perr, ErrBadPayload) {
			t.Fatalf("Parse error not ErrBadPayload: %v", perr)
		}
	})
}

type fakeDispatcher struct {
	mu    sync.Mutex
	fail  error
	calls []dispatched
}

type dispatched struct {
	typ     string
	payload map[string]any
}

func (f *fakeDispatcher) Dispatch(_ context.Context, typ string, p map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.calls = append(f.calls, dispatched{typ, p})
	return nil
}

const buildBody = `{"data":{"type":"buildUploadStateUpdated","id":"evt-1","version":1,"attributes":{"oldState":"PROCESSING","newState":"COMPLETE","timestamp":"2026-12-07T10:00:00Z"},"relationships":{"instance":{"data":{"type":"buildUploads","id":"up-1"}}}}}`

func serve(t *testing.T, h http.Handler, method, body, sig string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func newHandler(t *testing.T, d Dispatcher, logs *[]string) *Handler {
	t.Helper()
	h, err := New(Config{Secrets: [][]byte{[]byte("s3cret-value")}, Dispatcher: d,
		Logf: func(f string, a ...any) { *logs = append(*logs, strings.TrimSpace(sprintf(f, a...))) }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandler(t *testing.T) {
	ping := `{"data":{"type":"webhookPingCreated","id":"ping-1","version":1}}`
	cases := []struct {
		name, method, body, sig string
		status, dispatches      int
	}{
		{"signed build upload", http.MethodPost, buildBody, sign("s3cret-value", buildBody), 200, 1},
		{"ping", http.MethodPost, ping, sign("s3cret-value", ping), 200, 0},
		{"no signature", http.MethodPost, buildBody, "", 401, 0},
		{"wrong secret", http.MethodPost, buildBody, sign("guess", buildBody), 401, 0},
		{"tampered body", http.MethodPost, strings.Replace(buildBody, "COMPLETE", "FAILED", 1), sign("s3cret-value", buildBody), 401, 0},
		{"signed garbage", http.MethodPost, "not json", sign("s3cret-value", "not json"), 400, 0},
		{"too large", http.MethodPost, strings.Repeat("x", MaxBody+1), sign("s3cret-value", "x"), 413, 0},
		{"GET", http.MethodGet, "", "", 405, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &fakeDispatcher{}
			var logs []string
			status, body := serve(t, newHandler(t, d, &logs), c.method, c.body, c.sig)
			if status != c.status || len(d.calls) != c.dispatches {
				t.Fatalf("status %d, %d dispatches; want %d, %d (log %q)", status, len(d.calls), c.status, c.dispatches, logs)
			}
			if body != "" {
				t.Errorf("body %q, want none", body)
			}
			if len(logs) != 1 || strings.Contains(logs[0], "s3cret") || (c.sig != "" && strings.Contains(logs[0], c.sig[11:])) {
				t.Errorf("want one log line without secret or signature, got %q", logs)
			}
		})
	}
}

func TestDispatchedEvent(t *testing.T) {
	d := &fakeDispatcher{}
	var logs []string
	if status, _ := serve(t, newHandler(t, d, &logs), http.MethodPost, buildBody, sign("s3cret-value", buildBody)); status != 200 {
		t.Fatalf("status %d", status)
	}
	got := d.calls[0]
	if got.typ != "asc-build-upload-state-updated" {
		t.Errorf("event type %q", got.typ)
	}
	want := map[string]any{"event_type": "BUILD_UPLOAD_STATE_UPDATED", "notification_id": "evt-1", "instance_type": "buildUploads",
		"instance_id": "up-1", "old_state": "PROCESSING", "new_state": "COMPLETE", "timestamp": "2026-12-07T10:00:00Z"}
	a, _ := json.Marshal(got.payload)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("client_payload %s\nwant %s", a, b)
	}
}

func TestGitHubFailureIs5xx(t *testing.T) {
	d := &fakeDispatcher{fail: errors.New("GitHub answered 503")}
	var logs []string
	status, _ := serve(t, newHandler(t, d, &logs), http.MethodPost, buildBody, sign("s3cret-value", buildBody))
	if status < 500 {
		t.Fatalf("status %d, want 5xx so Apple delivers again", status)
	}
}

func TestAppVersionStates(t *testing.T) {
	n, err := Parse([]byte(`{"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"e","attributes":{"oldValue":"A","newValue":"B"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := n.ClientPayload()
	if n.DispatchType() != "asc-app-store-version-app-version-state-updated" || p["old_state"] != "A" || p["new_state"] != "B" ||
		p["event_type"] != "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED" {
		t.Fatalf("%s %v", n.DispatchType(), p)
	}
}

func TestNewRefusesEmptySecret(t *testing.T) {
	if _, err := New(Config{Secrets: [][]byte{{}}, Dispatcher: &fakeDispatcher{}}); err == nil {
		t.Fatal("an empty secret would accept any signature made with it")
	}
	if _, err := New(Config{Dispatcher: &fakeDispatcher{}}); err == nil {
		t.Fatal("no secret accepted")
	}
}
