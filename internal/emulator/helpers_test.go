package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/testclock"
	"github.com/asc-action/asc-action/internal/testkeys"
)

// newClock is the settable clock shared by the emulator and the tests.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// testKey is a key generated at run time; its private half never leaves the test.
type testKey struct {
	Key
	priv *ecdsa.PrivateKey
}

func genKey(t testing.TB, id string, individual bool, role string) testKey {
	t.Helper()
	priv := testkeys.New(t).Private
	k := Key{ID: id, Individual: individual, Public: &priv.PublicKey, Role: role}
	if !individual {
		k.IssuerID = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
	}
	return testKey{Key: k, priv: priv}
}

// claims returns valid claims for k at now.
func (k testKey) claims(now time.Time) jwt.MapClaims {
	c := jwt.MapClaims{"aud": "appstoreconnect-v1", "iat": now.Unix(), "exp": now.Add(20 * time.Minute).Unix()}
	if k.Individual {
		c["sub"] = "user"
	} else {
		c["iss"] = k.IssuerID
	}
	return c
}

func (k testKey) sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (k testKey) token(t testing.TB, now time.Time) string { return k.sign(t, k.claims(now)) }

// env is one emulator behind an httptest server whose every API response is
// checked against Apple's document (when the document is present).
type env struct {
	t     testing.TB
	srv   *Server
	hs    *httptest.Server
	clock *testclock.Clock
	key   testKey
}

var (
	checkedMu    sync.Mutex
	errorSchemaN int // responses with statuses the operation does not declare, checked against ErrorResponse
)

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	clock := newClock()
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.Data == nil {
		cfg.Data = DefaultData(clock.Now())
	}
	if cfg.StoreDir == "" {
		cfg.StoreDir = t.TempDir()
	}
	key := genKey(t, "2X9R4HXF34", false, RoleAdmin)
	cfg.Keys = append(cfg.Keys, key.Key)
	srv := New(cfg)
	hs := httptest.NewServer(checked(t, contract.ForTest(t), srv))
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &env{t: t, srv: srv, hs: hs, clock: clock, key: key}
}

// checked validates every App Store Connect response against Apple's
// document, and every request the emulator accepted (2xx) too: the emulator
// must be no more lenient than Apple's contract. Responses whose status the
// operation does not declare (429 on GET /v1/apps, 405) are checked against
// ErrorResponse. Part URLs and unknown paths are not in the document; tests
// check those themselves.
func checked(t testing.TB, spec *contract.Spec, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := contract.NewRecorder(w)
		defer func() {
			// Faults abort the handler with http.ErrAbortHandler; nothing to check.
			if p := recover(); p != nil {
				panic(p)
			}
			op := findOperation(spec, r.Method, r.URL.Path)
			if op == nil || strings.HasPrefix(r.URL.Path, partPrefix) {
				return
			}
			check := r.Clone(context.Background())
			check.Body = io.NopCloser(bytes.NewReader(body))
			if op.Responses.Status(rec.Status) == nil {
				var doc any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					t.Errorf("%s %s -> %d: body is not JSON: %v", r.Method, r.URL.Path, rec.Status, err)
					return
				}
				if err := spec.Doc.Components.Schemas["ErrorResponse"].Value.VisitJSON(doc); err != nil {
					t.Errorf("%s %s -> %d: not Apple's ErrorResponse: %v", r.Method, r.URL.Path, rec.Status, err)
				}
				checkedMu.Lock()
				errorSchemaN++
				checkedMu.Unlock()
				return
			}
			if _, err := spec.CheckResponse(check, rec.Status, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Errorf("%v", err)
			}
			if rec.Status < 300 {
				check.Body = io.NopCloser(bytes.NewReader(body))
				// Apple's links.next carry a cursor parameter that its
				// document does not declare; the request is otherwise checked.
				if q := check.URL.Query(); q.Has("cursor") {
					q.Del("cursor")
					check.URL.RawQuery = q.Encode()
				}
				if _, err := spec.CheckRequest(check, body); err != nil {
					t.Errorf("emulator accepted a request Apple's document refuses: %v", err)
				}
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

var (
	opIndexOnce sync.Once
	opIndex     map[int][]pathOp
)

type pathOp struct {
	segs []string
	item *openapi3.PathItem
}

// findOperation matches a concrete path against the document's templates.
func findOperation(spec *contract.Spec, method, p string) *openapi3.Operation {
	opIndexOnce.Do(func() {
		opIndex = map[int][]pathOp{}
		for tmpl, item := range spec.Doc.Paths.Map() {
			segs := strings.Split(strings.Trim(tmpl, "/"), "/")
			opIndex[len(segs)] = append(opIndex[len(segs)], pathOp{segs, item})
		}
	})
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for _, po := range opIndex[len(segs)] {
		ok := true
		for i, s := range po.segs {
			if !strings.HasPrefix(s, "{") && s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return po.item.GetOperation(method)
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if spec, err := contract.Load(); err == nil {
		ops, cases, lines := spec.Coverage()
		fmt.Printf("contract coverage: %d operations, %d cases checked against Apple's document (+%d error bodies for undeclared statuses)\n", ops, cases, errorSchemaN)
		for _, l := range lines {
			fmt.Println("  " + l)
		}
	} else {
		fmt.Printf("contract coverage: skipped: %v\n", err)
	}
	os.Exit(code)
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// errorCode returns errors[0].code and checks Apple's error shape.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	var doc struct {
		Errors []struct {
			ID, Status, Code, Title, Detail string
		}
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.Errors) == 0 {
		t.Fatalf("status %d: not an error document: %s", r.status, r.body)
	}
	e := doc.Errors[0]
	if e.Status != fmt.Sprint(r.status) || e.ID == "" || e.Title == "" || e.Detail == "" {
		t.Errorf("error entry incomplete or status mismatch: %+v (HTTP %d)", e, r.status)
	}
	return e.Code
}

// do sends a request with the env's key (token minted at the clock's now)
// unless tok is given ("-" for no Authorization header).
func (e *env) do(method, path string, body any, tok ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.hs.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case len(tok) == 0:
		req.Header.Set("Authorization", "Bearer "+e.key.token(e.t, e.clock.Now()))
	case tok[0] != "-":
		req.Header.Set("Authorization", "Bearer "+tok[0])
	}
	res, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// sent sends req with the default client, stopping the test when it
// cannot; the response's body is closed, its status and header kept.
func sent(t testing.TB, req *http.Request) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// get is do for GETs that must succeed; it returns the decoded document.
func (e *env) mustGet(path string) map[string]any {
	e.t.Helper()
	r := e.do("GET", path, nil)
	if r.status != 200 {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return r.json(e.t)
}

// dig walks a decoded JSON document: dig(m, "data", "attributes", "state").
func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}
