package expiry

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var now = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func days(n int) time.Time { return now.Add(time.Duration(n)*24*time.Hour + time.Hour) }

// fixture: items at past, 3, 10 and 45 days, an ACTIVE profile already
// expired, a healthy API key, and a secret check that could not be made.
func fixture(withPast bool) []Item {
	items := []Item{
		CertificateItem(Certificate{ID: "C3", Type: "DISTRIBUTION", Name: "Apple Distribution: Ex Co", SerialNumber: "3A", ExpirationDate: days(3)}),
		ProfileItem(Profile{ID: "P10", Name: "App Store | main", Type: "IOS_APP_STORE", State: "ACTIVE", UUID: "uuid-10", ExpirationDate: days(10)}),
		ProfileItem(Profile{ID: "P45", Name: "Ad Hoc", Type: "IOS_APP_ADHOC", State: "ACTIVE", UUID: "uuid-45", ExpirationDate: days(45)}),
		APIKeyItem(KeyCheck{KeyID: "ABC123", Authenticated: true}),
		{Kind: KindSecretAge, Name: "ASC_KEY", Status: StatusError, Detail: "the token lacks permission"},
	}
	if withPast {
		items = append(items,
			CertificateItem(Certificate{ID: "CP", Type: "IOS_DEVELOPMENT", Name: "Old Dev", SerialNumber: "0P", ExpirationDate: now.Add(-36 * time.Hour)}),
			ProfileItem(Profile{ID: "PP", Name: "Stale", Type: "IOS_APP_STORE", State: "ACTIVE", UUID: "uuid-past", ExpirationDate: now.Add(-10 * 24 * time.Hour)}),
		)
	}
	return items
}

func TestReportThresholds(t *testing.T) {
	tests := []struct {
		name      string
		th        Thresholds
		withPast  bool
		order     []string // IDs in report order
		status    map[string]Status
		expiring  int
		fail      bool
		annLevels []string // in report order
	}{
		{
			name: "defaults-30-7", th: Thresholds{30, 7}, withPast: true,
			order:    []string{"", "uuid-past", "0P", "3A", "uuid-10", "uuid-45", ""},
			status:   map[string]Status{"uuid-past": StatusExpired, "0P": StatusExpired, "3A": StatusFail, "uuid-10": StatusWarn, "uuid-45": StatusOK},
			expiring: 4, fail: true,
			annLevels: []string{"warning", "error", "error", "error", "warning"},
		},
		{
			name: "tight-5-2", th: Thresholds{5, 2}, withPast: true,
			order:    []string{"", "uuid-past", "0P", "3A", "uuid-10", "uuid-45", ""},
			status:   map[string]Status{"uuid-past": StatusExpired, "0P": StatusExpired, "3A": StatusWarn, "uuid-10": StatusOK, "uuid-45": StatusOK},
			expiring: 3, fail: true,
			annLevels: []string{"warning", "error", "error", "warning"},
		},
		{
			name: "wide-60-14", th: Thresholds{60, 14}, withPast: false,
			order:    []string{"", "3A", "uuid-10", "uuid-45", ""},
			status:   map[string]Status{"3A": StatusFail, "uuid-10": StatusFail, "uuid-45": StatusWarn},
			expiring: 3, fail: true,
			annLevels: []string{"warning", "error", "error", "warning"},
		},
		{
			name: "future-only-5-2", th: Thresholds{5, 2}, withPast: false,
			order:    []string{"", "3A", "uuid-10", "uuid-45", ""},
			status:   map[string]Status{"3A": StatusWarn, "uuid-10": StatusOK, "uuid-45": StatusOK},
			expiring: 1, fail: false,
			annLevels: []string{"warning", "warning"},
		},
		{
			name: "zero-0-0", th: Thresholds{0, 0}, withPast: false,
			order:    []string{"", "3A", "uuid-10", "uuid-45", ""},
			status:   map[string]Status{"3A": StatusOK, "uuid-10": StatusOK, "uuid-45": StatusOK},
			expiring: 0, fail: false,
			annLevels: []string{"warning"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.th.Validate(); err != nil {
				t.Fatal(err)
			}
			r := NewReport(fixture(tt.withPast), tt.th, now)
			// The fixture's secret-age item could not be checked; these
			// cases are about thresholds (TestIncompleteAudit is about that).
			r.AllowIncomplete = true

			var gotOrder []string
			for _, it := range r.Items {
				gotOrder = append(gotOrder, it.ID)
				if want, ok := tt.status[it.ID]; ok && it.Status != want {
					t.Errorf("%s: status %s, want %s", it.ID, it.Status, want)
				}
			}
			if strings.Join(gotOrder, ",") != strings.Join(tt.order, ",") {
				t.Errorf("order %q, want %q", gotOrder, tt.order)
			}
			if r.Items[0].Kind != KindSecretAge || r.Items[len(r.Items)-1].Kind != KindAPIKey {
				t.Errorf("undated items: first %s last %s; want the error first and the healthy key last", r.Items[0].Kind, r.Items[len(r.Items)-1].Kind)
			}
			if got := r.ExpiringCount(); got != tt.expiring {
				t.Errorf("ExpiringCount %d, want %d", got, tt.expiring)
			}
			if got := r.ShouldFail(); got != tt.fail {
				t.Errorf("ShouldFail %v, want %v (%s)", got, tt.fail, r.Decision())
			}

			js, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(js, "\n\r") {
				t.Errorf("report JSON is not single-line: %q", js)
			}
			var back struct {
				WarnDays, FailDays, ExpiringCount int
				Failed                            bool
				Items                             []Item
			}
			if err := json.Unmarshal([]byte(js), &back); err != nil {
				t.Fatalf("report JSON does not parse: %v", err)
			}
			if back.WarnDays != tt.th.WarnDays || back.FailDays != tt.th.FailDays || back.ExpiringCount != tt.expiring || back.Failed != tt.fail || len(back.Items) != len(tt.order) {
				t.Errorf("JSON round trip: %+v", back)
			}
			for i, it := range back.Items {
				if it.ID != tt.order[i] || it.Status != r.Items[i].Status {
					t.Errorf("JSON item %d: %s/%s", i, it.ID, it.Status)
				}
				if (it.DaysLeft == nil) != it.ExpiresAt.IsZero() {
					t.Errorf("JSON item %d: daysLeft present=%v, expiresAt zero=%v", i, it.DaysLeft != nil, it.ExpiresAt.IsZero())
				}
			}

			anns := r.Annotations()
			var levels []string
			for _, a := range anns {
				levels = append(levels, a.Level)
				if a.Title == "" || a.Message == "" {
					t.Errorf("annotation without title or message: %+v", a)
				}
			}
			if strings.Join(levels, ",") != strings.Join(tt.annLevels, ",") {
				t.Errorf("annotation levels %q, want %q", levels, tt.annLevels)
			}

			golden(t, filepath.Join("testdata", "summary-"+tt.name+".md"), r.Markdown().String())
		})
	}
}

