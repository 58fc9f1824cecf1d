package readiness

import (
	"context"
	"errors"
	"fmt"

	"github.com/asc-action/asc-action/internal/asc"
)

// findApp checks the app named by app-id or bundle-id exists and is
// visible to the key.
func (r *run) findApp(ctx context.Context) {
	c := Check{Check: "app"}
	switch {
	case r.cfg.AppID != "":
		c.Subject = "app-id " + r.cfg.AppID
		app, _, err := r.api.GetApp(ctx, r.cfg.AppID)
		switch {
		case errors.Is(err, asc.ErrNotFound):
			c.Result, c.Message = Blocker, fmt.Sprintf("App Store Connect has no app with ID %s that this key can see.", r.cfg.AppID)
			c.Fix = "Set app-id to the Apple ID shown in App Store Connect > Apps > (your app) > App Information, or use bundle-id."
		case err != nil:
			c = failure("app", c.Subject, "reading app "+r.cfg.AppID, err, "Give the key a role that can see the app (Users and Access > Integrations): Admin, App Manager or Developer.")
		case r.cfg.BundleID != "" && app.Attributes.BundleID != r.cfg.BundleID:
			c.Result, c.Message = Blocker, fmt.Sprintf("App %s is %s, not bundle-id %s.", app.ID, app.Attributes.BundleID, r.cfg.BundleID)
			c.Fix = "Make app-id and bundle-id (or the build's CFBundleIdentifier) name the same app."
		default:
			r.app = app
		}
	case r.cfg.BundleID != "":
		c.Subject = "bundle-id " + r.cfg.BundleID
		r.app, c = r.appByBundleID(ctx, c)
	default:
		c.Result, c.Message = Blocker, "No app to check: neither app-id nor bundle-id is set, and no app-path to read the bundle ID from."
		c.Fix = "Set bundle-id (or app-id, or app-path) on the verify step."
	}
	if r.app != nil {
		r.rep.AppID = r.app.ID
		c.Result = OK
		c.Message = fmt.Sprintf("App %q (%s), id %s, builds for %s.", r.app.Attributes.Name, r.app.Attributes.BundleID, r.app.ID, r.cfg.Platform)
	}
	r.add(c)
}

func (r *run) appByBundleID(ctx context.Context, c Check) (*asc.App, Check) {
	apps, _, err := r.api.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{r.cfg.BundleID}})
	if err != nil {
		return nil, failure("app", c.Subject, "finding the app with bundle ID "+r.cfg.BundleID, err,
			"Give the key a role that can see apps (Users and Access > Integrations): Admin, App Manager or Developer.")
	}
	for i, a := range apps {
		if a.Attributes.BundleID == r.cfg.BundleID {
			return &apps[i], c
		}
	}
	c.Result = Blocker
	c.Message = fmt.Sprintf("No app has bundle ID %s, or the key's role cannot see it.", r.cfg.BundleID)
	c.Fix = "Create the app in App Store Connect > Apps (+ New App) with this bundle ID, fix bundle-id, or give the key access to the app (Users and Access > Integrations)."
	return nil, c
}
