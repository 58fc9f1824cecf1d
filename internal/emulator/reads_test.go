package emulator

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func accountEnv(t *testing.T) *env {
	t.Helper()
	data, err := LoadData("testdata/account.json")
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, Config{Data: data})
}

// included returns "type/id" of each included resource.
func includedKeys(doc map[string]any) []string {
	var out []string
	inc, _ := doc["included"].([]any)
	for _, r := range inc {
		out = append(out, dig(r, "type").(string)+"/"+dig(r, "id").(string))
	}
	return out
}

func TestGenericReadsFollowState(t *testing.T) {
	e := accountEnv(t)
	tests := []idsRead{
		{"/v1/bundleIds?filter[identifier]=com.example.other", "BUNDLE0002"},
		{"/v1/users?filter[roles]=DEVELOPER", "USER000002"},
		{"/v1/users?sort=-username", "USER000002,USER000001"},
		{"/v1/betaTesters?filter[betaGroups]=GROUP00002", "TESTER0002"},
		{"/v1/betaTesters?filter[email]=jane@example.com", "TESTER0001"},
		{"/v1/betaGroups/GROUP00001/betaTesters", "TESTER0001"},
		{"/v1/betaGroups/GROUP00001/builds", "BUILD00001"},
		{"/v1/apps/1000000001/builds", "BUILD00001,BUILD00002"},
		{"/v1/apps/1000000002/builds", ""},
		{"/v1/apps/1000000001/appStoreVersions", "ASV0000001,ASV0000002"},
		{"/v1/appStoreVersions/ASV0000001/appStoreVersionLocalizations", "ASVL000001"},
		{"/v1/appCategories?exists[parent]=false", "" /* generated categories all name a parent */},
		{"/v1/builds?filter[betaGroups]=GROUP00001", "BUILD00001"},
		{"/v1/profiles/PROF000001/certificates", "CERT000001"},
	}
	for _, tt := range tests {
		if got := strings.Join(ids(t, e.mustGet(tt.path)), ","); got != tt.want {
			t.Errorf("%s: ids %q, want %q", tt.path, got, tt.want)
		}
	}

	// pre-release versions come from the builds.
	{
		doc := e.mustGet("/v1/preReleaseVersions?filter[app]=1000000001&sort=-version")
		var versions []string
		for _, d := range doc["data"].([]any) {
			versions = append(versions, dig(d, "attributes", "version").(string))
		}
		if strings.Join(versions, ",") != "1.1,1.0" {
			t.Fatalf("versions %v, want 1.1,1.0", versions)
		}
		prv := ids(t, doc)[0]
		if got := ids(t, e.mustGet("/v1/preReleaseVersions/"+prv+"/builds")); !slices.Equal(got, []string{"BUILD00002"}) {
			t.Errorf("builds of 1.1: %v", got)
		}
		if got := ids(t, e.mustGet("/v1/builds?filter[preReleaseVersion]="+prv)); !slices.Equal(got, []string{"BUILD00002"}) {
			t.Errorf("builds filtered by pre-release version: %v", got)
		}
	}

	// include and fields.
	{
		doc := e.mustGet("/v1/builds/BUILD00001?include=app,betaGroups,preReleaseVersion&fields[builds]=version,app,betaGroups&fields[apps]=name")
		got := includedKeys(doc)
		for _, want := range []string{"apps/1000000001", "betaGroups/GROUP00001"} {
			if !slices.Contains(got, want) {
				t.Errorf("included %v lacks %s", got, want)
			}
		}
		if attrs := dig(doc, "data", "attributes").(map[string]any); len(attrs) != 1 || attrs["version"] != "41" {
			t.Errorf("fields[builds] not applied: %v", attrs)
		}
		if dig(doc, "data", "relationships", "preReleaseVersion") != nil {
			t.Error("fields[builds] kept a relationship it does not name")
		}
		if l := dig(doc, "data", "relationships", "betaGroups", "data", 0, "id"); l != "GROUP00001" {
			t.Errorf("included relationship has no linkage: %v", l)
		}
		for _, r := range doc["included"].([]any) {
			if dig(r, "type") == "apps" {
				if attrs := dig(r, "attributes").(map[string]any); len(attrs) != 1 || attrs["name"] != "Demo" {
					t.Errorf("fields[apps] not applied to included: %v", attrs)
				}
			}
		}
	}

	// relationship linkages and related links.
	{
		doc := e.mustGet("/v1/betaGroups/GROUP00001/relationships/betaTesters")
		if dig(doc, "data", 0, "type") != "betaTesters" || dig(doc, "data", 0, "id") != "TESTER0001" {
			t.Errorf("linkages: %v", doc["data"])
		}
		app := e.mustGet("/v1/apps/1000000001")
		related, _ := dig(app, "data", "relationships", "builds", "links", "related").(string)
		if related != e.hs.URL+"/v1/apps/1000000001/builds" {
			t.Errorf("related link %q", related)
		}
	}

	// paging a related list.
	{
		doc := e.mustGet("/v1/apps/1000000001/builds?limit=1")
		next, _ := dig(doc, "links", "next").(string)
		if len(ids(t, doc)) != 1 || next == "" {
			t.Fatalf("first page: %v next %q", ids(t, doc), next)
		}
		if got := ids(t, e.mustGet(next)); !slices.Equal(got, []string{"BUILD00002"}) {
			t.Errorf("second page %v", got)
		}
	}

	// Apple's 400 and 404.
	{
		for path, want := range map[string]string{
			"/v1/bundleIds?filter[bogus]=1":             "PARAMETER_ERROR.ILLEGAL",
			"/v1/users?limit=201":                       "PARAMETER_ERROR.INVALID",
			"/v1/builds?include=nonsense":               "PARAMETER_ERROR.INVALID",
			"/v1/betaAppReviewSubmissions":              "PARAMETER_ERROR.REQUIRED",
			"/v1/appStoreVersions/NOPE":                 "NOT_FOUND",
			"/v1/apps/NOPE/appInfos":                    "NOT_FOUND",
			"/v1/betaTesters/NOPE/relationships/builds": "NOT_FOUND",
		} {
			r := e.do("GET", path, nil)
			if code := r.errorCode(t); code != want {
				t.Errorf("%s: %d %s, want %s", path, r.status, code, want)
			}
		}
	}

	// types without state are generated from the document.
	{
		doc := e.mustGet("/v1/apps/1000000001/appInfos")
		if len(ids(t, doc)) == 0 {
			t.Fatal("no appInfos for the first app")
		}
		info := ids(t, doc)[0]
		if got := dig(e.mustGet("/v1/appInfos/"+info+"?include=app"), "data", "relationships", "app", "data", "id"); got != "1000000001" {
			t.Errorf("generated appInfo's app is %v", got)
		}
	}
}

