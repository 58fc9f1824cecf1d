package emulator

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAgreementBlocksEveryRequest(t *testing.T) {
	for _, tc := range []struct {
		form, code, title string
	}{
		{AgreementMissing, "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", "A required agreement is missing or has expired."},
		{AgreementLegacy, "FORBIDDEN", "Access Unavailable"},
	} {
		t.Run(tc.form, func(t *testing.T) {
			data := DefaultData(newClock().Now())
			data.Blockers = &Blockers{Agreement: tc.form}
			e := newEnv(t, Config{Data: data})
			for _, req := range [][2]string{{"GET", "/v1/apps?limit=1"}, {"GET", "/v1/certificates"}, {"POST", "/v1/buildUploads"}, {"GET", "/v1/nosuchthing"}} {
				r := e.do(req[0], req[1], map[string]any{"data": map[string]any{"type": "buildUploads"}})
				if req[0] == "GET" {
					r = e.do(req[0], req[1], nil)
				}
				if r.status != 403 || r.errorCode(t) != tc.code || !strings.Contains(string(r.body), tc.title) {
					t.Errorf("%s %s: %d %s", req[0], req[1], r.status, r.body)
				}
				if r.header.Get("X-Rate-Limit") == "" {
					t.Errorf("%s %s: no X-Rate-Limit", req[0], req[1])
				}
			}
			if tc.form == AgreementLegacy {
				r := e.do("GET", "/v1/apps", nil)
				if !strings.Contains(string(r.body), "Program License Agreement") {
					t.Errorf("legacy detail does not name the agreement: %s", r.body)
				}
			}
			// The token is still checked first: a bad one gets 401.
			if r := e.do("GET", "/v1/apps", nil, "not-a-token"); r.status != 401 {
				t.Errorf("bad token: %d", r.status)
			}
			// The Account Holder accepts: the next request goes through.
			if err := e.srv.SetBlockers(Blockers{}); err != nil {
				t.Fatal(err)
			}
			if r := e.do("GET", "/v1/apps", nil); r.status != 200 {
				t.Errorf("after accepting: %d %s", r.status, r.body)
			}
		})
	}
}

func TestProcessingBlocker(t *testing.T) {
	custom := []StateMessage{{Code: "ITMS-90713", Description: "Missing Info.plist value - A value for the Info.plist key CFBundleIconName is missing."}}
	warn := []StateMessage{{Code: "ITMS-90725", Description: "SDK version issue."}}
	tests := []struct {
		name       string
		p          Processing
		wantUpload string
		wantBuild  string
		wantCode   string
	}{
		{"upload fails with its reasons", Processing{Outcome: ProcessingUploadFailed, Errors: custom, Warnings: warn}, StateFailed, "", "ITMS-90713"},
		{"upload fails with Apple's default", Processing{Outcome: ProcessingUploadFailed}, StateFailed, "", "ITMS-90062"},
		{"build ends INVALID", Processing{Outcome: ProcessingBuildInvalid, Warnings: warn}, StateComplete, "INVALID", "ITMS-90683"},
		{"build ends FAILED", Processing{Outcome: ProcessingBuildFailed, Errors: custom}, StateComplete, "FAILED", "ITMS-90713"},
		{"valid with warnings", Processing{Warnings: warn}, StateComplete, "VALID", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := DefaultData(newClock().Now())
			data.Blockers = &Blockers{Processing: &tt.p}
			e := newEnv(t, Config{Data: data, PartSize: 1024, UploadProcessingDelay: time.Minute, BuildProcessingDelay: time.Minute})
			id, fileID := e.uploadAll("50", makeIPA(t, DemoBundleID, "50", 5000), nil)
			if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, nil)); r.status != 200 {
				t.Fatalf("commit: %d %s", r.status, r.body)
			}
			e.clock.Advance(90 * time.Second) // upload decided, build still processing
			st, doc := e.uploadState(id)
			if st != tt.wantUpload {
				t.Fatalf("upload %s, want %s", st, tt.wantUpload)
			}
			if tt.wantBuild != "" {
				if errs, _ := dig(doc, "data", "attributes", "state", "errors").([]any); len(errs) != 0 {
					t.Errorf("errors before the build ended: %v", errs)
				}
			}
			e.clock.Advance(time.Minute)
			_, doc = e.uploadState(id)
			errs, _ := dig(doc, "data", "attributes", "state", "errors").([]any)
			if tt.wantCode == "" && len(errs) != 0 || tt.wantCode != "" && (len(errs) == 0 || dig(errs[0], "code") != tt.wantCode || dig(errs[0], "description") == "") {
				t.Errorf("errors %v, want %q", errs, tt.wantCode)
			}
			warns, _ := dig(doc, "data", "attributes", "state", "warnings").([]any)
			if len(warns) != len(tt.p.Warnings) || len(warns) > 0 && dig(warns[0], "code") != "ITMS-90725" {
				t.Errorf("warnings %v", warns)
			}
			if tt.wantUpload == StateFailed {
				f := e.mustGet("/v1/buildUploadFiles/" + fileID)
				if ferrs, _ := dig(f, "data", "attributes", "assetDeliveryState", "errors").([]any); len(ferrs) == 0 || dig(ferrs[0], "code") != tt.wantCode {
					t.Errorf("file state %v", dig(f, "data", "attributes", "assetDeliveryState"))
				}
				if dig(doc, "data", "relationships", "build", "data") != nil {
					t.Error("a failed upload has a build")
				}
				e.createUpload("50") // the build number is free again
				return
			}
			buildID := dig(doc, "data", "relationships", "build", "data", "id").(string)
			if b := e.mustGet("/v1/builds/" + buildID); dig(b, "data", "attributes", "processingState") != tt.wantBuild {
				t.Errorf("build %v", b["data"])
			}
			// An INVALID or FAILED build keeps its number, as at Apple.
			if r := e.do("POST", "/v1/buildUploads", uploadBody("50")); r.status != 409 {
				t.Errorf("same build number again: %d %s", r.status, r.body)
			}
		})
	}
}

