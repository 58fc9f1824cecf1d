package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/contract"
)

// contractServer answers every endpoint the client uses with fixtures, and
// checks each request the client sends and each response it serves against
// Apple's OpenAPI document.
func contractServer(t *testing.T, spec *contract.Spec) http.Handler {
	mux := http.NewServeMux()
	link := func(r *http.Request) map[string]any { return map[string]any{"self": selfURL(r)} }
	auth := func(w http.ResponseWriter, r *http.Request, provisioning bool) bool {
		switch r.Header.Get("Authorization") {
		case "Bearer revoked":
			appleError(w, 401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "Provide a properly configured and signed bearer token, and make sure that it has not expired.")
			return false
		case "Bearer individual":
			if provisioning {
				appleError(w, 403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons", "The API key in use does not allow this request")
				return false
			}
		}
		return true
	}
	app := func(id string) map[string]any {
		return map[string]any{"type": "apps", "id": id, "attributes": map[string]any{
			"name": "Demo", "bundleId": "com.example.demo", "sku": "DEMO1", "primaryLocale": "en-US"}}
	}
	mux.HandleFunc("GET /v1/apps", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r, false) {
			return
		}
		data := []any{}
		if b := r.URL.Query().Get("filter[bundleId]"); b == "" || b == "com.example.demo" {
			data = append(data, app("1234567890"))
		}
		writeJSON(w, 200, map[string]any{"data": data, "links": link(r), "meta": map[string]any{"paging": map[string]any{"total": len(data), "limit": 50}}})
	})
	mux.HandleFunc("GET /v1/apps/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404404" {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'apps' with id '404404'")
			return
		}
		writeJSON(w, 200, map[string]any{"data": app(r.PathValue("id")), "links": link(r)})
	})
	mux.HandleFunc("GET /v1/certificates", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r, true) {
			return
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "certificates", "id": "CERT1", "attributes": map[string]any{
			"name": "Apple Distribution: Example", "certificateType": "DISTRIBUTION", "displayName": "Example",
			"serialNumber": "6C1B2E", "platform": "IOS", "expirationDate": "2027-01-15T10:00:00.000Z", "activated": true}}},
			"links": link(r), "meta": map[string]any{"paging": map[string]any{"total": 1, "limit": 50}}})
	})
	mux.HandleFunc("GET /v1/profiles", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r, true) {
			return
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "profiles", "id": "PROF1", "attributes": map[string]any{
			"name": "Demo App Store", "platform": "IOS", "profileType": "IOS_APP_STORE", "profileState": "ACTIVE",
			"uuid": "0b5e7a2c-1111-4222-8333-444455556666", "createdDate": "2026-01-15T10:00:00Z", "expirationDate": "2027-01-15T10:00:00Z"}}},
			"links": link(r)})
	})
	build := func(id string) map[string]any {
		return map[string]any{"type": "builds", "id": id, "attributes": map[string]any{
			"version": "42", "uploadedDate": "2026-11-25T10:00:00Z", "expirationDate": "2027-02-23T10:00:00Z",
			"expired": false, "minOsVersion": "17.0", "processingState": "VALID"}}
	}
	mux.HandleFunc("GET /v1/builds", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{build("BUILD1")}, "links": link(r)})
	})
	mux.HandleFunc("GET /v1/builds/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'builds' with id 'missing'")
			return
		}
		writeJSON(w, 200, map[string]any{"data": build(r.PathValue("id")), "links": link(r)})
	})
	upload := func(id, state string, withBuild bool) map[string]any {
		u := map[string]any{"type": "buildUploads", "id": id, "attributes": map[string]any{
			"cfBundleShortVersionString": "1.2.3", "cfBundleVersion": "42", "platform": "IOS",
			"createdDate": "2026-11-25T10:00:00Z",
			"state":       map[string]any{"state": state, "errors": []any{}, "warnings": []any{map[string]any{"code": "90725", "description": "SDK version warning"}}, "infos": []any{}}}}
		if withBuild {
			u["relationships"] = map[string]any{"build": map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD1"}}}
		}
		return u
	}
	mux.HandleFunc("POST /v1/buildUploads", func(w http.ResponseWriter, r *http.Request) {
		var req requestDocument[buildUploadCreate]
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("create upload body: %v", err)
		}
		if req.Data.Attributes.CFBundleVersion == "41" {
			writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{"id": "dup", "status": "409",
				"code": "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE", "title": "The provided entity includes an attribute with a value that has already been used",
				"detail": "The bundle version must be higher than the previously uploaded version: '41'.",
				"source": map[string]any{"pointer": "/data/attributes/cfBundleVersion"}}}})
			return
		}
		writeJSON(w, 201, map[string]any{"data": upload("UPLOAD1", "AWAITING_UPLOAD", false), "links": link(r)})
	})
	mux.HandleFunc("GET /v1/buildUploads/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "spent" {
			w.Header().Set("Retry-After", "3600")
			w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:0;")
			appleError(w, 429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.", "We've received too many requests for this API. Please wait and try again or slow down your request rate.")
			return
		}
		writeJSON(w, 200, map[string]any{"data": upload(r.PathValue("id"), "COMPLETE", true), "links": link(r)})
	})
	mux.HandleFunc("DELETE /v1/buildUploads/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "gone" {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'buildUploads' with id 'gone'")
			return
		}
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:3400;")
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /v1/apps/{id}/buildUploads", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{upload("UPLOAD1", "PROCESSING", false)}, "links": link(r)})
	})
	file := func(id string, ops bool) map[string]any {
		attrs := map[string]any{"assetType": "ASSET", "fileName": "App.ipa", "fileSize": 3 << 20, "uti": "com.apple.ipa",
			"assetDeliveryState": map[string]any{"state": "AWAITING_UPLOAD"}}
		if ops {
			var l []any
			for i := 0; i < 3; i++ {
				l = append(l, map[string]any{"method": "PUT", "url": "https://upload.example.com/part/" + string(rune('1'+i)) + "?sig=abc",
					"offset": i << 20, "length": 1 << 20, "partNumber": i + 1, "expiration": "2026-11-25T13:00:00Z",
					"requestHeaders": []any{map[string]any{"name": "Content-Type", "value": "application/octet-stream"}}})
			}
			attrs["uploadOperations"] = l
		}
		return map[string]any{"type": "buildUploadFiles", "id": id, "attributes": attrs}
	}
	mux.HandleFunc("POST /v1/buildUploadFiles", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]any{"data": file("FILE1", true), "links": link(r)})
	})
	mux.HandleFunc("GET /v1/buildUploadFiles/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": file(r.PathValue("id"), true), "links": link(r)})
	})
	mux.HandleFunc("PATCH /v1/buildUploadFiles/{id}", func(w http.ResponseWriter, r *http.Request) {
		var req requestDocument[buildUploadFileUpdate]
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("update file body: %v", err)
		}
		if req.Data.Attributes.SourceFileChecksums != nil && req.Data.Attributes.SourceFileChecksums.Composite != nil {
			appleError(w, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", "The checksum form is not supported.")
			return
		}
		f := file(r.PathValue("id"), false)
		f["attributes"].(map[string]any)["assetDeliveryState"] = map[string]any{"state": "UPLOAD_COMPLETE"}
		writeJSON(w, 200, map[string]any{"data": f, "links": link(r)})
	})
	mux.HandleFunc("GET /v1/buildUploads/{id}/buildUploadFiles", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{file("FILE1", false)}, "links": link(r)})
	})

	return checkedHandler(t, spec, mux)
}

