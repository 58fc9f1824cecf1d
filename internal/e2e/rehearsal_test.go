package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/emulator"
)

// TestRehearsedUploadToTestFlightGroups rehearses examples/release.yml's
// upload step: any bundle ID (the app the rehearsal creates gets the beta
// groups the step names), and the demo app's own bundle ID with a build
// number of its own.
func TestRehearsedUploadToTestFlightGroups(t *testing.T) {
	k := newKey(t)
	cases := []struct{ name, bundle, build, groups, want string }{
		{"another app, the demo's group names", "com.acme.shop", "78", "Internal Testers", "Internal Testers"},
		{"another app, groups of its own", "com.acme.shop", "79", "QA\nFriends", "QA,Friends"},
		{"the demo app, a new build", emulator.DemoBundleID, "42", "Internal Testers\nNightly", "Internal Testers,Nightly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := writeIPAFor(t, tc.bundle, tc.build, 1<<20)
			s := runStep(t, map[string]string{"command": "upload", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer,
				"api-url": "emulator", "app-path": path, "poll-interval": "1s", "testflight-groups": tc.groups, "whats-new": "Rehearsed."})
			if s.code != 0 {
				t.Fatalf("exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
			}
			if s.outputs["testflight-groups-added"] != tc.want || s.outputs["processing-state"] != "VALID" {
				t.Errorf("testflight-groups-added %q processing-state %q, want %q VALID", s.outputs["testflight-groups-added"], s.outputs["processing-state"], tc.want)
			}
			if !strings.Contains(s.stdout, "title=rehearsal") {
				t.Errorf("no rehearsal notice:\n%s", actionstest.Masked(s.stdout, s.stdout))
			}
			assertNoLeak(t, s, k.material())
		})
	}
}

// TestRehearsedNightlyExpiryPasses rehearses examples/nightly-expiry.yml's
// step (fail-days 7, create-issue true): the rehearsal's account has nothing
// expired, so the audit passes with warnings, and the tracking issue is
// only described, never written to GitHub (the step's token and repository
// point at a server that fails the test when called).
func TestRehearsedNightlyExpiryPasses(t *testing.T) {
	k := newKey(t)
	gh := githubThatMustNotBeCalled(t)
	s := runStep(t, map[string]string{"command": "check-expiry", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer,
		"fail-days": "7", "create-issue": "true", "github-token": "ghs_rehearsalTokenNotForUse000000000000"},
		"ASC_API_URL=emulator", "GITHUB_REPOSITORY=acme/shop", "GITHUB_API_URL="+gh)
	if s.code != 0 {
		t.Fatalf("exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	if s.outputs["expiring-count"] == "" || s.outputs["expiring-count"] == "0" {
		t.Errorf("expiring-count %q: the rehearsal's account should still show what is expiring soon", s.outputs["expiring-count"])
	}
	if !strings.Contains(s.stdout, "rehearsal") || !strings.Contains(strings.ToLower(s.summary), "rehearsal") {
		t.Errorf("neither the log nor the summary says this was a rehearsal:\n%s\n%s", actionstest.Masked(s.stdout, s.stdout), s.summary)
	}
}

// githubThatMustNotBeCalled is a GitHub API whose every request fails the
// test; its URL stands in for GITHUB_API_URL.
func githubThatMustNotBeCalled(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a rehearsal called GitHub: %s %s", r.Method, r.URL.Path)
		http.Error(w, "not in a rehearsal", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}