func TestUploadedBuildAppearsEverywhere(t *testing.T) {
	e := accountEnv(t)
	ipa := makeIPA(t, "com.example.demo", "77", 1000)
	uploadID, fileID := e.uploadAll("77", ipa, nil)
	if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, nil)); r.status != 200 {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	e.clock.Advance(time.Second)
	e.srv.work.Wait() // the committed file's examination
	_, doc := e.uploadState(uploadID)
	build, _ := dig(doc, "data", "relationships", "build", "data", "id").(string)
	if build == "" {
		t.Fatalf("upload did not make a build: %v", doc)
	}
	if got := ids(t, e.mustGet("/v1/builds?filter[version]=77")); !slices.Equal(got, []string{build}) {
		t.Errorf("builds: %v", got)
	}
	if got := ids(t, e.mustGet("/v1/apps/1000000001/builds")); !slices.Contains(got, build) {
		t.Errorf("apps/{id}/builds: %v", got)
	}
	prvs := e.mustGet("/v1/preReleaseVersions?filter[app]=1000000001&filter[version]=1.0")
	if len(ids(t, prvs)) != 1 {
		t.Fatalf("preReleaseVersions: %v", ids(t, prvs))
	}
	if got := ids(t, e.mustGet("/v1/preReleaseVersions/"+ids(t, prvs)[0]+"/builds")); !slices.Contains(got, build) {
		t.Errorf("preReleaseVersions/{id}/builds: %v", got)
	}
	if r := e.do("PATCH", "/v1/builds/"+build, map[string]any{"data": map[string]any{"type": "builds", "id": build,
		"attributes": map[string]any{"usesNonExemptEncryption": false}}}); r.status != 200 {
		t.Fatalf("export compliance: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/builds/"+build+"/relationships/betaGroups", tfLinkages("betaGroups", "GROUP00002")); r.status != 204 {
		t.Fatalf("add to group: %d %s", r.status, r.body)
	}
	if got := ids(t, e.mustGet("/v1/betaGroups/GROUP00002/builds")); !slices.Contains(got, build) {
		t.Errorf("betaGroups/{id}/builds: %v", got)
	}
}

// stalledWriter is a client that stops reading: its first Write blocks
// until release is closed.
type stalledWriter struct {
	header  http.Header
	writing chan struct{}
	release chan struct{}
}

func (w *stalledWriter) Header() http.Header { return w.header }
func (w *stalledWriter) WriteHeader(int)     {}
func (w *stalledWriter) Write(b []byte) (int, error) {
	select {
	case <-w.writing:
	default:
		close(w.writing)
	}
	<-w.release
	return len(b), nil
}

// TestSlowReaderHoldsNoOneUp: a read's answer is written after the server's
// lock is released, so a client that stops reading a page does not stall
// every other request.
func TestSlowReaderHoldsNoOneUp(t *testing.T) {
	e := newEnv(t, Config{})
	slow := &stalledWriter{header: http.Header{}, writing: make(chan struct{}), release: make(chan struct{})}
	defer close(slow.release)
	req := httptest.NewRequest("GET", "/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer "+e.key.token(t, e.clock.Now()))
	go e.srv.ServeHTTP(slow, req)
	<-slow.writing
	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v1/apps", nil)
		req.Header.Set("Authorization", "Bearer "+e.key.token(t, e.clock.Now()))
		e.srv.ServeHTTP(rec, req)
		done <- rec.Code
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Errorf("second request: %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a second request waited on a client that stopped reading")
	}
}
