package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

var sprintf = fmt.Sprintf

// TestGitHubDispatch holds the go-github call to GitHub's REST API: the
// path, the token, the body (event_type, client_payload), and a failure.
func TestGitHubDispatch(t *testing.T) {
	var got struct {
		path, auth string
		body       map[string]any
	}
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.path, got.auth = r.Method+" "+r.URL.Path, r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got.body)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	g, err := NewGitHub("octo/app", "ghs_token", srv.URL+"/api/v3/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Dispatch(context.Background(), "asc-build-upload-state-updated", map[string]any{"new_state": "COMPLETE"}); err != nil {
		t.Fatal(err)
	}
	if got.path != "POST /api/v3/repos/octo/app/dispatches" || got.auth != "Bearer ghs_token" {
		t.Errorf("request %s with %q", got.path, got.auth)
	}
	if got.body["event_type"] != "asc-build-upload-state-updated" || got.body["client_payload"].(map[string]any)["new_state"] != "COMPLETE" {
		t.Errorf("body %v", got.body)
	}
	status = http.StatusServiceUnavailable
	if err := g.Dispatch(context.Background(), "x", nil); err == nil {
		t.Fatal("a 503 from GitHub is not a success")
	}
	for _, repo := range []string{"", "octo", "octo/app/x", "/app"} {
		if _, err := NewGitHub(repo, "t", "", nil); err == nil {
			t.Errorf("repository %q accepted", repo)
		}
	}
	if _, err := NewGitHub("octo/app", "", "", nil); err == nil {
		t.Error("empty token accepted")
	}
}
