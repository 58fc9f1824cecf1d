package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// What an app needs before its builds reach external TestFlight testers,
// kept as state so that a rehearsal can lack any of it: the Beta App Review
// contact details (one per app, as at Apple, with empty fields until
// filled), beta app localizations (the test information) and app
// encryption declarations (the export-compliance answer for every build).
// Seeded from the data file; DefaultData fills all three for the demo app,
// and WithoutBetaAppInfo takes them away (--missing).

// BetaAppReviewDetail is the app's Beta App Review information (Apple's
// `betaAppReviewDetails`, whose ID is the app's). An app without an entry
// has one with every field empty.
type BetaAppReviewDetail struct {
	App                 string `json:"app"`
	ContactFirstName    string `json:"contactFirstName,omitempty"`
	ContactLastName     string `json:"contactLastName,omitempty"`
	ContactPhone        string `json:"contactPhone,omitempty"`
	ContactEmail        string `json:"contactEmail,omitempty"`
	DemoAccountName     string `json:"demoAccountName,omitempty"`
	DemoAccountPassword string `json:"demoAccountPassword,omitempty"`
	DemoAccountRequired bool   `json:"demoAccountRequired,omitempty"`
	Notes               string `json:"notes,omitempty"`
}

// BetaAppLocalization is the app's test information in one locale
// (Apple's `betaAppLocalizations`).
type BetaAppLocalization struct {
	ID               string `json:"id"`
	App              string `json:"app"`
	Locale           string `json:"locale"`
	Description      string `json:"description,omitempty"`
	FeedbackEmail    string `json:"feedbackEmail,omitempty"`
	MarketingURL     string `json:"marketingUrl,omitempty"`
	PrivacyPolicyURL string `json:"privacyPolicyUrl,omitempty"`
}

// AppEncryptionDeclaration is an app's export-compliance declaration
// (Apple's `appEncryptionDeclarations`). State is CREATED, IN_REVIEW,
// APPROVED, REJECTED, INVALID or EXPIRED (default APPROVED).
type AppEncryptionDeclaration struct {
	ID                              string    `json:"id"`
	App                             string    `json:"app"`
	State                           string    `json:"appEncryptionDeclarationState,omitempty"`
	Platform                        string    `json:"platform,omitempty"`
	Exempt                          bool      `json:"exempt,omitempty"`
	ContainsProprietaryCryptography bool      `json:"containsProprietaryCryptography,omitempty"`
	ContainsThirdPartyCryptography  bool      `json:"containsThirdPartyCryptography,omitempty"`
	AvailableOnFrenchStore          bool      `json:"availableOnFrenchStore,omitempty"`
	CreatedDate                     time.Time `json:"createdDate,omitzero"`
}

var declarationStates = set("CREATED", "IN_REVIEW", "APPROVED", "REJECTED", "INVALID", "EXPIRED")

func (d AppEncryptionDeclaration) state() string {
	if d.State == "" {
		return "APPROVED"
	}
	return d.State
}

