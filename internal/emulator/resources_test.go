package emulator

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func threeApps(now time.Time) *Data {
	d := DefaultData(now)
	d.Apps = append(d.Apps,
		App{ID: "1000000002", BundleID: "com.example.two", Name: "Two"},
		App{ID: "1000000003", BundleID: "com.example.three", Name: "Three"})
	d.Builds = append(d.Builds, Build{ID: "BUILD00002", App: "1000000002", Version: "7", ShortVersion: "2.0", Platform: "IOS", ProcessingState: "PROCESSING"})
	return d
}

func ids(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	data, ok := doc["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %v", doc["data"])
	}
	for _, d := range data {
		out = append(out, dig(d, "id").(string))
	}
	return out
}

// idsRead is a read and the ids it must list.
type idsRead struct {
	path string
	want string // comma-joined ids
}

func TestCollectionsFiltersAndPaging(t *testing.T) {
	e := newEnv(t, Config{Data: threeApps(newClock().Now())})
	tests := []idsRead{
		{"/v1/apps", "1000000001,1000000002,1000000003"},
		{"/v1/apps?filter[bundleId]=com.example.demo", "1000000001"},
		{"/v1/apps?filter[bundleId]=com.example.two,com.example.three", "1000000002,1000000003"},
		{"/v1/apps?filter[bundleId]=com.nope", ""},
		{"/v1/apps?fields[apps]=bundleId,name&sort=name", "1000000001,1000000003,1000000002"}, // Demo, Three, Two
		{"/v1/apps?sort=-name", "1000000002,1000000003,1000000001"},
		{"/v1/certificates?filter[certificateType]=DISTRIBUTION", "CERT000001"},
		{"/v1/certificates?filter[certificateType]=IOS_DISTRIBUTION,DEVELOPMENT", "CERT000002,CERT000003"},
		{"/v1/profiles?filter[profileType]=IOS_APP_STORE", "PROF000001"},
		{"/v1/profiles?filter[name]=Demo%20Ad%20Hoc", "PROF000002"},
		{"/v1/profiles?filter[profileState]=INVALID", "PROF000003"},
		{"/v1/builds?filter[app]=1000000001&filter[version]=1", "BUILD00001"},
		{"/v1/builds?filter[app]=1000000001&filter[version]=2", ""},
		{"/v1/builds?filter[processingState]=PROCESSING", "BUILD00002"},
		{"/v1/builds?filter[preReleaseVersion.version]=2.0&filter[preReleaseVersion.platform]=IOS", "BUILD00002"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc := e.mustGet(tt.path)
			if got := strings.Join(ids(t, doc), ","); got != tt.want {
				t.Errorf("ids %q, want %q", got, tt.want)
			}
			if n := dig(doc, "meta", "paging", "total"); n != float64(len(ids(t, doc))) {
				t.Errorf("meta.paging.total = %v", n)
			}
			if self, _ := dig(doc, "links", "self").(string); !strings.HasPrefix(self, e.hs.URL+"/v1/") {
				t.Errorf("links.self %q", self)
			}
		})
	}

	t.Run("paging follows links.next", func(t *testing.T) {
		var got []string
		next := "/v1/apps?limit=1"
		pages := 0
		for next != "" {
			doc := e.mustGet(next)
			pages++
			got = append(got, ids(t, doc)...)
			if l := dig(doc, "meta", "paging", "limit"); l != float64(1) {
				t.Errorf("limit %v", l)
			}
			if tot := dig(doc, "meta", "paging", "total"); tot != float64(3) {
				t.Errorf("total %v", tot)
			}
			next, _ = dig(doc, "links", "next").(string)
			if next != "" && !strings.HasPrefix(next, e.hs.URL) {
				t.Fatalf("links.next is not absolute: %q", next)
			}
		}
		if pages != 3 || strings.Join(got, ",") != "1000000001,1000000002,1000000003" {
			t.Errorf("pages %d ids %v", pages, got)
		}
	})

	t.Run("instances", func(t *testing.T) {
		doc := e.mustGet("/v1/apps/1000000001")
		if dig(doc, "data", "attributes", "bundleId") != DemoBundleID || dig(doc, "data", "type") != "apps" {
			t.Errorf("app: %v", doc["data"])
		}
		doc = e.mustGet("/v1/builds/BUILD00001")
		if dig(doc, "data", "attributes", "processingState") != "VALID" || dig(doc, "data", "relationships", "app", "data", "id") != "1000000001" {
			t.Errorf("build: %v", doc["data"])
		}
		if dig(doc, "data", "attributes", "expired") != false {
			t.Errorf("build expired: %v", doc["data"])
		}
	})

	errs := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/apps?limit=201", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps?limit=0", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps?cursor=bogus!", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps?filter[color]=red", 400, "PARAMETER_ERROR.ILLEGAL"},
		{"GET", "/v1/certificates?filter[bundleId]=x", 400, "PARAMETER_ERROR.ILLEGAL"},
		// The build upload reads check parameters by Apple's document too.
		{"GET", "/v1/apps/1000000001/buildUploads?limit=201", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps/1000000001/buildUploads?filter[platform]=WINDOWS", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps/1000000001/buildUploads?filter[color]=red", 400, "PARAMETER_ERROR.ILLEGAL"},
		{"GET", "/v1/buildUploads/nope?include=nonsense", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/buildUploads/nope?limit=5", 400, "PARAMETER_ERROR.ILLEGAL"},
		{"GET", "/v1/buildUploadFiles/nope?include=build", 400, "PARAMETER_ERROR.ILLEGAL"},
		{"GET", "/v1/buildUploads/nope/buildUploadFiles?cursor=bogus!", 400, "PARAMETER_ERROR.INVALID"},
		{"GET", "/v1/apps/999", 404, "NOT_FOUND"},
		{"GET", "/v1/builds/nope", 404, "NOT_FOUND"},
		{"GET", "/v1/buildUploads/nope", 404, "NOT_FOUND"},
		{"GET", "/v1/buildUploadFiles/nope", 404, "NOT_FOUND"},
		{"GET", "/v1/apps/999/buildUploads", 404, "NOT_FOUND"},
		{"GET", "/v1/buildUploads/nope/buildUploadFiles", 404, "NOT_FOUND"},
		{"GET", "/v1/apps/999/betaGroups", 404, "NOT_FOUND"},
		{"GET", "/v1/builds/nope/betaBuildLocalizations", 404, "NOT_FOUND"},
		{"GET", "/v1/builds/nope/app", 404, "NOT_FOUND"},
		{"GET", "/v1/betaGroups/nope", 404, "NOT_FOUND"},
		{"DELETE", "/v1/buildUploads/nope", 404, "NOT_FOUND"},
		{"GET", "/v1/nosuchthing", 404, "NOT_FOUND"},
		{"GET", "/v2/apps", 404, "NOT_FOUND"},
		{"DELETE", "/v1/apps", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range errs {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(tt.method, tt.path, nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if code := r.errorCode(t); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
		})
	}
	t.Run("unknown path needs a token first", func(t *testing.T) {
		if r := e.do("GET", "/v1/nosuchthing", nil, "-"); r.status != http.StatusUnauthorized {
			t.Errorf("status %d", r.status)
		}
	})
	if n := e.srv.Requests()["apps_getCollection"]; n < 8 {
		t.Errorf("apps_getCollection counted %d times", n)
	}
}

