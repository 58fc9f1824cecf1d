package checkexpiry

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"howett.net/plist"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/expiry"
	"github.com/asc-action/asc-action/internal/expiry/localfile/localfiletest"
	"github.com/asc-action/asc-action/internal/testkeys"
)

const (
	keyID  = "ABCDE12345"
	issuer = "57246542-96fe-1a63-e053-0824d011072a"
)

var now = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func in(days int) time.Time { return now.Add(time.Duration(days)*24*time.Hour + time.Hour) }

type testKey struct {
	priv *ecdsa.PrivateKey
	pem  string
}

func newKey(t *testing.T) testKey {
	t.Helper()
	k := testkeys.New(t)
	return testKey{priv: k.Private, pem: k.PEM}
}

// fillers is how many healthy items of each kind are seeded besides the
// four dated ones: with the 200-item pages the command asks for, each
// collection takes two pages.
const fillers = 206

// seed holds certificates and profiles at past, 3, 10 and 45 days, plus
// many healthy ones, and one profile Apple still shows ACTIVE after expiry.
func seed() *emulator.Data {
	d := &emulator.Data{Apps: []emulator.App{{ID: "1000000001", BundleID: "com.example.app", Name: "Example"}}}
	d.Certificates = []emulator.Certificate{
		{ID: "cert-past", Name: "Old Dev", CertificateType: "IOS_DEVELOPMENT", SerialNumber: "0A", ExpirationDate: in(-5)},
		{ID: "cert-3", Name: "Dist 3", CertificateType: "DISTRIBUTION", SerialNumber: "03", ExpirationDate: in(3)},
		{ID: "cert-10", Name: "Dist 10", CertificateType: "DISTRIBUTION", SerialNumber: "10", ExpirationDate: in(10)},
		{ID: "cert-45", Name: "Dist 45", CertificateType: "DISTRIBUTION", SerialNumber: "45", ExpirationDate: in(45)},
	}
	d.Profiles = []emulator.Profile{
		{ID: "prof-past", Name: "Legacy Store", ProfileType: "IOS_APP_STORE", ProfileState: "ACTIVE", UUID: "u-past", ExpirationDate: in(-2)},
		{ID: "prof-3", Name: "App Store 3", ProfileType: "IOS_APP_STORE", ProfileState: "ACTIVE", UUID: "u-3", ExpirationDate: in(3)},
		{ID: "prof-10", Name: "App AdHoc 10", ProfileType: "IOS_APP_ADHOC", ProfileState: "ACTIVE", UUID: "u-10", ExpirationDate: in(10)},
		{ID: "prof-45", Name: "App Store 45", ProfileType: "IOS_APP_STORE", ProfileState: "ACTIVE", UUID: "u-45", ExpirationDate: in(45)},
	}
	for i := range fillers {
		d.Certificates = append(d.Certificates, emulator.Certificate{ID: fmt.Sprintf("cert-ok-%03d", i), Name: fmt.Sprintf("Dist ok %03d", i),
			CertificateType: "DISTRIBUTION", SerialNumber: fmt.Sprintf("F%03d", i), ExpirationDate: in(400 + i)})
		d.Profiles = append(d.Profiles, emulator.Profile{ID: fmt.Sprintf("prof-ok-%03d", i), Name: fmt.Sprintf("App Store ok %03d", i),
			ProfileType: "IOS_APP_STORE", ProfileState: "ACTIVE", UUID: fmt.Sprintf("u-ok-%03d", i), ExpirationDate: in(300 + i)})
	}
	return d
}

type harness struct {
	emu *emulator.Server
	url string
	key testKey
}

func newHarness(t *testing.T, keys ...emulator.Key) *harness {
	t.Helper()
	h := &harness{key: newKey(t)}
	if len(keys) == 0 {
		keys = []emulator.Key{{ID: keyID, IssuerID: issuer}}
	}
	for i := range keys {
		keys[i].Public = &h.key.priv.PublicKey
	}
	h.emu = emulator.New(emulator.Config{Keys: keys, Data: seed(), Now: func() time.Time { return now }})
	srv := httptest.NewServer(h.emu)
	t.Cleanup(func() { srv.Close(); h.emu.Close() })
	h.url = srv.URL
	return h
}

