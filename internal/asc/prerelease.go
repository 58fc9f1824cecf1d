package asc

import "context"

// PreReleaseVersion is a version (CFBundleShortVersionString) of an app on
// one platform, made by the first build uploaded for it (resource type
// "preReleaseVersions").
type PreReleaseVersion = Resource[PreReleaseVersionAttributes]

// PreReleaseVersionAttributes are the version's fields.
type PreReleaseVersionAttributes struct {
	Version  string `json:"version,omitempty"`
	Platform string `json:"platform,omitempty"`
}

// ListPreReleaseVersionsOptions filters ListPreReleaseVersions. Zero
// fields are not sent.
type ListPreReleaseVersionsOptions struct {
	AppID    []string `query:"filter[app]"`
	Platform []string `query:"filter[platform]"`
	Version  []string `query:"filter[version]"`
	// Fields names the attributes to fetch; empty fetches all.
	Fields []string `query:"fields[preReleaseVersions]"`
	ListOptions
}

// ListPreReleaseVersions returns the pre-release versions matching opts,
// following pages.
func (c *Client) ListPreReleaseVersions(ctx context.Context, opts *ListPreReleaseVersionsOptions) ([]PreReleaseVersion, *Response, error) {
	return list[PreReleaseVersion](ctx, c, "v1/preReleaseVersions", opts)
}