func TestActiveAfterExpiry(t *testing.T) {
	r := NewReport(fixture(true), DefaultThresholds(), now)
	var stale Item
	for _, it := range r.Items {
		if it.ID == "uuid-past" {
			stale = it
		}
	}
	if stale.Status != StatusExpired || !strings.Contains(stale.Detail, "still shows this profile as ACTIVE") {
		t.Errorf("stale ACTIVE profile: %+v", stale)
	}
	if *stale.DaysLeft != -10 {
		t.Errorf("days left %d, want -10", *stale.DaysLeft)
	}
	inv := DefaultThresholds().Classify(ProfileItem(Profile{Name: "x", State: ProfileStateInvalid, ExpirationDate: days(100)}), now)
	if inv.Status != StatusFail || !strings.Contains(inv.Detail, "INVALID") {
		t.Errorf("INVALID profile: %+v", inv)
	}
}

func TestDaysBetween(t *testing.T) {
	tests := []struct {
		at   time.Time
		want int
	}{
		{now.Add(71 * time.Hour), 2},
		{now.Add(72 * time.Hour), 3},
		{now.Add(-time.Hour), -1},
		{now, 0},
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.RFC3339), func(t *testing.T) {
			if got := DaysBetween(now, tt.at); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	// Expiring exactly now is expired, not "0 days left and fine".
	if it := (Thresholds{0, 0}).Classify(Item{Kind: KindP12, Name: "x", ExpiresAt: now}, now); it.Status != StatusExpired {
		t.Errorf("expiring now: %s", it.Status)
	}
}

func TestThresholdsValidate(t *testing.T) {
	tests := []struct {
		th   Thresholds
		want string
	}{
		{Thresholds{30, 7}, ""},
		{Thresholds{7, 7}, ""},
		{Thresholds{-1, 0}, "warn-days"},
		{Thresholds{10, -1}, "fail-days is -1"},
		{Thresholds{5, 7}, "greater than warn-days"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(strings.Trim(strings.ReplaceAll(fmtTh(tt.th), " ", "_"), "{}"), "/", "_"), func(t *testing.T) {
			err := tt.th.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func fmtTh(t Thresholds) string {
	return strings.Join([]string{itoa(t.WarnDays), itoa(t.FailDays)}, "/")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// An item that could not be checked makes the audit incomplete, which fails
// it unless AllowIncomplete; it is never "passed".
func TestIncompleteAudit(t *testing.T) {
	items := []Item{
		ErrorItem(KindCertificate, "certificates", listError("certificates", errors.New("500 Internal Server Error"))),
		ErrorItem(KindProfile, "profiles", listError("profiles", errors.New("500 Internal Server Error"))),
		APIKeyItem(KeyCheck{KeyID: "K", Authenticated: true}),
	}
	r := NewReport(items, DefaultThresholds(), now)
	want := "Expiry audit incomplete: certificates could not be listed: 500 Internal Server Error; profiles could not be listed: 500 Internal Server Error"
	if got := r.Headline(); got != want {
		t.Errorf("Headline = %q, want %q", got, want)
	}
	if !r.ShouldFail() || !r.Incomplete() {
		t.Error("an audit that could not list anything must fail")
	}
	for _, a := range r.Annotations() {
		if a.Level != LevelError {
			t.Errorf("annotation %+v; want error", a)
		}
	}
	js, _ := r.JSON()
	if !strings.Contains(js, `"failed":true`) || !strings.Contains(js, `"incomplete":true`) {
		t.Errorf("JSON %s; want failed and incomplete", js)
	}
	if md := r.Markdown().String(); !strings.Contains(md, "**Expiry audit incomplete: certificates could not be listed") || strings.Contains(md, "passed") {
		t.Errorf("summary does not lead with the incomplete audit:\n%s", md)
	}

	r.AllowIncomplete = true
	if r.ShouldFail() || r.Headline() != want {
		t.Errorf("AllowIncomplete: ShouldFail %v, headline %q", r.ShouldFail(), r.Headline())
	}
	for _, a := range r.Annotations() {
		if a.Level != LevelWarning {
			t.Errorf("AllowIncomplete: annotation %+v; want warning", a)
		}
	}

	items = append(items, Item{Kind: KindProfile, Name: "Old", ExpiresAt: now.Add(-24 * time.Hour)})
	r = NewReport(items, DefaultThresholds(), now)
	if h := r.Headline(); !strings.HasPrefix(h, "Expiry audit failed: 1 item(s) expired") || !strings.Contains(h, "incomplete: certificates could not be listed") {
		t.Errorf("Headline = %q; want failed and incomplete", h)
	}
	r = NewReport(items[2:3], DefaultThresholds(), now)
	if h := r.Headline(); !strings.HasPrefix(h, "Expiry audit passed: ") || r.ShouldFail() {
		t.Errorf("Headline = %q", h)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	r := NewReport([]Item{{Kind: KindProfile, Name: "a|b\n<!-- asc-action:expiry-audit -->", ExpiresAt: days(3)}}, DefaultThresholds(), now)
	md := r.Markdown().String()
	if strings.Contains(md, "a|b") || strings.Contains(md, "<!--") {
		t.Errorf("cell not escaped:\n%s", md)
	}
	body := r.IssueBody().String()
	if strings.Count(body, IssueMarker) != 1 {
		t.Errorf("a name can inject the marker:\n%s", body)
	}
}

func TestIssueBodyStableAcrossDays(t *testing.T) {
	a := NewReport(fixture(true), DefaultThresholds(), now).IssueBody().String()
	b := NewReport(fixture(true), DefaultThresholds(), now.Add(2*time.Hour)).IssueBody().String()
	if a != b {
		t.Errorf("issue body changed with the clock alone:\n%s\n---\n%s", a, b)
	}
	c := NewReport(fixture(true), DefaultThresholds(), now.Add(5*24*time.Hour)).IssueBody().String()
	if a == c {
		t.Error("issue body did not change when the 10-day profile crossed fail-days")
	}
	if strings.Contains(a, "uuid-45") {
		t.Error("issue body lists an item that is not under warn-days")
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
