package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/emulator"
)

// A blocker of the readiness check, as each server is made to show it:
// the emulator (its data and the key's role) and a plain server answering
// what Apple answers (appleAccount).
type blocker struct {
	name   string
	inputs map[string]string
	// emulator sets the emulator up; apple the Apple-shaped server.
	emulator func(*emulator.Data, *emulator.Key)
	apple    func(*appleAccount)
	check    string
	result   string
	says     []string
	exit     int
	next     string
	// rate is the emulator's hourly budget (0: its default).
	rate int
}

var blockers = []blocker{
	{name: "build number taken by a build", inputs: map[string]string{"build-version": "1"},
		apple: func(a *appleAccount) { a.builds = append(a.builds, appleBuild{"BUILD00001", "1", "1.0", "VALID"}) },
		check: "build-number", result: "blocker", says: []string{"taken", "BUILD00001", "skip-existing"}, exit: 1, next: "2"},
	{name: "build number held by an upload in flight", inputs: map[string]string{"build-version": "7"},
		emulator: func(d *emulator.Data, _ *emulator.Key) { mustDo(d.AddUploadsInFlight("1.0:7", time.Now())) },
		apple: func(a *appleAccount) {
			a.uploads = append(a.uploads, appleUpload{"INFLIGHT01", "1.0", "7", "PROCESSING"})
		},
		check: "build-number", result: "blocker", says: []string{"in flight", "INFLIGHT01", "next free one is 8"}, exit: 1, next: "8"},
	{name: "first build for another platform is a warning", inputs: map[string]string{"platform": "MAC_OS"},
		apple: func(a *appleAccount) {},
		check: "platform", result: "warning", says: []string{"IOS", "MAC_OS", "Add Platform"}, exit: 0},
	{name: "group misspelt", inputs: map[string]string{"testflight-groups": "Publc Beta"},
		check: "testflight-group", result: "blocker", says: []string{`Did you mean \"Public Beta\"?`, "testflight-groups"}, exit: 1},
	{name: "beta review details missing",
		emulator: func(d *emulator.Data, _ *emulator.Key) {
			mustDo(d.WithoutBetaAppInfo(emulator.MissingBetaReviewDetails))
		},
		apple: func(a *appleAccount) { a.reviewContact = false },
		check: "beta-review-details", result: "blocker", says: []string{"contact first name", "Beta App Review Information"}, exit: 1},
	{name: "beta app localization missing",
		emulator: func(d *emulator.Data, _ *emulator.Key) {
			mustDo(d.WithoutBetaAppInfo(emulator.MissingBetaAppLocalization))
		},
		apple: func(a *appleAccount) { a.localizations = nil },
		check: "beta-app-localization", result: "blocker", says: []string{"Test Information"}, exit: 1},
	{name: "encryption declaration missing", inputs: map[string]string{"uses-non-exempt-encryption": ""},
		emulator: func(d *emulator.Data, _ *emulator.Key) { mustDo(d.WithoutBetaAppInfo(emulator.MissingEncryption)) },
		apple:    func(a *appleAccount) { a.declarations = nil },
		check:    "export-compliance", result: "blocker", says: []string{"uses-non-exempt-encryption", "App Encryption Documentation"}, exit: 1},
	{name: "locale misspelt", inputs: map[string]string{"whats-new-locale": "en_US"},
		check: "whats-new-locale", result: "blocker", says: []string{"whats-new-locale: en-US"}, exit: 1},
	{name: "no such app", inputs: map[string]string{"bundle-id": "com.example.nope"},
		apple: func(a *appleAccount) { a.bundleID = "com.example.demo" },
		check: "app", result: "blocker", says: []string{"com.example.nope", "App Store Connect > Apps"}, exit: 1},
	{name: "role may not read TestFlight",
		emulator: func(_ *emulator.Data, k *emulator.Key) { k.Role = emulator.RoleFinance },
		apple:    func(a *appleAccount) { a.forbidden = "/v1/betaGroups" },
		check:    "role-testflight", result: "blocker", says: []string{"403", "Admin or App Manager", "Users and Access"}, exit: 1},
	{name: "an individual key cannot audit", inputs: map[string]string{"plan": "audit", "issuer-id": "", "key-type": "individual"},
		emulator: func(_ *emulator.Data, k *emulator.Key) { k.IssuerID, k.Individual = "", true },
		check:    "role-audit", result: "blocker", says: []string{"individual key", "team key", "allow-incomplete"}, exit: 1},
	{name: "request budget low is a warning", inputs: map[string]string{"plan": "audit"},
		apple: func(a *appleAccount) { a.rate = "user-hour-lim:3600;user-hour-rem:12;" },
		check: "rate-limit", result: "warning", says: []string{"left this hour"}, exit: 0, rate: 3},
	{name: "a warning fails with fail-on: warning", inputs: map[string]string{"plan": "audit", "fail-on": "warning"},
		apple: func(a *appleAccount) { a.rate = "user-hour-lim:3600;user-hour-rem:12;" },
		check: "rate-limit", result: "warning", says: []string{"left this hour"}, exit: 1, rate: 3},
}