// run runs the command with inputs over the harness's key and emulator.
func (h *harness) run(t *testing.T, inputs map[string]string, getenv map[string]string) (*commandtest.Recorder, error) {
	t.Helper()
	vals := command.MapValues{"private-key": h.key.pem, "key-id": keyID, "issuer-id": issuer, "api-url": h.url}
	for k, v := range inputs {
		vals[k] = v
	}
	rec := commandtest.NewRecorder()
	env := &command.Env{
		Mode: command.ModeAction, Inputs: vals, Report: rec, Now: func() time.Time { return now },
		HTTP: &http.Client{Timeout: 10 * time.Second}, Getenv: func(k string) string { return getenv[k] },
	}
	err := Command().Run(context.Background(), env)
	if strings.Contains(transcript(rec), "PRIVATE KEY") {
		t.Error("the key was printed")
	}
	return rec, err
}

type reportJSON struct {
	WarnDays, FailDays, ExpiringCount int
	Failed                            bool
	Items                             []expiry.Item
}

func parseReport(t *testing.T, rec *commandtest.Recorder) reportJSON {
	t.Helper()
	var r reportJSON
	if err := json.Unmarshal([]byte(rec.Outputs[OutReport]), &r); err != nil {
		t.Fatalf("report output does not parse: %v", err)
	}
	return r
}

