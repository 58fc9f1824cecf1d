package readiness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
)

// AppAPI is what FindApp reads; *asc.Client implements it.
type AppAPI interface {
	ListApps(ctx context.Context, opts *asc.ListAppsOptions) ([]asc.App, *asc.Response, error)
	GetApp(ctx context.Context, id string) (*asc.App, *asc.Response, error)
}

// ErrNoApp is the error of FindApp when the app named does not exist or
// the key cannot see it (an *AppError).
var ErrNoApp = errors.New("no such app")

// AppError says why the app named by app-id or bundle-id was not found,
// and what to do.
type AppError struct {
	Message, Fix string
}

func (e *AppError) Error() string        { return e.Message + " " + e.Fix }
func (e *AppError) Is(target error) bool { return target == ErrNoApp }

// FindApp returns the app with appID, or else with bundleID (which must
// agree with appID's when both are given). An app that is not there is an
// *AppError; other errors are App Store Connect's.
func FindApp(ctx context.Context, api AppAPI, appID, bundleID string) (*asc.App, error) {
	switch {
	case appID != "":
		app, _, err := api.GetApp(ctx, appID)
		switch {
		case errors.Is(err, asc.ErrNotFound):
			return nil, &AppError{fmt.Sprintf("App Store Connect has no app with ID %s that this key can see.", appID),
				"Set app-id to the Apple ID shown in App Store Connect > Apps > (your app) > App Information, or use bundle-id."}
		case err != nil:
			return nil, fmt.Errorf("reading app %s: %w", appID, err)
		case bundleID != "" && app.Attributes.BundleID != bundleID:
			return nil, &AppError{fmt.Sprintf("App %s is %s, not bundle-id %s.", app.ID, app.Attributes.BundleID, bundleID),
				"Make app-id and bundle-id (or the build's CFBundleIdentifier) name the same app."}
		}
		return app, nil
	case bundleID != "":
		apps, _, err := api.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{bundleID}})
		if err != nil {
			return nil, fmt.Errorf("finding the app with bundle ID %s: %w", bundleID, err)
		}
		for i, a := range apps {
			if a.Attributes.BundleID == bundleID {
				return &apps[i], nil
			}
		}
		return nil, &AppError{fmt.Sprintf("No app has bundle ID %s, or the key's role cannot see it.", bundleID),
			"Create the app in App Store Connect > Apps (+ New App) with this bundle ID, fix bundle-id, or give the key access to the app (Users and Access > Integrations)."}
	}
	return nil, &AppError{"No app named: neither app-id nor bundle-id is set, and no app-path to read the bundle ID from.", "Set bundle-id (or app-id, or app-path)."}
}

// findApp checks the app named by app-id or bundle-id exists and is
// visible to the key.
func (r *run) findApp(ctx context.Context) {
	c := Check{Check: "app", Subject: r.cfg.BundleID}
	if r.cfg.AppID != "" {
		c.Subject = r.cfg.AppID
	}
	app, err := FindApp(ctx, r.api, r.cfg.AppID, r.cfg.BundleID)
	var ae *AppError
	switch {
	case errors.As(err, &ae):
		c.Result, c.Message, c.Fix = Blocker, ae.Message, ae.Fix
	case err != nil:
		c = failure("app", c.Subject, "finding the app", err, fmt.Sprintf(roleFix, "Admin, App Manager or Developer"))
	default:
		r.app, r.rep.AppID = app, app.ID
		c.Result = OK
		c.Message = fmt.Sprintf("App %q (%s), id %s, builds for %s.", app.Attributes.Name, app.Attributes.BundleID, app.ID, r.cfg.Platform)
	}
	r.add(c)
}

// platform warns when the app has builds on other platforms but none on
// the one the upload is for: its record may lack the platform, which App
// Store Connect needs before it takes the build. A first build of an app
// says nothing.
func (r *run) platform(ctx context.Context) {
	vs, _, err := r.api.ListPreReleaseVersions(ctx, &asc.ListPreReleaseVersionsOptions{AppID: []string{r.app.ID},
		Fields: []string{"platform"}, ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		r.add(failure("platform", r.cfg.Platform, "listing the app's versions", err, fmt.Sprintf(roleFix, "Admin or App Manager")))
		return
	}
	var others []string
	for _, v := range vs {
		if p := v.Attributes.Platform; p == r.cfg.Platform {
			r.add(Check{Check: "platform", Subject: p, Result: OK, Message: fmt.Sprintf("The app has builds for %s.", p)})
			return
		} else if p != "" && !slices.Contains(others, p) {
			others = append(others, p)
		}
	}
	if len(others) == 0 {
		r.add(Check{Check: "platform", Subject: r.cfg.Platform, Result: OK, Message: fmt.Sprintf("The app has no build yet; this is its first, for %s.", r.cfg.Platform)})
		return
	}
	r.add(Check{Check: "platform", Subject: r.cfg.Platform, Result: Warning,
		Message: fmt.Sprintf("The app has builds for %s but none for %s yet.", strings.Join(others, ", "), r.cfg.Platform),
		Fix:     "Check the platform input (or the build's platform), and that the app record has the platform: App Store Connect > Apps > (your app) > Add Platform."})
}
