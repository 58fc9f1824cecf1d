package contract

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDocumentLoadsAndRoutesBuildUploads(t *testing.T) {
	start := time.Now()
	s := ForTest(t)
	t.Logf("loaded Apple's document in %v: %d paths", time.Since(start), s.Doc.Paths.Len())

	body := `{"data":{"type":"buildUploads","attributes":{"cfBundleShortVersionString":"1.0","cfBundleVersion":"42","platform":"IOS"},"relationships":{"app":{"data":{"type":"apps","id":"123"}}}}}`
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/v1/buildUploads", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	op, err := s.CheckRequest(req, []byte(body))
	if err != nil {
		t.Fatalf("valid create request refused: %v", err)
	}
	if op != "buildUploads_createInstance" {
		t.Errorf("operation = %q", op)
	}

	bad := `{"data":{"type":"buildUploads","attributes":{"cfBundleVersion":"42","platform":"PLAYSTATION"}}}`
	req = httptest.NewRequest(http.MethodPost, "/v1/buildUploads", strings.NewReader(bad))
	req.Header.Set("Content-Type", "application/json")
	if _, err := s.CheckRequest(req, []byte(bad)); err == nil {
		t.Error("a request with an unknown platform and no app passed the check")
	}

	req = httptest.NewRequest(http.MethodGet, "/v1/apps?filter[bundleID]=com.example", nil)
	if _, err := s.CheckRequest(req, nil); err == nil {
		t.Error("a misspelt filter passed the check")
	}
	req = httptest.NewRequest(http.MethodGet, "/v1/apps?filter[bundleId]=com.example&limit=5", nil)
	if _, err := s.CheckRequest(req, nil); err != nil {
		t.Errorf("a declared filter was refused: %v", err)
	}

	req = httptest.NewRequest(http.MethodGet, "/v1/nosuchthing", nil)
	if _, err := s.CheckRequest(req, nil); err == nil {
		t.Error("an unknown path passed the check")
	}

	errBody := `{"errors":[{"id":"x","status":"409","code":"ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE","title":"dup","detail":"d"}]}`
	req = httptest.NewRequest(http.MethodPost, "/v1/buildUploads", nil)
	if _, err := s.CheckResponse(req, 409, http.Header{"Content-Type": {"application/json"}}, []byte(errBody)); err != nil {
		t.Errorf("Apple-shaped 409 refused: %v", err)
	}
	if _, err := s.CheckResponse(req, 409, http.Header{"Content-Type": {"application/json"}}, []byte(`{"errors":[{"status":409}]}`)); err == nil {
		t.Error("an error whose status is a number passed the check")
	}
	n, c, _ := s.Coverage()
	if n < 1 || c < 2 {
		t.Errorf("coverage = %d ops, %d cases", n, c)
	}
}