func TestAuditAgainstEmulator(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name     string
		inputs   map[string]string
		items    int
		expiring int
		exit     int
		errors   int // error annotations
		warnings int
		status   map[string]expiry.Status // by item ID
		first    string                   // ID of the first item in the report
	}{
		{
			name: "defaults 30/7", inputs: nil,
			items: 1 + 2*(4+fillers), expiring: 6, exit: 1, errors: 4, warnings: 2, first: "0A",
			status: map[string]expiry.Status{"u-past": expiry.StatusExpired, "0A": expiry.StatusExpired, "03": expiry.StatusFail, "u-3": expiry.StatusFail,
				"10": expiry.StatusWarn, "u-10": expiry.StatusWarn, "45": expiry.StatusOK, "u-45": expiry.StatusOK, "F000": expiry.StatusOK},
		},
		{
			name: "tight 5/2", inputs: map[string]string{InWarnDays: "5", InFailDays: "2"},
			items: 1 + 2*(4+fillers), expiring: 4, exit: 1, errors: 2, warnings: 2, first: "0A",
			status: map[string]expiry.Status{"0A": expiry.StatusExpired, "03": expiry.StatusWarn, "u-3": expiry.StatusWarn, "10": expiry.StatusOK},
		},
		{
			name: "wide 60/14", inputs: map[string]string{InWarnDays: "60", InFailDays: "14"},
			items: 1 + 2*(4+fillers), expiring: 8, exit: 1, errors: 6, warnings: 2, first: "0A",
			status: map[string]expiry.Status{"03": expiry.StatusFail, "10": expiry.StatusFail, "u-10": expiry.StatusFail, "45": expiry.StatusWarn, "u-45": expiry.StatusWarn},
		},
		{
			name:   "filtered, nothing expired, 5/2",
			inputs: map[string]string{InWarnDays: "5", InFailDays: "2", InCertificateTypes: "distribution", InProfileTypes: "IOS_APP_STORE,IOS_APP_ADHOC", InProfileName: "app "},
			items:  1 + 3 + fillers + 3 + fillers, expiring: 2, exit: 0, errors: 0, warnings: 2, first: "03",
			status: map[string]expiry.Status{"03": expiry.StatusWarn, "u-3": expiry.StatusWarn, "u-10": expiry.StatusOK},
		},
		{
			name:   "profile name only",
			inputs: map[string]string{InCertificateTypes: "IOS_DISTRIBUTION", InProfileName: "adhoc"},
			// One warning for the profile, one saying no IOS_DISTRIBUTION certificate exists.
			items: 1 + 0 + 1, expiring: 1, exit: 0, errors: 0, warnings: 2, first: "u-10",
			status: map[string]expiry.Status{"u-10": expiry.StatusWarn},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := h.run(t, tt.inputs, nil)
			if got := command.ExitCode(err); got != tt.exit {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.exit)
			}
			if err != nil {
				var rep *command.Reported
				if !errors.As(err, &rep) {
					t.Errorf("failure %v is not marked as already reported", err)
				}
			}
			r := parseReport(t, rec)
			if len(r.Items) != tt.items || r.ExpiringCount != tt.expiring || rec.Outputs[OutExpiringCount] != fmt.Sprint(tt.expiring) || r.Failed != (tt.exit == 1) {
				t.Errorf("items %d (want %d), expiring %d / output %q (want %d), failed %v",
					len(r.Items), tt.items, r.ExpiringCount, rec.Outputs[OutExpiringCount], tt.expiring, r.Failed)
			}
			if strings.ContainsAny(rec.Outputs[OutReport], "\n") {
				t.Error("report output is not one line")
			}
			seen := map[string]expiry.Status{}
			prev := -1 << 31
			for _, it := range r.Items {
				seen[it.ID] = it.Status
				if it.DaysLeft != nil {
					if *it.DaysLeft < prev {
						t.Errorf("not sorted by days left at %s", it.ID)
					}
					prev = *it.DaysLeft
				}
			}
			for id, want := range tt.status {
				if seen[id] != want {
					t.Errorf("%s: status %q, want %q", id, seen[id], want)
				}
			}
			if r.Items[0].ID != tt.first {
				t.Errorf("first item %s, want %s", r.Items[0].ID, tt.first)
			}
			errs, warns := annotations(rec, "error"), annotations(rec, "warning")
			if len(errs) != tt.errors || len(warns) != tt.warnings {
				t.Errorf("%d error and %d warning annotations, want %d and %d:\n%s\n%s", len(errs), len(warns), tt.errors, tt.warnings,
					strings.Join(errs, "\n"), strings.Join(warns, "\n"))
			}
			md := strings.Join(rec.Summaries, "")
			if !strings.Contains(md, "| Status | Days left |") || strings.Count(md, "\n| ") != tt.items+2 {
				t.Errorf("summary has %d table rows, want %d", strings.Count(md, "\n| ")-2, tt.items)
			}
		})
	}
	if got := h.emu.Requests()["certificates_getCollection"]; got != 2*5 {
		t.Errorf("certificates listed in %d requests; expected two pages in each of the 5 runs", got)
	}
	if got := h.emu.Requests()["profiles_getCollection"]; got != 2*5 {
		t.Errorf("profiles listed in %d requests; expected two pages in each of the 5 runs", got)
	}
}

func TestActiveAfterExpiryFlagged(t *testing.T) {
	h := newHarness(t)
	rec, _ := h.run(t, nil, nil)
	found := false
	for _, e := range annotations(rec, "error") {
		if strings.Contains(e, "Legacy Store") && strings.Contains(e, "still shows this profile as ACTIVE") {
			found = true
		}
	}
	if !found {
		t.Errorf("no annotation flags the ACTIVE profile past its date:\n%s", strings.Join(annotations(rec, "error"), "\n"))
	}
}

