package asc

import "context"

// App is an app record (resource type "apps").
type App = Resource[AppAttributes]

// AppAttributes are the app's fields we read.
type AppAttributes struct {
	Name          string `json:"name,omitempty"`
	BundleID      string `json:"bundleId,omitempty"`
	SKU           string `json:"sku,omitempty"`
	PrimaryLocale string `json:"primaryLocale,omitempty"`
}

// ListAppsOptions filters ListApps. Zero fields are not sent.
type ListAppsOptions struct {
	// BundleID filters by bundle identifier (exact match; several are OR-ed).
	BundleID []string
	// Name filters by app name.
	Name []string
	// Limit is the page size (Apple allows up to 200).
	Limit int
	// MaxPages stops after this many pages (0: all); Response.NextURL then
	// tells whether more were left.
	MaxPages int
}

// ListApps returns every app the key can see, following pages.
func (c *Client) ListApps(ctx context.Context, opts *ListAppsOptions) ([]App, *Response, error) {
	if opts == nil {
		opts = &ListAppsOptions{}
	}
	q := newQuery().list("filter[bundleId]", opts.BundleID...).list("filter[name]", opts.Name...).int("limit", opts.Limit)
	return ListAll[App](ctx, c, q.path("v1/apps"), opts.MaxPages)
}

// GetApp returns one app by its App Store Connect ID.
func (c *Client) GetApp(ctx context.Context, id string) (*App, *Response, error) {
	return Get[App](ctx, c, "v1/apps/"+pathEscape(id))
}
