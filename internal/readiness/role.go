package readiness

import (
	"context"
	"fmt"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
)

// A read proves the key's role reaches an endpoint; App Store Connect has
// no read that says whether the role may also write there, so the OK
// messages say which role the writes need.

const roleFix = "Give the key the %s role in App Store Connect > Users and Access > Integrations (a key's role cannot be changed: create a new key with it)."

// read is one harmless read of a step's role check.
type read struct {
	what string
	do   func(ctx context.Context) error
}

// role makes the reads; the first refused one is the check's blocker.
func (r *run) role(ctx context.Context, step, needs string, reads []read) {
	check := "role-" + step
	for _, rd := range reads {
		if err := rd.do(ctx); err != nil {
			r.add(failure(check, "", "reading "+rd.what, err, fmt.Sprintf(roleFix, needs)))
			return
		}
	}
	names := make([]string, len(reads))
	for i, rd := range reads {
		names[i] = rd.what
	}
	r.add(Check{Check: check, Result: OK, Message: fmt.Sprintf("The key may read %s. The %s step's writes need the %s role.", strings.Join(names, ", "), step, needs)})
}

func (r *run) roleUpload(ctx context.Context) {
	reads := []read{{"builds", func(ctx context.Context) error {
		o := &asc.ListBuildsOptions{Fields: []string{"version"}, ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}}
		if r.app != nil {
			o.AppID = []string{r.app.ID}
		}
		_, _, err := r.api.ListBuilds(ctx, o)
		return err
	}}}
	if r.app != nil {
		reads = append(reads, read{"build uploads", func(ctx context.Context) error {
			_, _, err := r.api.ListAppBuildUploads(ctx, r.app.ID, &asc.ListBuildUploadsOptions{ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}})
			return err
		}})
	}
	r.role(ctx, StepUpload, "Admin or App Manager", reads)
}

func (r *run) roleTestFlight(ctx context.Context) {
	reads := []read{
		{"beta groups", func(ctx context.Context) error {
			o := &asc.ListBetaGroupsOptions{ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}}
			if r.app != nil {
				o.AppID = []string{r.app.ID}
			}
			_, _, err := r.api.ListBetaGroups(ctx, o)
			return err
		}},
		{"beta build localizations", func(ctx context.Context) error {
			_, _, err := r.api.ListBetaBuildLocalizations(ctx, &asc.ListBetaBuildLocalizationsOptions{ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}})
			return err
		}},
	}
	if r.app != nil {
		reads = append(reads, read{"beta app review details", func(ctx context.Context) error {
			_, _, err := r.api.GetAppBetaAppReviewDetail(ctx, r.app.ID)
			return err
		}})
	}
	r.role(ctx, StepTestFlight, "Admin or App Manager", reads)
}

func (r *run) roleAudit(ctx context.Context) {
	if r.cfg.Individual {
		r.add(Check{Check: "role-audit", Result: Blocker,
			Message: "This is an individual key: App Store Connect never lets individual keys list certificates or profiles, whatever their role.",
			Fix:     "Use a team key (App Store Connect > Users and Access > Integrations > Team Keys) with the Admin, App Manager or Developer role for the audit; or set allow-incomplete: true on check-expiry to audit the key alone."})
		return
	}
	r.role(ctx, StepAudit, "Admin, App Manager or Developer", []read{
		{"certificates", func(ctx context.Context) error {
			_, _, err := r.api.ListCertificates(ctx, &asc.ListCertificatesOptions{Fields: []string{"name"}, ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}})
			return err
		}},
		{"profiles", func(ctx context.Context) error {
			_, _, err := r.api.ListProfiles(ctx, &asc.ListProfilesOptions{Fields: []string{"name"}, ListOptions: asc.ListOptions{Limit: 1, MaxPages: 1}})
			return err
		}},
	})
}
