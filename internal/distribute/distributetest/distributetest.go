// Package distributetest gives the tests of TestFlight distribution (the
// distribute package and the distribute command) one App Store Connect
// emulator to run against: the demo account, build 2 still processing, a key
// of a chosen role, a fake clock, and a record of the requests that change
// something.
package distributetest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/testclock"
	"github.com/asc-action/asc-action/internal/testkeys"
)

// The account's facts: the demo app, and the key the World registers.
const (
	AppID    = "1000000001"
	KeyID    = "DISTRIB123"
	IssuerID = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
)

// Writes is an http.RoundTripper that records the requests that change
// something (every method but GET and HEAD) as "METHOD /path", then sends
// them on.
type Writes struct {
	mu   sync.Mutex
	list []string
	next http.RoundTripper
}

// RoundTrip records r if it changes something and sends it on.
func (w *Writes) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.mu.Lock()
		w.list = append(w.list, r.Method+" "+r.URL.Path)
		w.mu.Unlock()
	}
	return w.next.RoundTrip(r)
}

// Take returns the requests recorded since the last Take and forgets them.
func (w *Writes) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

// World is an emulator with the demo account (groups "Internal Testers"
// GROUP00001 and "Public Beta" GROUP00002) and build 2 (BUILD00002) uploaded
// and still processing; it ends VALID 10 minutes later on the fake clock, or
// INVALID with the InvalidBuild fault. A build upload becomes a build 2
// minutes after its commit.
type World struct {
	// URL is the emulator's API root.
	URL string
	// Key is the key registered as KeyID of IssuerID.
	Key testkeys.Key
	// Clock is the emulator's clock; Sleep on it to let time pass.
	Clock *testclock.Clock
	// Writes is the transport to send requests through to have them recorded.
	Writes *Writes
	// Server is the emulator itself.
	Server *emulator.Server
}

// New starts a World whose key has role, with faults, for the test t. Every
// request and response is held to Apple's OpenAPI document (vendored in
// internal/openapi), and a mismatch fails t.
func New(t testing.TB, role string, faults emulator.Faults) *World {
	t.Helper()
	c := testclock.New(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	data := emulator.DefaultData(c.Now())
	data.Builds = append(data.Builds, emulator.Build{ID: "BUILD00002", App: AppID, Version: "2", ShortVersion: "1.1",
		Platform: "IOS", ProcessingState: "PROCESSING", UploadedDate: c.Now()})
	key := testkeys.New(t)
	srv := emulator.New(emulator.Config{Now: c.Now, Data: data, BuildProcessingDelay: 10 * time.Minute, UploadProcessingDelay: 2 * time.Minute,
		SkipArchiveCheck: true, Faults: faults, StoreDir: t.TempDir(),
		Keys: []emulator.Key{{ID: KeyID, IssuerID: IssuerID, Public: &key.Private.PublicKey, Role: role}}})
	var h http.Handler = srv
	spec := contract.ForTest(t)
	checked := spec.Middleware(t, srv)
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") { // part URLs are not Apple's API
			srv.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := spec.CheckRequest(r.Clone(context.Background()), body); err != nil {
			t.Errorf("request: %v", err)
		}
		checked.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &World{URL: hs.URL, Key: key, Clock: c, Writes: &Writes{next: http.DefaultTransport}, Server: srv}
}
