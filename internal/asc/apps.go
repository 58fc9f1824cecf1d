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
	BundleID []string `query:"filter[bundleId]"`
	// Name filters by app name.
	Name []string `query:"filter[name]"`
	ListOptions
}

// ListApps returns every app the key can see, following pages.
func (c *Client) ListApps(ctx context.Context, opts *ListAppsOptions) ([]App, *Response, error) {
	return list[App](ctx, c, "v1/apps", opts)
}

// GetApp returns one app by its App Store Connect ID.
func (c *Client) GetApp(ctx context.Context, id string) (*App, *Response, error) {
	return get[App](ctx, c, "apps", id)
}
