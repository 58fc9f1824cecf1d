package emulator

import (
	"strings"
	"testing"
)

// The data file reaches every readiness blocker: Beta App Review details,
// beta app localizations and encryption declarations as given (or left
// out), and build uploads another run left in flight, which hold their
// build number against a new upload as Apple's do.
func TestDataFileBlockers(t *testing.T) {
	data, err := ParseData([]byte(`{
	  "apps": [{"id": "1", "bundleId": "com.x"}],
	  "betaAppReviewDetails": [{"app": "1", "contactFirstName": "Jane", "demoAccountRequired": true}],
	  "appEncryptionDeclarations": [{"id": "D1", "app": "1", "appEncryptionDeclarationState": "IN_REVIEW"}],
	  "buildUploads": [{"id": "U1", "app": "1", "cfBundleShortVersionString": "1.0", "cfBundleVersion": "7"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Data: data})
	d := e.mustGet("/v1/apps/1/betaAppReviewDetail")
	if dig(d, "data", "attributes", "contactFirstName") != "Jane" || dig(d, "data", "attributes", "contactEmail") != nil || dig(d, "data", "id") != "1" {
		t.Errorf("review detail %v", d)
	}
	if l := e.mustGet("/v1/apps/1/betaAppLocalizations"); len(l["data"].([]any)) != 0 {
		t.Errorf("localizations %v; want none", l)
	}
	if s := dig(e.mustGet("/v1/apps/1/appEncryptionDeclarations"), "data", 0, "attributes", "appEncryptionDeclarationState"); s != "IN_REVIEW" {
		t.Errorf("declaration state %v", s)
	}
	u := e.mustGet("/v1/apps/1/buildUploads")
	if dig(u, "data", 0, "id") != "U1" || dig(u, "data", 0, "attributes", "state", "state") != StateProcessing {
		t.Errorf("seeded upload %v", u)
	}
	// A request later (processing is advanced on each), it is still in flight.
	if s := dig(e.mustGet("/v1/buildUploads/U1"), "data", "attributes", "state", "state"); s != StateProcessing {
		t.Errorf("seeded upload moved to %v", s)
	}
	r := e.do("POST", "/v1/buildUploads", map[string]any{"data": map[string]any{"type": "buildUploads",
		"attributes":    map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": "7", "platform": "IOS"},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": "1"}}}}})
	if r.status != 409 {
		t.Errorf("a second upload of build 7: %d %s; want 409", r.status, r.body)
	}
}

func TestDataFileBlockersRefused(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"apps":[{"id":"1","bundleId":"x"}],"buildUploads":[{"id":"U","app":"1","cfBundleShortVersionString":"1","cfBundleVersion":"2","state":"COMPLETE"}]}`, "buildUploads[0]: state"},
		{`{"apps":[{"id":"1","bundleId":"x"}],"buildUploads":[{"id":"U","app":"2","cfBundleShortVersionString":"1","cfBundleVersion":"2"}]}`, "buildUploads[0]"},
		{`{"apps":[{"id":"1","bundleId":"x"}],"appEncryptionDeclarations":[{"id":"D","app":"1","appEncryptionDeclarationState":"DONE"}]}`, "appEncryptionDeclarations[0]"},
		{`{"apps":[{"id":"1","bundleId":"x"}],"betaAppLocalizations":[{"id":"L","app":"1"}]}`, "betaAppLocalizations[0]"},
		{`{"apps":[{"id":"1","bundleId":"x"}],"betaAppReviewDetails":[{"app":"1"},{"app":"1"}]}`, "betaAppReviewDetails"},
	} {
		if _, err := ParseData([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseData(%s) = %v; want an error naming %s", tc.data, err, tc.want)
		}
	}
}