func TestDataFile(t *testing.T) {
	// The example from docs/emulator.md.
	good, err := LoadData(filepath.Join("testdata", "data.json"))
	if err != nil {
		t.Fatalf("documented example: %v", err)
	}
	if len(good.Apps) == 0 || len(good.Certificates) == 0 || len(good.Profiles) == 0 || len(good.Builds) == 0 {
		t.Errorf("example lacks a section: %+v", good)
	}
	if err := DefaultData(time.Now()).Validate(); err != nil {
		t.Errorf("DefaultData: %v", err)
	}
	bad := []struct{ name, json, want string }{
		{"unknown field", `{"apps":[{"id":"1","bundleId":"a","colour":"red"}]}`, "colour"},
		{"app without bundleId", `{"apps":[{"id":"1"}]}`, "apps[0]"},
		{"duplicate app id", `{"apps":[{"id":"1","bundleId":"a"},{"id":"1","bundleId":"b"}]}`, "used twice"},
		{"certificate without expiry", `{"certificates":[{"id":"C","certificateType":"DISTRIBUTION"}]}`, "certificates[0]"},
		{"bad profile state", `{"profiles":[{"id":"P","profileType":"IOS_APP_STORE","profileState":"MAYBE","expirationDate":"2030-01-01T00:00:00Z"}]}`, "profileState"},
		{"build of unknown app", `{"builds":[{"id":"B","app":"9","version":"1"}]}`, "not among the apps"},
		{"bad processing state", `{"apps":[{"id":"1","bundleId":"a"}],"builds":[{"id":"B","app":"1","version":"1","processingState":"DONE"}]}`, "processingState"},
		{"not JSON", `apps: []`, "invalid emulator data"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseData([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want mention of %q", err, tt.want)
			}
		})
	}
	if _, err := LoadData(filepath.Join(t.TempDir(), "missing.json")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestStartServesAndCloseCleansUp(t *testing.T) {
	key := genKey(t, "STARTKEY01", false, "")
	srv := New(Config{Keys: []Key{key.Key}, Data: DefaultData(time.Now())})
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	store := srv.storeDir
	req, _ := http.NewRequest("GET", base+"/v1/apps?filter[bundleId]="+DemoBundleID, nil)
	req.Header.Set("Authorization", "Bearer "+key.token(t, time.Now()))
	if res := sent(t, req); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("X-Rate-Limit"), "user-hour-lim:3500;") {
		t.Errorf("%d %q", res.StatusCode, res.Header.Get("X-Rate-Limit"))
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("store %s left behind: %v", store, err)
	}
	if _, err := http.Get(base + "/v1/apps"); err == nil {
		t.Error("still serving after Close")
	}
	other := New(Config{})
	defer other.Close()
	if _, err := other.Start("256.0.0.1:0"); err == nil {
		t.Error("bad address accepted")
	}
}
