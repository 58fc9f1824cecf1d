// Package readiness answers the question a release engineer has before a
// twenty-minute build: will the release go through? For each step of a
// plan (upload, testflight, audit) it makes only harmless reads that prove
// the step can pass at App Store Connect, and reports one finding per
// check, each with what to do. It prints nothing: the verify command
// renders its Report.
package readiness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
)

// Results of a check.
const (
	// OK: the check passed.
	OK = "ok"
	// Warning: the release may still go through, or the check could not
	// be made; the step fails only with fail-on: warning.
	Warning = "warning"
	// Blocker: the release will not go through until it is fixed.
	Blocker = "blocker"
	// Skipped: the check needs an input that was not given.
	Skipped = "skipped"
)

// Check is one finding: what was checked, the result, what was found, and
// what to do (naming the input or the App Store Connect page that fixes
// it). It is one entry of verify's `checks` output.
type Check struct {
	Check   string `json:"check"`
	Subject string `json:"subject,omitempty"`
	Result  string `json:"result"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Config is what the release will do, built and checked at the edge.
type Config struct {
	Plan Plan
	// AppID or BundleID names the app (AppID wins).
	AppID, BundleID string
	// Platform is IOS, MAC_OS, TV_OS or VISION_OS.
	Platform string
	// ShortVersion (CFBundleShortVersionString) and BuildVersion
	// (CFBundleVersion, the build number) of the build to upload; either
	// may be empty.
	ShortVersion, BuildVersion string
	// Groups are the testflight-groups entries; Locale whats-new-locale;
	// Encryption uses-non-exempt-encryption (nil: not given).
	Groups     []string
	Locale     string
	Encryption *bool
	// Individual is true for an individual key.
	Individual bool
}

// Report is the outcome of Run: the checks in order, the app found, and
// (plan upload) the next free build number.
type Report struct {
	Checks []Check
	AppID  string
	// NextBuildNumber is one more than the highest build number in use
	// for the app, version and platform; empty when it could not be told.
	NextBuildNumber string
	RateLimit       asc.RateLimit
}

// Counts returns how many checks are blockers and how many warnings.
func (r *Report) Counts() (blockers, warnings int) {
	for _, c := range r.Checks {
		switch c.Result {
		case Blocker:
			blockers++
		case Warning:
			warnings++
		}
	}
	return blockers, warnings
}

// API is the part of the App Store Connect client the checks read with;
// *asc.Client implements it.
type API interface {
	ListApps(ctx context.Context, opts *asc.ListAppsOptions) ([]asc.App, *asc.Response, error)
	GetApp(ctx context.Context, id string) (*asc.App, *asc.Response, error)
	ListBuilds(ctx context.Context, opts *asc.ListBuildsOptions) ([]asc.Build, *asc.Response, error)
	ListAppBuildUploads(ctx context.Context, appID string, opts *asc.ListBuildUploadsOptions) ([]asc.BuildUpload, *asc.Response, error)
	ListPreReleaseVersions(ctx context.Context, opts *asc.ListPreReleaseVersionsOptions) ([]asc.PreReleaseVersion, *asc.Response, error)
	ListBetaGroups(ctx context.Context, opts *asc.ListBetaGroupsOptions) ([]asc.BetaGroup, *asc.Response, error)
	ListBetaBuildLocalizations(ctx context.Context, opts *asc.ListBetaBuildLocalizationsOptions) ([]asc.BetaBuildLocalization, *asc.Response, error)
	GetAppBetaAppReviewDetail(ctx context.Context, appID string) (*asc.BetaAppReviewDetail, *asc.Response, error)
	ListAppBetaAppLocalizations(ctx context.Context, appID string) ([]asc.BetaAppLocalization, *asc.Response, error)
	ListAppEncryptionDeclarations(ctx context.Context, appID string, opts *asc.ListAppEncryptionDeclarationsOptions) ([]asc.AppEncryptionDeclaration, *asc.Response, error)
	ListCertificates(ctx context.Context, opts *asc.ListCertificatesOptions) ([]asc.Certificate, *asc.Response, error)
	ListProfiles(ctx context.Context, opts *asc.ListProfilesOptions) ([]asc.Profile, *asc.Response, error)
	RateLimit() asc.RateLimit
}

var _ API = (*asc.Client)(nil)

// run is one readiness check in progress.
type run struct {
	api API
	cfg Config
	rep *Report
	app *asc.App
}

func (r *run) add(c Check) { r.rep.Checks = append(r.rep.Checks, c) }

// Run makes the checks of cfg.Plan in order: the role for each step, the
// app, then each step's own checks, and last the request budget left. It
// only reads; a check that cannot be made is a warning, never a guess.
func Run(ctx context.Context, api API, cfg Config) *Report {
	r := &run{api: api, cfg: cfg, rep: &Report{}}
	if cfg.Plan.Upload || cfg.Plan.TestFlight {
		r.findApp(ctx)
	}
	// A step whose role check is a blocker is not checked further: its
	// reads would be refused again.
	if cfg.Plan.Upload {
		r.roleUpload(ctx)
		if r.app != nil && !r.has("role-upload") {
			r.platform(ctx)
			r.buildNumber(ctx)
		}
	}
	if cfg.Plan.TestFlight {
		r.roleTestFlight(ctx)
		if r.app != nil && !r.has("role-testflight") {
			r.testflight(ctx)
		}
		r.locale()
	}
	if cfg.Plan.Audit {
		r.roleAudit(ctx)
	}
	r.rateLimit()
	return r.rep
}

// rateLimit reports the hourly request budget left after the checks.
func (r *run) rateLimit() {
	rl := r.api.RateLimit()
	r.rep.RateLimit = rl
	switch {
	case !rl.Known:
		r.add(Check{Check: "rate-limit", Result: Skipped, Message: "App Store Connect sent no X-Rate-Limit header, so the hourly request budget left is unknown."})
	case rl.Low():
		r.add(Check{Check: "rate-limit", Result: Warning,
			Message: fmt.Sprintf("Only %d of %d requests are left this hour for this key; an upload and its processing wait take about 100.", rl.Remaining, rl.Limit),
			Fix:     "Wait for the rolling hour to free requests, or give the release its own key (Users and Access > Integrations) so other jobs do not spend its budget."})
	default:
		r.add(Check{Check: "rate-limit", Result: OK, Message: fmt.Sprintf("%d of %d requests left this hour for this key.", rl.Remaining, rl.Limit)})
	}
}

// failure turns an error of a read into a check: a 403 is a blocker whose
// fix is forbidden's, anything else a warning that the check could not be
// made.
func failure(check, subject, doing string, err error, forbidden string) Check {
	if errors.Is(err, asc.ErrForbidden) {
		return Check{Check: check, Subject: subject, Result: Blocker, Message: fmt.Sprintf("App Store Connect refused %s (403): %v", doing, err), Fix: forbidden}
	}
	return Check{Check: check, Subject: subject, Result: Warning, Message: fmt.Sprintf("Could not check: %s failed: %v", doing, err),
		Fix: "Run verify again; if it persists, check the runner's network and api-url."}
}

// quote renders a list of names for a message.
func quote(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// has reports whether any of the checks so far is a blocker of kind check.
func (r *run) has(check string) bool {
	return slices.ContainsFunc(r.rep.Checks, func(c Check) bool { return c.Check == check && c.Result == Blocker })
}