func TestIndividualKey(t *testing.T) {
	h := newHarness(t, emulator.Key{ID: keyID, Individual: true})
	// By default an audit that could not list certificates or profiles is
	// incomplete and fails; allow-incomplete makes it a warning.
	rec, err := h.run(t, map[string]string{"issuer-id": "", "key-type": "individual"}, nil)
	if command.ExitCode(err) != 1 || !strings.HasPrefix(err.Error(), "Expiry audit incomplete: certificates could not be listed: this is an individual API key") {
		t.Fatalf("exit %d: %v; want 1 and the audit said incomplete", command.ExitCode(err), err)
	}
	if !strings.Contains(strings.Join(annotations(rec, "error"), "\n"), "allow-incomplete") {
		t.Errorf("errors %q do not say how to accept a limited key", annotations(rec, "error"))
	}
	rec, err = h.run(t, map[string]string{"issuer-id": "", "key-type": "individual", InAllowIncomplete: "true"}, nil)
	if command.ExitCode(err) != 0 {
		t.Fatalf("allow-incomplete: exit %d: %v", command.ExitCode(err), err)
	}
	errs, warns := annotations(rec, "error"), annotations(rec, "warning")
	if len(errs) != 0 || !strings.Contains(strings.Join(warns, "\n"), "Expiry audit incomplete: certificates could not be listed") {
		t.Errorf("allow-incomplete: errors %q, warnings %q; want the incomplete audit as a warning", errs, warns)
	}
	r := parseReport(t, rec)
	if len(r.Items) != 3 {
		t.Fatalf("items %+v", r.Items)
	}
	var key expiry.Item
	for _, it := range r.Items {
		if it.Kind == expiry.KindAPIKey {
			key = it
		} else if it.Status != expiry.StatusError || !strings.Contains(it.Detail, "team key") {
			t.Errorf("%s: %+v; want a clear message that a team key is needed", it.Kind, it)
		}
	}
	if key.Status != expiry.StatusOK {
		t.Errorf("the key check did not run: %+v", key)
	}
	if h.emu.Requests()["certificates_getCollection"] != 0 {
		t.Error("certificates were requested with an individual key")
	}
}

func TestRevokedKey(t *testing.T) {
	h := newHarness(t, emulator.Key{ID: keyID, IssuerID: issuer, Revoked: true})
	rec, err := h.run(t, nil, nil)
	if command.ExitCode(err) != 1 {
		t.Fatalf("exit %d, want 1", command.ExitCode(err))
	}
	r := parseReport(t, rec)
	if r.Items[0].Kind != expiry.KindAPIKey || r.Items[0].Status != expiry.StatusExpired {
		t.Errorf("first item %+v; want the refused key, expired", r.Items[0])
	}
	errs := annotations(rec, "error")
	if len(errs) == 0 || !strings.Contains(errs[0], "revoked") {
		t.Errorf("errors %q; want the revoked key first", errs)
	}
	if last := errs[len(errs)-1]; !strings.Contains(last, "certificates not checked") {
		t.Errorf("last error %q; want the audit said incomplete", last)
	}
}

func TestBadInputs(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"fail above warn", map[string]string{InWarnDays: "5", InFailDays: "10"}, "fail-days (10) is greater than warn-days (5)"},
		{"warn not a number", map[string]string{InWarnDays: "thirty"}, "warn-days must be a whole number"},
		{"create-issue without token", map[string]string{InCreateIssue: "true", InGitHubRepository: "o/r"}, "create-issue needs github-token"},
		{"bad repository", map[string]string{InGitHubRepository: "just-a-name"}, "not owner/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.run(t, tt.inputs, nil)
			if command.ExitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v (exit %d), want usage error mentioning %q", err, command.ExitCode(err), tt.want)
			}
		})
	}
}

