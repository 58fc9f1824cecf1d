package readiness

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/testkeys"
	"github.com/asc-action/asc-action/internal/token"
)

const (
	keyID  = "READY12345"
	issuer = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
)

// world is an emulator with the demo account, changed by edit, and a client
// whose every request and every answer is held to Apple's document.
func world(t *testing.T, role string, individual bool, rate int, edit func(*emulator.Data)) *asc.Client {
	t.Helper()
	k := testkeys.New(t)
	now := time.Now()
	data := emulator.DefaultData(now)
	if edit != nil {
		edit(data)
	}
	ek := emulator.Key{ID: keyID, IssuerID: issuer, Role: role, Individual: individual, Public: &k.Private.PublicKey}
	if individual {
		ek.IssuerID = ""
	}
	srv := emulator.New(emulator.Config{Keys: []emulator.Key{ek}, Data: data, RateLimitPerHour: rate})
	spec := contract.ForTest(t)
	checked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := spec.CheckRequest(r, body); err != nil {
			t.Error(err)
		}
		spec.Middleware(t, srv).ServeHTTP(w, r)
	})
	ts := httptest.NewServer(checked)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	opts := token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}
	if individual {
		opts = token.Options{KeyID: keyID, Type: token.Individual}
	}
	m, err := token.NewMinter(k.Private, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asc.New(ts.URL, token.NewSource(m, 0, nil), asc.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// find returns the checks named check.
func find(rep *Report, check string) []Check {
	var out []Check
	for _, c := range rep.Checks {
		if c.Check == check {
			out = append(out, c)
		}
	}
	return out
}

func TestRunAgainstTheEmulator(t *testing.T) {
	full := Plan{Upload: true, TestFlight: true, Audit: true}
	base := Config{Plan: full, BundleID: emulator.DemoBundleID, Platform: "IOS", ShortVersion: "1.0", BuildVersion: "2",
		Groups: []string{"Internal Testers", "Public Beta"}, Locale: "en-US"}
	cases := []struct {
		name       string
		role       string
		individual bool
		rate       int
		edit       func(*emulator.Data)
		cfg        func(*Config)
		check      string
		result     string
		says       []string
		next       string
	}{
		{name: "ready", check: "rate-limit", result: OK, next: "2"},
		{name: "build number taken by a build", cfg: func(c *Config) { c.BuildVersion = "1" }, check: "build-number", result: Blocker,
			says: []string{"taken", "BUILD00001", "skip-existing", "next free one is 2"}, next: "2"},
		{name: "build number held by an upload in flight",
			edit: func(d *emulator.Data) {
				if err := d.AddUploadsInFlight("1.0:5", time.Now()); err != nil {
					t.Fatal(err)
				}
			},
			cfg: func(c *Config) { c.BuildVersion = "5" }, check: "build-number", result: Blocker, says: []string{"in flight", "INFLIGHT01", "next free one is 6"}, next: "6"},
		{name: "build number held by an upload never committed",
			edit: func(d *emulator.Data) {
				d.BuildUploads = append(d.BuildUploads, emulator.BuildUploadSeed{ID: "STALE01", App: "1000000001", ShortVersion: "1.0", Version: "6", State: emulator.StateAwaitingUpload})
			},
			cfg: func(c *Config) { c.BuildVersion = "6" }, check: "build-number", result: Warning, says: []string{"STALE01", "another run may be sending it", "deletes"}, next: "7"},
		{name: "encryption declaration not approved yet",
			edit:  func(d *emulator.Data) { d.AppEncryptionDeclarations[0].State = "IN_REVIEW" },
			check: "export-compliance", result: Warning, says: []string{"IN_REVIEW", "uses-non-exempt-encryption"}},
		{name: "group misspelt", cfg: func(c *Config) { c.Groups = []string{"Publc Beta"} }, check: "testflight-group", result: Blocker,
			says: []string{`Did you mean "Public Beta"?`, "testflight-groups", "TestFlight"}},
		{name: "beta review details missing", edit: func(d *emulator.Data) { must(t, d.WithoutBetaAppInfo(emulator.MissingBetaReviewDetails)) },
			check: "beta-review-details", result: Blocker, says: []string{"contact first name", "Beta App Review Information"}},
		{name: "beta app localization missing", edit: func(d *emulator.Data) { must(t, d.WithoutBetaAppInfo(emulator.MissingBetaAppLocalization)) },
			check: "beta-app-localization", result: Blocker, says: []string{"Test Information"}},
		{name: "encryption declaration missing", edit: func(d *emulator.Data) { must(t, d.WithoutBetaAppInfo(emulator.MissingEncryption)) },
			check: "export-compliance", result: Blocker, says: []string{"uses-non-exempt-encryption", "App Encryption Documentation"}},
		{name: "encryption answered by the input", edit: func(d *emulator.Data) { must(t, d.WithoutBetaAppInfo(emulator.MissingEncryption)) },
			cfg: func(c *Config) { c.Encryption = ptr(false) }, check: "export-compliance", result: OK},
		{name: "locale misspelt", cfg: func(c *Config) { c.Locale = "en_US" }, check: "whats-new-locale", result: Blocker, says: []string{"whats-new-locale: en-US."}},
		{name: "locale without its region", cfg: func(c *Config) { c.Locale = "en" }, check: "whats-new-locale", result: Blocker, says: []string{"en-GB or", "en-US"}},
		{name: "app missing", cfg: func(c *Config) { c.BundleID = "com.example.nope" }, check: "app", result: Blocker, says: []string{"com.example.nope", "App Store Connect > Apps"}},
		{name: "role may not read TestFlight", role: emulator.RoleFinance, check: "role-testflight", result: Blocker, says: []string{"403", "Admin or App Manager", "Users and Access"}},
		{name: "individual key cannot audit", individual: true, check: "role-audit", result: Blocker, says: []string{"individual key", "team key"}},
		{name: "request budget low", rate: 2, cfg: func(c *Config) { c.Plan = Plan{Audit: true} }, check: "rate-limit", result: Warning, says: []string{"left this hour", "own key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := world(t, tc.role, tc.individual, tc.rate, tc.edit)
			cfg := base
			cfg.Groups = append([]string(nil), base.Groups...)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			cfg.Individual = tc.individual
			rep := Run(context.Background(), c, cfg)
			got := find(rep, tc.check)
			if len(got) == 0 {
				t.Fatalf("no %s check among %+v", tc.check, rep.Checks)
			}
			hit := got[0]
			for _, g := range got {
				if g.Result == tc.result {
					hit = g
				}
			}
			if hit.Result != tc.result {
				t.Fatalf("%s = %s (%s %s); want %s", tc.check, hit.Result, hit.Message, hit.Fix, tc.result)
			}
			for _, s := range tc.says {
				if !strings.Contains(hit.Message+" "+hit.Fix, s) {
					t.Errorf("%s check says %q %q; want it to mention %q", tc.check, hit.Message, hit.Fix, s)
				}
			}
			for _, c := range rep.Checks {
				if (c.Result == Blocker || c.Result == Warning) && !namesAFix(c.Fix) {
					t.Errorf("%s check's fix %q names no input and no App Store Connect page", c.Check, c.Fix)
				}
			}
			if tc.next != "" && rep.NextBuildNumber != tc.next {
				t.Errorf("next build number %q; want %q", rep.NextBuildNumber, tc.next)
			}
			if tc.name == "ready" {
				if b, w := rep.Counts(); b != 0 || w != 0 {
					t.Errorf("the demo account is not ready: %+v", rep.Checks)
				}
			}
		})
	}
}

// namesAFix reports whether a fix names an input or the App Store Connect
// page where the fix is made.
func namesAFix(fix string) bool {
	for _, w := range []string{"App Store Connect >", "Users and Access", "app-id", "bundle-id", "app-path", "build-version",
		"testflight-groups", "whats-new-locale", "uses-non-exempt-encryption", "skip-existing", "platform", "api-url"} {
		if strings.Contains(fix, w) {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestParsePlan(t *testing.T) {
	for in, want := range map[string]Plan{"": {}, "upload": {Upload: true}, "upload, testflight": {Upload: true, TestFlight: true}, "AUDIT\nupload": {Upload: true, Audit: true}} {
		got, err := ParsePlan(in)
		if err != nil || got != want {
			t.Errorf("ParsePlan(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := ParsePlan("upload,release"); err == nil || !strings.Contains(err.Error(), `"release"`) || !strings.Contains(err.Error(), "plan:") {
		t.Errorf("ParsePlan(upload,release) error %v; want one naming plan and the bad step", err)
	}
}

func TestBuildNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "1"}, {[]string{"41", "9", "100"}, "101"}, {[]string{"1.2.9", "1.2.10", "1.1"}, "1.2.11"}, {[]string{"abc", "7"}, "8"}, {[]string{"2", "1.9"}, "3"},
	} {
		var high []int
		for _, v := range tc.in {
			if p, ok := parseBuildNumber(v); ok && (high == nil || compareNumbers(p, high) > 0) {
				high = p
			}
		}
		got := "1"
		if high != nil {
			high[len(high)-1]++
			got = formatNumber(high)
		}
		if got != tc.want {
			t.Errorf("next after %v = %s; want %s", tc.in, got, tc.want)
		}
	}
	if _, ok := parseBuildNumber("1.2.3.4"); ok {
		t.Error("four integers taken as a build number")
	}
}

func TestClosest(t *testing.T) {
	names := []string{"Internal Testers", "Public Beta"}
	for in, want := range map[string]string{"Publc Beta": "Public Beta", "public beta ": "Public Beta", "Internal": "", "QA": ""} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q; want %q", in, got, want)
		}
	}
}

// FuzzBuildNumber holds the reading of build numbers App Store Connect
// sends: one read is written back the same, and the next is higher.
func FuzzBuildNumber(f *testing.F) {
	for _, s := range []string{"1", "42", "1.2.9", "007", "1..2", "-1", "+3", "1.2.3.4", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseBuildNumber(s)
		if !ok {
			return
		}
		q, ok := parseBuildNumber(formatNumber(p))
		if !ok || compareNumbers(p, q) != 0 {
			t.Fatalf("%q read as %v, written as %q", s, p, formatNumber(p))
		}
		next := append([]int(nil), p...)
		next[len(next)-1]++
		if next[len(next)-1] > p[len(p)-1] && compareNumbers(next, p) <= 0 {
			t.Fatalf("the next of %q (%v) is not higher", s, next)
		}
	})
}