// validateBetaApp checks the beta app information names known apps, with
// unique IDs and Apple's states.
func (d *Data) validateBetaApp(apps map[string]bool) error {
	seen := map[string]bool{}
	for i, r := range d.BetaAppReviewDetails {
		if !apps[r.App] {
			return invalidData("betaAppReviewDetails[%d]: app %q is not among the apps", i, r.App)
		}
		if err := firstUse(seen, "betaAppReviewDetails (app)", i, r.App); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, l := range d.BetaAppLocalizations {
		if l.ID == "" || l.Locale == "" || !apps[l.App] {
			return invalidData("betaAppLocalizations[%d]: id, locale and a known app are required", i)
		}
		if err := firstUse(seen, "betaAppLocalizations", i, l.ID); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, e := range d.AppEncryptionDeclarations {
		if e.ID == "" || !apps[e.App] {
			return invalidData("appEncryptionDeclarations[%d]: id and a known app are required", i)
		}
		if !declarationStates[e.state()] {
			return invalidData("appEncryptionDeclarations[%d]: appEncryptionDeclarationState %q is not CREATED, IN_REVIEW, APPROVED, REJECTED, INVALID or EXPIRED", i, e.State)
		}
		if err := firstUse(seen, "appEncryptionDeclarations", i, e.ID); err != nil {
			return err
		}
	}
	return nil
}

func (d *Data) cloneBetaApp(c *Data) {
	c.BetaAppReviewDetails = slices.Clone(d.BetaAppReviewDetails)
	c.BetaAppLocalizations = slices.Clone(d.BetaAppLocalizations)
	c.AppEncryptionDeclarations = slices.Clone(d.AppEncryptionDeclarations)
}

// defaultBetaApp fills DefaultData's app: review contact, test information
// in English, an approved encryption declaration.
func defaultBetaApp(d *Data, now time.Time) {
	d.BetaAppReviewDetails = []BetaAppReviewDetail{{App: "1000000001", ContactFirstName: "Jane", ContactLastName: "Doe",
		ContactPhone: "+1 408 555 0100", ContactEmail: "beta-review@example.com"}}
	d.BetaAppLocalizations = []BetaAppLocalization{{ID: "BETALOC001", App: "1000000001", Locale: "en-US",
		Description: "The demo app's beta.", FeedbackEmail: "beta@example.com"}}
	d.AppEncryptionDeclarations = []AppEncryptionDeclaration{{ID: "ENCDECL001", App: "1000000001", State: "APPROVED", Platform: "IOS",
		Exempt: true, CreatedDate: now.Add(-60 * 24 * time.Hour)}}
}

// What WithoutBetaAppInfo can take away (the emulator's --missing flag).
const (
	MissingBetaReviewDetails   = "beta-review-details"
	MissingBetaAppLocalization = "beta-app-localization"
	MissingEncryption          = "encryption-declaration"
)

// WithoutBetaAppInfo takes from every app what the comma list names:
// beta-review-details (the contact fields emptied), beta-app-localization
// (every localization removed), encryption-declaration (every declaration
// removed), so a readiness check or a rehearsal meets that blocker.
func (d *Data) WithoutBetaAppInfo(list string) error {
	for _, m := range strings.Split(list, ",") {
		switch strings.TrimSpace(m) {
		case "":
		case MissingBetaReviewDetails:
			d.BetaAppReviewDetails = nil
		case MissingBetaAppLocalization:
			d.BetaAppLocalizations = nil
		case MissingEncryption:
			d.AppEncryptionDeclarations = nil
		default:
			return fmt.Errorf("%q is not something the emulator can leave out; use %s, %s or %s", m, MissingBetaReviewDetails, MissingBetaAppLocalization, MissingEncryption)
		}
	}
	return nil
}

// reviewDetail returns the app's Beta App Review information (empty
// fields when the data holds none).
func (d *Data) reviewDetail(app string) BetaAppReviewDetail {
	for _, r := range d.BetaAppReviewDetails {
		if r.App == app {
			return r
		}
	}
	return BetaAppReviewDetail{App: app}
}

func viewBetaAppReviewDetails(wd *world) []*object {
	var out []*object
	for _, app := range wd.s.data.Apps {
		r := wd.s.data.reviewDetail(app.ID)
		attrs := map[string]any{"demoAccountRequired": r.DemoAccountRequired}
		for k, v := range map[string]string{"contactFirstName": r.ContactFirstName, "contactLastName": r.ContactLastName,
			"contactPhone": r.ContactPhone, "contactEmail": r.ContactEmail, "demoAccountName": r.DemoAccountName,
			"demoAccountPassword": r.DemoAccountPassword, "notes": r.Notes} {
			if v != "" {
				attrs[k] = v
			}
		}
		out = append(out, &object{typ: "betaAppReviewDetails", id: app.ID, attrs: attrs, one: map[string]string{"app": app.ID}, many: map[string][]string{}})
	}
	return out
}

func viewBetaAppLocalizations(wd *world) []*object {
	var out []*object
	for _, l := range wd.s.data.BetaAppLocalizations {
		attrs := map[string]any{"locale": l.Locale}
		for k, v := range map[string]string{"description": l.Description, "feedbackEmail": l.FeedbackEmail,
			"marketingUrl": l.MarketingURL, "privacyPolicyUrl": l.PrivacyPolicyURL} {
			if v != "" {
				attrs[k] = v
			}
		}
		out = append(out, &object{typ: "betaAppLocalizations", id: l.ID, attrs: attrs, one: map[string]string{"app": l.App}, many: map[string][]string{}})
	}
	return out
}

func viewAppEncryptionDeclarations(wd *world) []*object {
	var out []*object
	for _, e := range wd.s.data.AppEncryptionDeclarations {
		attrs := map[string]any{"appEncryptionDeclarationState": e.state(), "exempt": e.Exempt,
			"containsProprietaryCryptography": e.ContainsProprietaryCryptography, "containsThirdPartyCryptography": e.ContainsThirdPartyCryptography,
			"availableOnFrenchStore": e.AvailableOnFrenchStore, "platform": platformOr(e.Platform)}
		if !e.CreatedDate.IsZero() {
			attrs["createdDate"] = appleTime(e.CreatedDate)
		}
		// The declaration answers export compliance for the app's builds.
		var builds []string
		for _, b := range wd.s.data.Builds {
			if b.App == e.App {
				builds = append(builds, b.ID)
			}
		}
		out = append(out, &object{typ: "appEncryptionDeclarations", id: e.ID, attrs: attrs, one: map[string]string{"app": e.App}, many: map[string][]string{"builds": builds}})
	}
	return out
}
