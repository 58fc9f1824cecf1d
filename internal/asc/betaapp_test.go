package asc

import (
	"context"
	"net/http"
	"testing"

	"github.com/asc-action/asc-action/internal/contract"
)

// TestBetaAppContract holds the reads of a readiness check (review details,
// test information, encryption declarations, pre-release versions, builds
// by platform) to Apple's document, requests and answers, and checks what
// the client decodes.
func TestBetaAppContract(t *testing.T) {
	spec := contract.ForTest(t)
	mux := http.NewServeMux()
	list := func(w http.ResponseWriter, r *http.Request, data ...any) {
		writeJSON(w, 200, map[string]any{"data": append([]any{}, data...), "links": map[string]any{"self": selfURL(r)},
			"meta": map[string]any{"paging": map[string]any{"total": len(data), "limit": 200}}})
	}
	mux.HandleFunc("GET /v1/apps/{id}/betaAppReviewDetail", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": map[string]any{"type": "betaAppReviewDetails", "id": r.PathValue("id"), "attributes": map[string]any{
			"contactFirstName": "Jane", "contactLastName": "Doe", "contactPhone": "+1 408 555 0100", "contactEmail": "jane@example.com",
			"demoAccountRequired": true, "demoAccountName": "reviewer"}}, "links": map[string]any{"self": selfURL(r)}})
	})
	mux.HandleFunc("GET /v1/apps/{id}/betaAppLocalizations", func(w http.ResponseWriter, r *http.Request) {
		list(w, r, map[string]any{"type": "betaAppLocalizations", "id": "BAL1", "attributes": map[string]any{"locale": "en-US", "feedbackEmail": "beta@example.com"}})
	})
	mux.HandleFunc("GET /v1/apps/{id}/appEncryptionDeclarations", func(w http.ResponseWriter, r *http.Request) {
		list(w, r, map[string]any{"type": "appEncryptionDeclarations", "id": "AED1", "attributes": map[string]any{
			"appEncryptionDeclarationState": "APPROVED", "exempt": true, "createdDate": "2026-10-01T09:00:00Z"}})
	})
	mux.HandleFunc("GET /v1/preReleaseVersions", func(w http.ResponseWriter, r *http.Request) {
		list(w, r, map[string]any{"type": "preReleaseVersions", "id": "PRV1", "attributes": map[string]any{"version": "1.0", "platform": "IOS"}})
	})
	mux.HandleFunc("GET /v1/builds", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter[preReleaseVersion.platform]") != "IOS" || r.URL.Query().Get("fields[builds]") != "version,processingState" {
			t.Errorf("builds query %s", r.URL.RawQuery)
		}
		list(w, r, map[string]any{"type": "builds", "id": "B1", "attributes": map[string]any{"version": "7", "processingState": "VALID"}})
	})
	c, _, _ := newTestClient(t, checkedHandler(t, spec, mux), plainSource("good"), WithRetryMax(0))
	ctx := context.Background()

	d, _, err := c.GetAppBetaAppReviewDetail(ctx, "123")
	if err != nil || d.ID != "123" || d.Attributes.ContactEmail != "jane@example.com" || !d.Attributes.DemoAccountRequired || d.Attributes.DemoAccountName != "reviewer" {
		t.Errorf("GetAppBetaAppReviewDetail = %+v, %v", d, err)
	}
	ls, _, err := c.ListAppBetaAppLocalizations(ctx, "123")
	if err != nil || len(ls) != 1 || ls[0].Attributes.Locale != "en-US" {
		t.Errorf("ListAppBetaAppLocalizations = %+v, %v", ls, err)
	}
	ds, _, err := c.ListAppEncryptionDeclarations(ctx, "123", &ListAppEncryptionDeclarationsOptions{Platform: []string{PlatformIOS}, ListOptions: ListOptions{Limit: 200}})
	if err != nil || len(ds) != 1 || ds[0].Attributes.State != EncryptionDeclarationApproved || ds[0].Attributes.Exempt == nil || !*ds[0].Attributes.Exempt {
		t.Errorf("ListAppEncryptionDeclarations = %+v, %v", ds, err)
	}
	vs, _, err := c.ListPreReleaseVersions(ctx, &ListPreReleaseVersionsOptions{AppID: []string{"123"}, Platform: []string{PlatformIOS}, Version: []string{"1.0"}, Fields: []string{"platform"}})
	if err != nil || len(vs) != 1 || vs[0].Attributes.Platform != PlatformIOS {
		t.Errorf("ListPreReleaseVersions = %+v, %v", vs, err)
	}
	bs, _, err := c.ListBuilds(ctx, &ListBuildsOptions{AppID: []string{"123"}, Platform: []string{PlatformIOS}, Fields: []string{"version", "processingState"}})
	if err != nil || len(bs) != 1 || bs[0].Attributes.Version != "7" {
		t.Errorf("ListBuilds by platform = %+v, %v", bs, err)
	}
}
