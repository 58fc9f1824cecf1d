// Package contract holds Apple's App Store Connect OpenAPI document up against
// our client's requests and our emulator's responses. It is used by tests only;
// the client and the emulator never import each other, and both answer to this.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/asc-action/asc-action/internal/openapi"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is the loaded document with a router over its operations.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router

	mu      sync.Mutex
	covered map[string]map[string]bool // operationID -> "request" / "response <status>"
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load reads and indexes the document once per process.
func Load() (*Spec, error) {
	loadOnce.Do(func() {
		data, err := openapi.JSON()
		if err != nil {
			loadErr = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			loadErr = fmt.Errorf("load the vendored OpenAPI document: %w", err)
			return
		}
		// Route on paths alone: our servers are httptest URLs, not Apple's host.
		doc.Servers = nil
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			loadErr = fmt.Errorf("index the vendored OpenAPI document: %w", err)
			return
		}
		loaded = &Spec{Doc: doc, router: r, covered: map[string]map[string]bool{}}
	})
	return loaded, loadErr
}

// ForTest returns the document, or fails the test when the vendored copy
// cannot be read. Contract checks never skip.
func ForTest(tb testing.TB) *Spec {
	tb.Helper()
	s, err := Load()
	if err != nil {
		tb.Fatalf("OpenAPI contract check: %v", err)
	}
	return s
}

func (s *Spec) route(req *http.Request) (*routers.Route, map[string]string, error) {
	u := *req.URL
	u.Scheme, u.Host = "", ""
	r2 := req.Clone(context.Background())
	r2.URL = &u
	r2.Host = ""
	return s.router.FindRoute(r2)
}

func (s *Spec) mark(op, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.covered[op] == nil {
		s.covered[op] = map[string]bool{}
	}
	s.covered[op][what] = true
}

func noAuth(context.Context, *openapi3filter.AuthenticationInput) error { return nil }

// CheckRequest validates a request (method, path, query and JSON body) against
// the operation it addresses. It returns the operation ID.
func (s *Spec) CheckRequest(req *http.Request, body []byte) (string, error) {
	route, params, err := s.route(req)
	if err != nil {
		return "", fmt.Errorf("%s %s: no such operation in Apple's document: %w", req.Method, req.URL.Path, err)
	}
	r2 := req.Clone(context.Background())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request: r2, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: noAuth, MultiError: true},
	}
	op := route.Operation.OperationID
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return op, fmt.Errorf("%s %s (%s): request does not match Apple's document: %w", req.Method, req.URL.Path, op, err)
	}
	// openapi3filter lets undeclared query parameters through; Apple
	// ignores them silently, so a misspelt filter would go unnoticed.
	// The one exception is `cursor`, which Apple puts in links.next without
	// declaring it.
	for key := range req.URL.Query() {
		if key != "cursor" && !declaresQuery(route, key) {
			return op, fmt.Errorf("%s %s (%s): query parameter %q is not declared by the operation in Apple's document", req.Method, req.URL.Path, op, key)
		}
	}
	s.mark(op, "request")
	return op, nil
}

func declaresQuery(route *routers.Route, key string) bool {
	params := append(openapi3.Parameters{}, route.PathItem.Parameters...)
	params = append(params, route.Operation.Parameters...)
	for _, p := range params {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && p.Value.Name == key {
			return true
		}
	}
	return false
}

// CheckResponse validates a response's status, content type and JSON body
// against the operation the request addressed. It returns the operation ID.
func (s *Spec) CheckResponse(req *http.Request, status int, header http.Header, body []byte) (string, error) {
	route, params, err := s.route(req)
	if err != nil {
		return "", fmt.Errorf("%s %s: no such operation in Apple's document: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: noAuth, IncludeResponseStatus: true, MultiError: true},
	}
	op := route.Operation.OperationID
	if header == nil {
		header = http.Header{}
	}
	if len(body) > 0 && header.Get("Content-Type") == "" {
		header = header.Clone()
		header.Set("Content-Type", "application/json")
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: in.Options,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return op, fmt.Errorf("%s %s (%s) -> %d: response does not match Apple's document: %w", req.Method, req.URL.Path, op, status, err)
	}
	s.mark(op, fmt.Sprintf("response %d", status))
	return op, nil
}

// Coverage lists each operation checked so far with the cases seen
// ("request", "response 200", ...), sorted, for test logs.
func (s *Spec) Coverage() (ops int, cases int, lines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for op, m := range s.covered {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		lines = append(lines, op+": "+strings.Join(ks, ", "))
		cases += len(ks)
	}
	sort.Strings(lines)
	return len(s.covered), cases, lines
}

// Middleware wraps a handler so that every request it serves and every
// response it writes is checked; failures go to tb.Errorf.
func (s *Spec) Middleware(tb testing.TB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := NewRecorder(w)
		next.ServeHTTP(rec, r)
		check := r.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := s.CheckResponse(check, rec.Status, rec.Header(), rec.Body.Bytes()); err != nil {
			tb.Errorf("%v", err)
		}
	})
}

// URLPath returns the path of a URL string, for tests that build requests.
func URLPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Path
}

// Recorder passes a response through to its ResponseWriter and keeps a copy
// of its status and body, to be checked once the handler is done.
type Recorder struct {
	http.ResponseWriter
	Status int
	Body   bytes.Buffer
}

// NewRecorder records what is written to w; the status is 200 until
// WriteHeader says otherwise.
func NewRecorder(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, Status: http.StatusOK}
}

func (r *Recorder) WriteHeader(code int) { r.Status = code; r.ResponseWriter.WriteHeader(code) }
func (r *Recorder) Write(b []byte) (int, error) {
	r.Body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