func mobileprovision(t *testing.T, exp time.Time, dev *x509.Certificate) []byte {
	t.Helper()
	content, err := plist.Marshal(map[string]any{"Name": "Local Store", "UUID": "u-local", "TeamName": "Example", "TeamIdentifier": []string{"TEAM123456"},
		"ExpirationDate": exp, "DeveloperCertificates": [][]byte{dev.Raw}}, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	return localfiletest.SignProfile(t, content)
}

func TestLocalFiles(t *testing.T) {
	h := newHarness(t)
	key, c := localfiletest.Cert(t, "Apple Distribution: Example (TEAM123456)", "TEAM123456", 0x77, in(20))
	const password = "p12-Pass-word-9"
	p12, err := pkcs12.Modern.Encode(key, c, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	p12b64 := base64.StdEncoding.EncodeToString(p12)
	_, dev := localfiletest.Cert(t, "Apple Distribution: Example (TEAM123456)", "TEAM123456", 0x77, in(20))
	prof := base64.StdEncoding.EncodeToString(mobileprovision(t, in(4), dev))
	only := map[string]string{InCertificateTypes: "NONE", InProfileTypes: "NONE"}
	with := func(m map[string]string) map[string]string {
		for k, v := range only {
			m[k] = v
		}
		return m
	}

	t.Run("read", func(t *testing.T) {
		rec, err := h.run(t, with(map[string]string{InP12Base64: p12b64, InP12Password: password, InMobileProvision: prof}), nil)
		if command.ExitCode(err) != 1 { // the profile has 4 days left, under fail-days 7
			t.Fatalf("exit %d (%v), want 1", command.ExitCode(err), err)
		}
		r := parseReport(t, rec)
		got := map[expiry.Kind]int{}
		for _, it := range r.Items {
			got[it.Kind]++
			if it.Kind == expiry.KindP12 && (it.Name != "Apple Distribution: Example (TEAM123456)" || *it.DaysLeft != 20 || it.Status != expiry.StatusWarn) {
				t.Errorf("p12 item %+v", it)
			}
			if it.Kind == expiry.KindMobileProvision && it.ID == "u-local" && (*it.DaysLeft != 4 || it.Status != expiry.StatusFail) {
				t.Errorf("profile item %+v", it)
			}
		}
		if got[expiry.KindP12] != 1 || got[expiry.KindMobileProvision] != 2 {
			t.Errorf("kinds %v", got)
		}
		if !contains(rec.Masks, password) || !contains(rec.Masks, p12b64) {
			t.Error("the .p12 and its password were not masked")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		rec, err := h.run(t, with(map[string]string{InP12Base64: p12b64, InP12Password: "wrong-Pass-1"}), nil)
		if command.ExitCode(err) != 1 || !strings.Contains(err.Error(), "p12-password") {
			t.Fatalf("exit %d: %v", command.ExitCode(err), err)
		}
		tr := transcript(rec)
		for _, s := range []string{password, "wrong-Pass-1", p12b64[:20]} {
			if strings.Contains(tr, s) {
				t.Errorf("output holds the password or the file (%d chars)", len(s))
			}
		}
		if !strings.Contains(strings.Join(annotations(rec, "error"), "\n"), "does not open this .p12") {
			t.Errorf("errors %q", annotations(rec, "error"))
		}
	})
	t.Run("malformed profile", func(t *testing.T) {
		rec, err := h.run(t, with(map[string]string{InMobileProvision: base64.StdEncoding.EncodeToString([]byte("not a profile at all"))}), nil)
		if command.ExitCode(err) != 1 || !strings.Contains(err.Error(), "not a readable provisioning profile") {
			t.Fatalf("exit %d: %v", command.ExitCode(err), err)
		}
		if strings.Contains(transcript(rec), "not a profile at all") {
			t.Error("output quotes the file")
		}
	})
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// miniGitHub answers the GitHub calls the command makes: get secret, list
// issues by label, create label, create issue, edit issue, comment.
type miniGitHub struct {
	mu     sync.Mutex
	calls  []string
	issues []map[string]any
}

func (g *miniGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer gh-test-token" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/repos/octo/app/actions/secrets/ASC_PRIVATE_KEY":
		fmt.Fprintf(w, `{"name":"ASC_PRIVATE_KEY","created_at":%q,"updated_at":%q}`, now.AddDate(-1, 0, 0).Format(time.RFC3339), now.Add(-85*24*time.Hour).Format(time.RFC3339))
	case r.Method == "GET" && r.URL.Path == "/repos/octo/app/issues":
		if r.URL.Query().Get("labels") != "asc-expiry" || r.URL.Query().Get("state") != "all" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(g.issues)
	case r.Method == "POST" && r.URL.Path == "/repos/octo/app/labels":
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"name":"asc-expiry"}`)
	case r.Method == "POST" && r.URL.Path == "/repos/octo/app/issues":
		var req map[string]any
		_ = json.NewDecoder(r.Body).Decode(&req)
		is := map[string]any{"number": len(g.issues) + 1, "state": "open", "title": req["title"], "body": req["body"], "labels": []map[string]string{{"name": "asc-expiry"}},
			"html_url": fmt.Sprintf("https://github.example/octo/app/issues/%d", len(g.issues)+1)}
		g.issues = append(g.issues, is)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(is)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

func TestGitHubSecretAgeAndIssue(t *testing.T) {
	h := newHarness(t)
	gh := &miniGitHub{}
	srv := httptest.NewServer(gh)
	t.Cleanup(srv.Close)
	inputs := map[string]string{
		InGitHubToken: "gh-test-token", InGitHubRepository: "octo/app", InSecretName: "ASC_PRIVATE_KEY", InRotateDays: "100",
		InCreateIssue: "true", InCertificateTypes: "IOS_DISTRIBUTION", InProfileTypes: "NONE",
	}
	getenv := map[string]string{"GITHUB_API_URL": srv.URL}
	for run := 1; run <= 2; run++ {
		rec, err := h.run(t, inputs, getenv)
		if command.ExitCode(err) != 0 {
			t.Fatalf("run %d: exit %d: %v", run, command.ExitCode(err), err)
		}
		r := parseReport(t, rec)
		var age *expiry.Item
		for i := range r.Items {
			if r.Items[i].Kind == expiry.KindSecretAge {
				age = &r.Items[i]
			}
		}
		if age == nil || *age.DaysLeft != 15 || age.Status != expiry.StatusWarn || !strings.Contains(age.Detail, "last updated 2026-09-01") {
			t.Fatalf("run %d: secret age item %+v; want 15 days left, warn", run, age)
		}
		if want := []string{"opened", "unchanged"}[run-1]; !strings.Contains(strings.Join(rec.Logs, "\n"), "Tracking issue #1 "+want) {
			t.Errorf("run %d: log does not say the issue was %s:\n%s", run, want, strings.Join(rec.Logs, "\n"))
		}
		if strings.Contains(transcript(rec), "gh-test-token") {
			t.Error("the GitHub token was printed")
		}
		if !contains(rec.Masks, "gh-test-token") {
			t.Error("the GitHub token was not masked")
		}
	}
	creates := 0
	for _, c := range gh.calls {
		if c == "POST /repos/octo/app/issues" {
			creates++
		}
	}
	if creates != 1 || len(gh.issues) != 1 {
		t.Errorf("issue created %d times; want once, found again on the second run (calls %v)", creates, gh.calls)
	}
	if body, _ := gh.issues[0]["body"].(string); !strings.Contains(body, expiry.IssueMarker) || !strings.Contains(body, "ASC_PRIVATE_KEY") {
		t.Errorf("issue body:\n%s", body)
	}
}

// A file that cannot be read makes the audit incomplete: it fails by
// default, naming the input, and allow-incomplete makes it a warning that
// passes, as for a list App Store Connect refused. (An individual key: its
// account has nothing expiring to fail the audit otherwise.)
func TestUnreadableFileAndAllowIncomplete(t *testing.T) {
	h := newHarness(t, emulator.Key{ID: keyID, Individual: true})
	missing := filepath.Join(t.TempDir(), "gone.mobileprovision")
	in := map[string]string{"issuer-id": "", "key-type": "individual", InMobileProvision: missing}
	rec, err := h.run(t, in, nil)
	if command.ExitCode(err) != 1 || !strings.Contains(err.Error(), InMobileProvision) {
		t.Fatalf("exit %d: %v; want 1 and an error naming %s", command.ExitCode(err), err, InMobileProvision)
	}
	if errs := annotations(rec, "error"); !strings.Contains(strings.Join(errs, "\n"), "allow-incomplete") {
		t.Errorf("errors %q do not say how to accept an incomplete audit", errs)
	}
	in[InAllowIncomplete] = "true"
	rec, err = h.run(t, in, nil)
	if command.ExitCode(err) != 0 {
		t.Fatalf("allow-incomplete: exit %d: %v; want 0", command.ExitCode(err), err)
	}
	errs, warns := annotations(rec, "error"), annotations(rec, "warning")
	if len(errs) != 0 || !strings.Contains(strings.Join(warns, "\n"), "passed anyway: allow-incomplete is set") {
		t.Errorf("allow-incomplete: errors %q, warnings %q; want one warning saying it passed anyway", errs, warns)
	}
}