func mustDo(err error) {
	if err != nil {
		panic(err)
	}
}

// readinessInputs are the inputs of a verify step with the release's plan,
// which each case changes.
func readinessInputs(k testKey, url string, change map[string]string) map[string]string {
	in := map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url,
		"plan": "upload,testflight", "bundle-id": emulator.DemoBundleID, "short-version": "1.0", "build-version": "2",
		"testflight-groups": "Internal Testers\nPublic Beta", "uses-non-exempt-encryption": "false"}
	for name, v := range change {
		in[name] = v
	}
	return in
}

// checkBlocker runs the step and holds its outputs, summary and log to the
// case.
func checkBlocker(t *testing.T, b blocker, k testKey, url string) {
	t.Helper()
	s := runStep(t, readinessInputs(k, url, b.inputs))
	log := actionstest.Masked(s.stdout, s.stdout)
	if s.code != b.exit {
		t.Fatalf("exit %d; want %d\n%s\n%s", s.code, b.exit, log, s.summary)
	}
	if s.outputs["key-status"] != "valid" || s.outputs["reason"] != "valid" {
		t.Errorf("key-status %q reason %q; want valid, valid", s.outputs["key-status"], s.outputs["reason"])
	}
	var checks []struct{ Check, Subject, Result, Message, Fix string }
	if err := json.Unmarshal([]byte(s.outputs["checks"]), &checks); err != nil {
		t.Fatalf("checks output: %v: %q", err, s.outputs["checks"])
	}
	if len(checks) == 0 || checks[0].Check != "key" || checks[0].Result != "ok" {
		t.Errorf("checks do not start with the key's: %+v", checks)
	}
	found := false
	for _, c := range checks {
		if c.Check == b.check && c.Result == b.result {
			found = true
			for _, w := range b.says {
				if !strings.Contains(strings.ReplaceAll(c.Message+" "+c.Fix, `"`, `\"`), w) {
					t.Errorf("%s check %q %q does not say %q", c.Check, c.Message, c.Fix, w)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no %s check with result %s in %+v", b.check, b.result, checks)
	}
	if !strings.Contains(s.summary, "| Check | Result | What to do |") || !strings.Contains(s.summary, b.check) {
		t.Errorf("summary has no readiness table naming %s:\n%s", b.check, s.summary)
	}
	if b.result == "blocker" && !strings.Contains(s.stdout, "::error title=readiness%3A "+b.check) {
		t.Errorf("no error annotation for %s:\n%s", b.check, log)
	}
	if b.next != "" && s.outputs["next-build-number"] != b.next {
		t.Errorf("next-build-number %q; want %q", s.outputs["next-build-number"], b.next)
	}
	assertNoLeak(t, s, k.material())
}

func TestReadinessBlockersAgainstTheEmulator(t *testing.T) {
	for _, b := range blockers {
		t.Run(b.name, func(t *testing.T) {
			k := newKey(t)
			data := emulator.DefaultData(time.Now())
			key := emulator.Key{ID: keyID, IssuerID: issuer, Public: &k.priv.PublicKey}
			if b.emulator != nil {
				b.emulator(data, &key)
			}
			// A rate of 3: the key check and two audit reads leave nothing.
			srv := emulator.New(emulator.Config{Keys: []emulator.Key{key}, Data: data, RateLimitPerHour: b.rate})
			ts := httptest.NewServer(srv)
			t.Cleanup(func() { ts.Close(); srv.Close() })
			checkBlocker(t, b, k, ts.URL)
		})
	}
}

func TestReadinessBlockersAgainstApple(t *testing.T) {
	for _, b := range blockers {
		t.Run(b.name, func(t *testing.T) {
			k := newKey(t)
			a := newAppleAccount()
			if b.apple != nil {
				b.apple(a)
			}
			checkBlocker(t, b, k, a.serve(t))
		})
	}
}

func TestReadinessReadyAgainstBoth(t *testing.T) {
	k := newKey(t)
	_, emu := emulatorFor(t, k, emulator.Config{})
	for name, url := range map[string]string{"emulator": emu, "apple": newAppleAccount().serve(t)} {
		s := runStep(t, readinessInputs(k, url, map[string]string{"plan": "upload,testflight,audit"}))
		if s.code != 0 || !strings.Contains(s.summary, "✅ ready") || s.outputs["next-build-number"] != "2" {
			t.Errorf("%s: exit %d next %q\n%s\n%s", name, s.code, s.outputs["next-build-number"], actionstest.Masked(s.stdout, s.stdout), s.summary)
		}
	}
}

func TestNextBuildNumberStep(t *testing.T) {
	k := newKey(t)
	data := emulator.DefaultData(time.Now())
	mustDo(data.AddUploadsInFlight("1.0:9", time.Now()))
	_, emu := emulatorFor(t, k, emulator.Config{Data: data})
	a := newAppleAccount()
	a.uploads = append(a.uploads, appleUpload{"INFLIGHT01", "1.0", "9", "PROCESSING"}, appleUpload{"FAILED01", "1.0", "12", "FAILED"})
	for name, url := range map[string]string{"emulator": emu, "apple": a.serve(t)} {
		s := runStep(t, map[string]string{"command": "next-build-number", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer,
			"api-url": url, "bundle-id": emulator.DemoBundleID, "short-version": "1.0"})
		if s.code != 0 || s.outputs["next-build-number"] != "10" || s.outputs["highest-build-number"] != "9" {
			t.Errorf("%s: exit %d outputs %v\n%s", name, s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
		}
		if !strings.Contains(s.summary, "Next build number: **10**") {
			t.Errorf("%s: summary %s", name, s.summary)
		}
		assertNoLeak(t, s, k.material())
	}
}

// appleAccount is a plain HTTP server answering the reads of a readiness
// check as App Store Connect answers them (documents and error bodies as
// Apple sends them; every request and answer is held to Apple's document):
// the demo app with build 1 (VALID), groups "Internal Testers" and "Public
// Beta" (external), review contact, test information and an approved
// encryption declaration, until a case takes something away.
type appleAccount struct {
	bundleID      string
	builds        []appleBuild
	uploads       []appleUpload
	reviewContact bool
	localizations []string
	declarations  []string
	forbidden     string
	rate          string
	platform      string
}

type appleBuild struct{ id, version, short, state string }
type appleUpload struct{ id, short, version, state string }

func newAppleAccount() *appleAccount {
	return &appleAccount{bundleID: emulator.DemoBundleID, builds: []appleBuild{{"BUILD00001", "1", "1.0", "VALID"}}, reviewContact: true,
		localizations: []string{"en-US"}, declarations: []string{"APPROVED"}, rate: "user-hour-lim:3600;user-hour-rem:3541;", platform: "IOS"}
}

const appleBase = "https://api.appstoreconnect.apple.com/v1/"

func (a *appleAccount) serve(t *testing.T) string {
	spec := contract.ForTest(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := spec.CheckRequest(r, body); err != nil {
			t.Error(err)
		}
		rec := contract.NewRecorder(w)
		a.answer(rec, r)
		check := r.Clone(r.Context())
		check.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := spec.CheckResponse(check, rec.Status, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Error(err)
		}
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func resource(typ, id string, attrs map[string]any) map[string]any {
	return map[string]any{"type": typ, "id": id, "attributes": attrs, "links": map[string]any{"self": appleBase + typ + "/" + id}}
}

func (a *appleAccount) answer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Rate-Limit", a.rate)
	p := r.URL.Path
	if a.forbidden != "" && strings.HasPrefix(p, a.forbidden) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"errors":[{"id":"5b2b1b2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b","status":"403","code":"FORBIDDEN_ERROR","title":"This request is forbidden for security reasons","detail":"The API key in use does not allow this request"}]}`)
		return
	}
	q := r.URL.Query()
	var data any = []any{}
	switch {
	case p == "/v1/apps":
		apps := []any{}
		if b := q.Get("filter[bundleId]"); b == "" || b == a.bundleID {
			apps = append(apps, resource("apps", "1000000001", map[string]any{"name": "Demo", "bundleId": a.bundleID, "sku": "DEMO", "primaryLocale": "en-US"}))
		}
		data = apps
	case p == "/v1/builds":
		list := []any{}
		for _, b := range a.builds {
			if (q.Get("filter[version]") == "" || q.Get("filter[version]") == b.version) && (q.Get("filter[preReleaseVersion.version]") == "" || q.Get("filter[preReleaseVersion.version]") == b.short) &&
				(q.Get("filter[preReleaseVersion.platform]") == "" || q.Get("filter[preReleaseVersion.platform]") == a.platform) {
				list = append(list, resource("builds", b.id, map[string]any{"version": b.version, "processingState": b.state}))
			}
		}
		data = list
	case p == "/v1/apps/1000000001/buildUploads":
		list := []any{}
		for _, u := range a.uploads {
			if v := q.Get("filter[cfBundleVersion]"); (v == "" || v == u.version) && (q.Get("filter[platform]") == "" || q.Get("filter[platform]") == "IOS") {
				list = append(list, resource("buildUploads", u.id, map[string]any{"cfBundleShortVersionString": u.short, "cfBundleVersion": u.version,
					"platform": "IOS", "createdDate": "2026-12-07T10:00:00Z", "state": map[string]any{"state": u.state, "errors": []any{}, "warnings": []any{}, "infos": []any{}}}))
			}
		}
		data = list
	case p == "/v1/preReleaseVersions":
		data = []any{resource("preReleaseVersions", "PRV0000001", map[string]any{"version": "1.0", "platform": a.platform})}
	case p == "/v1/betaGroups":
		data = []any{
			resource("betaGroups", "GROUP00001", map[string]any{"name": "Internal Testers", "isInternalGroup": true, "hasAccessToAllBuilds": false, "publicLinkEnabled": false, "feedbackEnabled": true}),
			resource("betaGroups", "GROUP00002", map[string]any{"name": "Public Beta", "isInternalGroup": false, "hasAccessToAllBuilds": false, "publicLinkEnabled": false, "feedbackEnabled": true}),
		}
	case p == "/v1/apps/1000000001/betaAppReviewDetail":
		attrs := map[string]any{"demoAccountRequired": false}
		if a.reviewContact {
			attrs = map[string]any{"contactFirstName": "Jane", "contactLastName": "Doe", "contactPhone": "+1 408 555 0100", "contactEmail": "beta-review@example.com", "demoAccountRequired": false}
		}
		data = resource("betaAppReviewDetails", "1000000001", attrs)
	case p == "/v1/apps/1000000001/betaAppLocalizations":
		list := []any{}
		for i, l := range a.localizations {
			list = append(list, resource("betaAppLocalizations", fmt.Sprintf("BETALOC%03d", i+1), map[string]any{"locale": l, "feedbackEmail": "beta@example.com"}))
		}
		data = list
	case p == "/v1/apps/1000000001/appEncryptionDeclarations":
		list := []any{}
		for i, s := range a.declarations {
			list = append(list, resource("appEncryptionDeclarations", fmt.Sprintf("ENCDECL%03d", i+1), map[string]any{"appEncryptionDeclarationState": s, "exempt": true}))
		}
		data = list
	case p == "/v1/betaBuildLocalizations", p == "/v1/certificates", p == "/v1/profiles":
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"id":"0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d","status":"404","code":"NOT_FOUND","title":"The specified resource does not exist","detail":"The path provided does not match a defined resource type."}]}`)
		return
	}
	doc := map[string]any{"data": data, "links": map[string]any{"self": appleBase + strings.TrimPrefix(p, "/v1/")}}
	if _, list := data.([]any); list {
		doc["meta"] = map[string]any{"paging": map[string]any{"total": len(data.([]any)), "limit": 50}}
	}
	json.NewEncoder(w).Encode(doc)
}

// TestReadinessRehearsalPlaysBlockers: a rehearsal (api-url: emulator) plays
// the readiness blockers through the emulator command's variables, for the
// step's own app, so a pull-request check shows each message before a
// release meets it.
func TestReadinessRehearsalPlaysBlockers(t *testing.T) {
	k := newKey(t)
	in := readinessInputs(k, "emulator", map[string]string{"bundle-id": "com.example.other", "build-version": "7",
		"testflight-groups": "", "plan": "upload"})
	s := runStep(t, in, emulator.EnvUploadsInFlight+"=1.0:7")
	if s.code != 1 || s.outputs["next-build-number"] != "8" || !strings.Contains(s.stdout, emulator.EnvUploadsInFlight) {
		t.Errorf("in flight: exit %d next %q\n%s", s.code, s.outputs["next-build-number"], actionstest.Masked(s.stdout, s.stdout))
	}
	in = readinessInputs(k, "emulator", nil)
	s = runStep(t, in, emulator.EnvMissing+"="+emulator.MissingBetaAppLocalization)
	if s.code != 1 || !strings.Contains(s.outputs["checks"], `"check":"beta-app-localization","result":"blocker"`) {
		t.Errorf("missing localization: exit %d checks %s", s.code, s.outputs["checks"])
	}
	s = runStep(t, in, emulator.EnvMissing+"=everything")
	if s.code == 0 || !strings.Contains(s.stdout, emulator.EnvMissing+`: "everything" is not something`) {
		t.Errorf("a bad %s: exit %d\n%s", emulator.EnvMissing, s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	assertNoLeak(t, s, k.material())
}

// TestReadinessRehearsalHoldsTheGroups: a rehearsed readiness check finds
// the groups the plan names, as the rehearsed upload does, so it passes
// where the rehearsed release passes.
func TestReadinessRehearsalHoldsTheGroups(t *testing.T) {
	k := newKey(t)
	s := runStep(t, readinessInputs(k, "emulator", map[string]string{"plan": "testflight", "testflight-groups": "QA"}))
	if s.code != 0 || !strings.Contains(s.outputs["checks"], `"check":"testflight-group","subject":"QA","result":"ok"`) {
		t.Errorf("exit %d checks %s", s.code, s.outputs["checks"])
	}
}
