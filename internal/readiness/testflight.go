package readiness

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/distribute"
)

// testflight checks each testflight-groups entry names one group of the
// app and, when one is external, what Beta App Review needs.
func (r *run) testflight(ctx context.Context) {
	if len(r.cfg.Groups) == 0 {
		r.add(Check{Check: "testflight-groups", Result: Skipped, Message: "testflight-groups is empty: no group to check.",
			Fix: "Set testflight-groups on the verify step as on the upload or distribute step."})
		return
	}
	all, _, err := r.api.ListBetaGroups(ctx, &asc.ListBetaGroupsOptions{AppID: []string{r.app.ID}, ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		r.add(failure("testflight-groups", "", "listing the app's beta groups", err, fmt.Sprintf(roleFix, "Admin or App Manager")))
		return
	}
	external := false
	for _, w := range r.cfg.Groups {
		g, c := r.group(w, all)
		r.add(c)
		external = external || (g != nil && !g.Attributes.IsInternalGroup)
	}
	if external {
		r.reviewDetails(ctx)
		r.betaAppLocalization(ctx)
		r.compliance(ctx)
	}
}

// group checks one testflight-groups entry, suggesting the closest name
// for a typo.
func (r *run) group(w string, all []asc.BetaGroup) (*asc.BetaGroup, Check) {
	c := Check{Check: "testflight-group", Subject: w}
	hit := distribute.MatchGroup(w, all)
	switch len(hit) {
	case 1:
		kind := "internal"
		if !hit[0].Attributes.IsInternalGroup {
			kind = "external: its builds need Beta App Review"
		}
		c.Result, c.Message = OK, fmt.Sprintf("Group %q exists (id %s, %s).", hit[0].Attributes.Name, hit[0].ID, kind)
		return &hit[0], c
	case 0:
		names := make([]string, len(all))
		for i, g := range all {
			names[i] = g.Attributes.Name
		}
		c.Result = Blocker
		c.Message = fmt.Sprintf("App %s has no beta group %q.", r.app.ID, w)
		if s := closest(w, names); s != "" {
			c.Message += fmt.Sprintf(" Did you mean %q?", s)
		}
		c.Fix = "Fix the name in testflight-groups"
		if len(names) > 0 {
			c.Fix += " (the app's groups: " + quote(names) + ")"
		}
		c.Fix += ", or create the group in App Store Connect > (your app) > TestFlight."
	default:
		c.Result = Blocker
		c.Message = fmt.Sprintf("%q names %d groups of app %s.", w, len(hit), r.app.ID)
		c.Fix = "Give the group's ID in testflight-groups instead of its name (App Store Connect > TestFlight > the group; the ID is in its URL)."
	}
	return nil, c
}

// reviewDetails checks the Beta App Review contact details are filled, as
// App Store Connect requires before an external group gets a build.
func (r *run) reviewDetails(ctx context.Context) {
	const check = "beta-review-details"
	d, _, err := r.api.GetAppBetaAppReviewDetail(ctx, r.app.ID)
	if err != nil {
		r.add(failure(check, "", "reading the app's beta app review details", err, fmt.Sprintf(roleFix, "Admin or App Manager")))
		return
	}
	var missing []string
	a := asc.BetaAppReviewDetailAttributes{}
	if d != nil {
		a = d.Attributes
	}
	for _, f := range []struct{ name, v string }{{"first name", a.ContactFirstName}, {"last name", a.ContactLastName}, {"phone", a.ContactPhone}, {"email", a.ContactEmail}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, "contact "+f.name)
		}
	}
	if a.DemoAccountRequired && strings.TrimSpace(a.DemoAccountName) == "" {
		missing = append(missing, "demo account (sign-in required is set)")
	}
	if len(missing) > 0 {
		r.add(Check{Check: check, Result: Blocker,
			Message: "Beta App Review cannot take a build for the external group: the app's review information lacks " + strings.Join(missing, ", ") + ".",
			Fix:     "Fill App Store Connect > (your app) > TestFlight > Test Information > Beta App Review Information."})
		return
	}
	r.add(Check{Check: check, Result: OK, Message: fmt.Sprintf("Beta App Review contact: %s %s.", a.ContactFirstName, a.ContactLastName)})
}

// betaAppLocalization checks the app has test information in a locale.
func (r *run) betaAppLocalization(ctx context.Context) {
	const check = "beta-app-localization"
	ls, _, err := r.api.ListAppBetaAppLocalizations(ctx, r.app.ID)
	if err != nil {
		r.add(failure(check, "", "listing the app's beta app localizations", err, fmt.Sprintf(roleFix, "Admin or App Manager")))
		return
	}
	if len(ls) == 0 {
		r.add(Check{Check: check, Result: Blocker,
			Message: "The app has no beta app localization (the test information external testers read), so Beta App Review refuses its builds.",
			Fix:     "Fill App Store Connect > (your app) > TestFlight > Test Information (beta app description, feedback email) in at least one language."})
		return
	}
	locales := make([]string, len(ls))
	for i, l := range ls {
		locales[i] = l.Attributes.Locale
	}
	r.add(Check{Check: check, Result: OK, Message: "Test information in " + strings.Join(locales, ", ") + "."})
}

// compliance checks the export-compliance answer is known: given as
// uses-non-exempt-encryption, or by an approved encryption declaration.
func (r *run) compliance(ctx context.Context) {
	const check = "export-compliance"
	if e := r.cfg.Encryption; e != nil {
		r.add(Check{Check: check, Result: OK, Message: fmt.Sprintf("uses-non-exempt-encryption: %t is sent with the build.", *e)})
		return
	}
	decls, _, err := r.api.ListAppEncryptionDeclarations(ctx, r.app.ID, &asc.ListAppEncryptionDeclarationsOptions{ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		r.add(failure(check, "", "listing the app's encryption declarations", err, fmt.Sprintf(roleFix, "Admin or App Manager")))
		return
	}
	i := slices.IndexFunc(decls, func(d asc.AppEncryptionDeclaration) bool {
		return d.Attributes.State == asc.EncryptionDeclarationApproved
	})
	switch {
	case i >= 0:
		r.add(Check{Check: check, Result: OK, Message: fmt.Sprintf("The app's encryption declaration %s is APPROVED.", decls[i].ID)})
	case len(decls) > 0:
		r.add(Check{Check: check, Result: Warning,
			Message: fmt.Sprintf("The app's encryption declaration %s is %s, not APPROVED: until it is, new builds wait in Missing Compliance.", decls[0].ID, decls[0].Attributes.State),
			Fix:     "Set uses-non-exempt-encryption (true or false) on the upload or distribute step and here, or wait for App Store Connect > (your app) > App Information > App Encryption Documentation to be approved."})
	default:
		r.add(Check{Check: check, Result: Blocker,
			Message: "Export compliance is unknown: uses-non-exempt-encryption is not set and the app has no encryption declaration, so the build would wait in Missing Compliance and the external group would not get it.",
			Fix:     "Set uses-non-exempt-encryption: false (or true) on the upload or distribute step and on this one (or ITSAppUsesNonExemptEncryption in Info.plist), or add a declaration in App Store Connect > (your app) > App Information > App Encryption Documentation."})
	}
}