// checkedHandler holds every request to Apple's document (operation, query
// parameters it declares, body schema) and a bearer token, and every
// response too.
func checkedHandler(t *testing.T, spec *contract.Spec, next http.Handler) http.Handler {
	checked := spec.Middleware(t, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := spec.CheckRequest(r.Clone(context.Background()), body); err != nil {
			t.Errorf("client request: %v", err)
		}
		if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer ") {
			t.Errorf("%s %s sent without a bearer token", r.Method, r.URL.Path)
		}
		checked.ServeHTTP(w, r)
	})
}

// TestContract sends every endpoint's requests, success and error cases, to
// a server that holds them (and its fixtures) to Apple's document, and checks
// what the client decodes.
func TestContract(t *testing.T) {
	spec := contract.ForTest(t)
	h := contractServer(t, spec)
	ctx := context.Background()
	c, _, _ := newTestClient(t, h, plainSource("good"), WithRetryMax(0))
	revoked, _, _ := newTestClient(t, h, plainSource("revoked"))
	individual, _, _ := newTestClient(t, h, plainSource("individual"))

	t.Run("apps", func(t *testing.T) {
		apps, resp, err := c.ListApps(ctx, &ListAppsOptions{BundleID: []string{"com.example.demo"}, ListOptions: ListOptions{Limit: 200}})
		if err != nil || len(apps) != 1 || apps[0].Attributes.BundleID != "com.example.demo" || apps[0].ID != "1234567890" {
			t.Fatalf("ListApps = %+v, %v", apps, err)
		}
		if resp.Total != 1 || !resp.RateLimit.Known || resp.RateLimit.Remaining != 3499 || c.RateLimit().Limit != 3500 {
			t.Errorf("response facts: total %d, rate limit %+v / client %+v", resp.Total, resp.RateLimit, c.RateLimit())
		}
		if apps, _, err := c.ListApps(ctx, &ListAppsOptions{BundleID: []string{"com.example.other"}}); err != nil || len(apps) != 0 {
			t.Errorf("ListApps(other) = %+v, %v", apps, err)
		}
		a, _, err := c.GetApp(ctx, "1234567890")
		if err != nil || a.Attributes.Name != "Demo" || a.Attributes.SKU != "DEMO1" {
			t.Errorf("GetApp = %+v, %v", a, err)
		}
		_, resp, err = c.GetApp(ctx, "404404")
		var ae *APIError
		if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Code() != "NOT_FOUND" || resp.StatusCode != 404 {
			t.Errorf("GetApp(404404) err = %v", err)
		}
		_, _, err = revoked.ListApps(ctx, nil)
		if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ae) || ae.Errors[0].Detail == "" {
			t.Errorf("ListApps(revoked) err = %v", err)
		}
	})

	t.Run("certificates", func(t *testing.T) {
		certs, _, err := c.ListCertificates(ctx, &ListCertificatesOptions{CertificateType: []string{"DISTRIBUTION", "IOS_DEVELOPMENT"}, Fields: CertificateSummaryFields, ListOptions: ListOptions{Limit: 200}})
		if err != nil || len(certs) != 1 {
			t.Fatalf("ListCertificates = %+v, %v", certs, err)
		}
		a := certs[0].Attributes
		want := time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC)
		if a.CertificateType != "DISTRIBUTION" || a.SerialNumber != "6C1B2E" || a.Platform != "IOS" || !a.ExpirationDate.Equal(want) || a.Name == "" || a.Activated == nil || !*a.Activated {
			t.Errorf("certificate attributes = %+v", a)
		}
		_, _, err = individual.ListCertificates(ctx, nil)
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("ListCertificates(individual key) err = %v", err)
		}
	})

	t.Run("profiles", func(t *testing.T) {
		profs, _, err := c.ListProfiles(ctx, &ListProfilesOptions{ProfileType: []string{"IOS_APP_STORE"}, Name: []string{"Demo App Store"}, ProfileState: []string{ProfileStateActive}, Fields: ProfileSummaryFields})
		if err != nil || len(profs) != 1 {
			t.Fatalf("ListProfiles = %+v, %v", profs, err)
		}
		a := profs[0].Attributes
		if a.ProfileType != "IOS_APP_STORE" || a.ProfileState != ProfileStateActive || a.UUID == "" || a.ExpirationDate.Year() != 2027 || a.Name != "Demo App Store" {
			t.Errorf("profile attributes = %+v", a)
		}
		_, _, err = individual.ListProfiles(ctx, nil)
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("ListProfiles(individual key) err = %v", err)
		}
	})

	t.Run("builds", func(t *testing.T) {
		builds, _, err := c.ListBuilds(ctx, &ListBuildsOptions{AppID: []string{"1234567890"}, Version: []string{"42"},
			PreReleaseVersion: []string{"1.2.3"}, ProcessingState: []string{ProcessingStateValid, ProcessingStateProcessing}, Sort: "-uploadedDate", ListOptions: ListOptions{Limit: 10}})
		if err != nil || len(builds) != 1 || builds[0].Attributes.ProcessingState != ProcessingStateValid {
			t.Fatalf("ListBuilds = %+v, %v", builds, err)
		}
		b, _, err := c.GetBuild(ctx, "BUILD1")
		if err != nil || b.Attributes.Version != "42" || b.Attributes.Expired || b.Attributes.ExpirationDate.Month() != time.February || b.Attributes.UploadedDate.IsZero() {
			t.Errorf("GetBuild = %+v, %v", b, err)
		}
		if _, _, err := c.GetBuild(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetBuild(missing) err = %v", err)
		}
	})

	t.Run("buildUploads", func(t *testing.T) {
		u, resp, err := c.CreateBuildUpload(ctx, "1234567890", "1.2.3", "42", PlatformIOS)
		if err != nil || u.ID != "UPLOAD1" || u.State() != BuildUploadStateAwaitingUpload || resp.StatusCode != 201 || u.BuildID() != "" {
			t.Fatalf("CreateBuildUpload = %+v, %v", u, err)
		}
		_, _, err = c.CreateBuildUpload(ctx, "1234567890", "1.2.3", "41", PlatformIOS)
		var ae *APIError
		if !errors.Is(err, ErrConflict) || !errors.As(err, &ae) || !ae.HasCode("ENTITY_ERROR.ATTRIBUTE.INVALID") ||
			!ae.HasCode("ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE") || ae.HasCode("ENTITY_ERROR.ATTRIBUTE.INV") ||
			ae.Errors[0].Source == nil || ae.Errors[0].Source.Pointer != "/data/attributes/cfBundleVersion" {
			t.Errorf("duplicate build err = %v", err)
		}
		got, _, err := c.GetBuildUpload(ctx, "UPLOAD1")
		if err != nil || got.State() != BuildUploadStateComplete || got.BuildID() != "BUILD1" ||
			len(got.Attributes.State.Warnings) != 1 || got.Attributes.State.Warnings[0].Code != "90725" {
			t.Errorf("GetBuildUpload = %+v, %v", got, err)
		}
		_, _, err = c.GetBuildUpload(ctx, "spent")
		if !errors.Is(err, ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != time.Hour || ae.RateLimit.Remaining != 0 || !ae.RateLimit.Known {
			t.Errorf("GetBuildUpload(spent) err = %v (%+v)", err, ae)
		}
		if c.RateLimit().Remaining != 0 {
			t.Errorf("client rate limit after a 429 = %+v", c.RateLimit())
		}
		list, _, err := c.ListAppBuildUploads(ctx, "1234567890", &ListBuildUploadsOptions{CFBundleShortVersionString: []string{"1.2.3"},
			CFBundleVersion: []string{"42"}, Platform: []string{PlatformIOS}, State: []string{BuildUploadStateProcessing}, Sort: "-uploadedDate", ListOptions: ListOptions{Limit: 5}})
		if err != nil || len(list) != 1 || list[0].State() != BuildUploadStateProcessing {
			t.Errorf("ListAppBuildUploads = %+v, %v", list, err)
		}
		resp, err = c.DeleteBuildUpload(ctx, "UPLOAD1")
		if err != nil || resp.StatusCode != 204 || resp.RateLimit.Remaining != 3400 {
			t.Errorf("DeleteBuildUpload = %v, %v", resp, err)
		}
		if _, err := c.DeleteBuildUpload(ctx, "gone"); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteBuildUpload(gone) on the first attempt err = %v; want not found", err)
		}
	})

	t.Run("buildUploadFiles", func(t *testing.T) {
		f, _, err := c.CreateBuildUploadFile(ctx, "UPLOAD1", "App.ipa", 3<<20, UTIIPA, AssetTypeAsset)
		if err != nil || f.ID != "FILE1" || len(f.Attributes.UploadOperations) != 3 {
			t.Fatalf("CreateBuildUploadFile = %+v, %v", f, err)
		}
		op := f.Attributes.UploadOperations[1]
		if op.Method != "PUT" || op.Offset != 1<<20 || op.Length != 1<<20 || op.PartNumber != 2 || op.Expiration.Hour() != 13 ||
			len(op.RequestHeaders) != 1 || op.RequestHeaders[0].Name != "Content-Type" || !strings.HasPrefix(op.URL, "https://upload.example.com/") {
			t.Errorf("upload operation = %+v", op)
		}
		if f.Attributes.UploadOperations[0].Offset != 0 {
			t.Errorf("first part offset = %d", f.Attributes.UploadOperations[0].Offset)
		}
		g, _, err := c.GetBuildUploadFile(ctx, "FILE1")
		if err != nil || g.Attributes.FileSize != 3<<20 || g.Attributes.UTI != UTIIPA || g.Attributes.AssetDeliveryState.State != "AWAITING_UPLOAD" {
			t.Errorf("GetBuildUploadFile = %+v, %v", g, err)
		}
		u, _, err := c.UpdateBuildUploadFile(ctx, "FILE1", true, nil)
		if err != nil || u.Attributes.AssetDeliveryState == nil || u.Attributes.AssetDeliveryState.State != "UPLOAD_COMPLETE" {
			t.Errorf("UpdateBuildUploadFile = %+v, %v", u, err)
		}
		sums := &Checksums{File: &Checksum{Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Algorithm: ChecksumSHA256}}
		if _, _, err := c.UpdateBuildUploadFile(ctx, "FILE1", true, sums); err != nil {
			t.Errorf("UpdateBuildUploadFile(with file checksum) = %v", err)
		}
		sums.Composite = &Checksum{Hash: "d41d8cd98f00b204e9800998ecf8427e-3", Algorithm: ChecksumMD5}
		if _, _, err := c.UpdateBuildUploadFile(ctx, "FILE1", true, sums); !errors.Is(err, ErrConflict) {
			t.Errorf("UpdateBuildUploadFile(composite checksum) err = %v; want 409", err)
		}
		files, _, err := c.ListBuildUploadFiles(ctx, "UPLOAD1")
		if err != nil || len(files) != 1 || files[0].Attributes.FileName != "App.ipa" {
			t.Errorf("ListBuildUploadFiles = %+v, %v", files, err)
		}
	})

	t.Run("checker refuses a bad enum", func(t *testing.T) {
		req, err := c.NewRequest(http.MethodGet, "v1/builds?filter[processingState]=DONE", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := spec.CheckRequest(req, nil); err == nil {
			t.Error("filter[processingState]=DONE passed the check; the contract test would miss bad enums")
		}
	})

	ops, cases, lines := spec.Coverage()
	t.Logf("contract: %d operations, %d cases checked against Apple's document", ops, cases)
	for _, l := range lines {
		t.Log("  " + l)
	}
	if ops < 12 {
		t.Errorf("only %d operations covered; every endpoint of the client should be", ops)
	}
}