func TestBlockersFlagsAndDataFile(t *testing.T) {
	for _, s := range []string{"", "accepted", "MISSING", "legacy"} {
		if _, err := ParseAgreement(s); err != nil {
			t.Errorf("ParseAgreement(%q): %v", s, err)
		}
	}
	if _, err := ParseAgreement("signed"); err == nil || !strings.Contains(err.Error(), "missing or legacy") {
		t.Errorf("ParseAgreement(signed) = %v", err)
	}
	for s, want := range map[string]string{"upload-failed": ProcessingUploadFailed, "build-invalid": ProcessingBuildInvalid, "Build-Failed": ProcessingBuildFailed, "warnings": ProcessingValid} {
		p, err := ParseProcessing(s)
		if err != nil || p == nil || p.Outcome != want || len(p.Warnings) != 1 {
			t.Errorf("ParseProcessing(%q) = %+v, %v", s, p, err)
		}
	}
	if p, err := ParseProcessing("valid"); p != nil || err != nil {
		t.Errorf("ParseProcessing(valid) = %+v, %v", p, err)
	}
	if _, err := ParseProcessing("rejected"); err == nil {
		t.Error("ParseProcessing(rejected) accepted")
	}
	good := `{"apps":[{"id":"1","bundleId":"a.b"}],"blockers":{"agreement":"legacy","processing":{"outcome":"build-invalid","errors":[{"code":"ITMS-90683","description":"Missing purpose string"}]}}}`
	d, err := ParseData([]byte(good))
	if err != nil || d.Blockers.Agreement != AgreementLegacy || d.Blockers.Processing.Errors[0].Code != "ITMS-90683" {
		t.Fatalf("ParseData = %+v, %v", d, err)
	}
	for _, bad := range []string{
		`{"blockers":{"agreement":"signed"}}`,
		`{"blockers":{"processing":{"outcome":"rejected"}}}`,
		`{"blockers":{"processing":{"outcome":"upload-failed","errors":[{"code":"ITMS-1"}]}}}`,
		`{"blockers":{"agreements":"missing"}}`,
	} {
		if _, err := ParseData([]byte(bad)); !errors.Is(err, ErrInvalidData) {
			t.Errorf("ParseData(%s) = %v", bad, err)
		}
	}
	// The data is copied: changing it afterwards changes nothing.
	s := New(Config{Data: d})
	defer s.Close()
	d.Blockers.Processing.Errors[0].Code = "changed"
	var out Data
	b, _ := json.Marshal(s.data)
	_ = json.Unmarshal(b, &out)
	if out.Blockers.Processing.Errors[0].Code != "ITMS-90683" {
		t.Error("the server shares the caller's blockers")
	}
}

// TestAgreementFromDataAnyCaseAndLifted: a data file's agreement is read
// in any case (as it is validated), and --agreement accepted lifts it.
func TestAgreementFromDataAnyCaseAndLifted(t *testing.T) {
	data := DefaultData(newClock().Now())
	data.Blockers = &Blockers{Agreement: "Missing"}
	if r := newEnv(t, Config{Data: data.clone()}).do("GET", "/v1/apps", nil); r.status != 403 {
		t.Errorf(`agreement "Missing" in the data file: %d, want 403`, r.status)
	}
	if err := data.OverrideBlockers(AgreementAccepted, ""); err != nil {
		t.Fatal(err)
	}
	if r := newEnv(t, Config{Data: data}).do("GET", "/v1/apps", nil); r.status != 200 {
		t.Errorf("after --agreement accepted: %d, want 200", r.status)
	}
}
