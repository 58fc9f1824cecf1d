package asc

import (
	"context"
	"net/http"
)

// Build upload states (attributes.state.state).
const (
	BuildUploadStateAwaitingUpload = "AWAITING_UPLOAD"
	BuildUploadStateProcessing     = "PROCESSING"
	BuildUploadStateFailed         = "FAILED"
	BuildUploadStateComplete       = "COMPLETE"
)

// BuildUpload is one upload of a build (resource type "buildUploads", API 4.1+).
type BuildUpload Linked[BuildUploadAttributes, BuildUploadRelationships]

// BuildUploadAttributes are the upload's fields.
type BuildUploadAttributes struct {
	CFBundleShortVersionString string            `json:"cfBundleShortVersionString,omitempty"`
	CFBundleVersion            string            `json:"cfBundleVersion,omitempty"`
	CreatedDate                Time              `json:"createdDate,omitzero"`
	UploadedDate               Time              `json:"uploadedDate,omitzero"`
	Platform                   string            `json:"platform,omitempty"`
	State                      *BuildUploadState `json:"state,omitempty"`
}

// BuildUploadState is the upload's state object: where processing is, and
// what Apple found.
type BuildUploadState struct {
	// State is AWAITING_UPLOAD, PROCESSING, FAILED or COMPLETE.
	State    string        `json:"state,omitempty"`
	Errors   []StateDetail `json:"errors,omitempty"`
	Warnings []StateDetail `json:"warnings,omitempty"`
	Infos    []StateDetail `json:"infos,omitempty"`
}

// StateDetail is one message in a state object.
type StateDetail struct {
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
}

// BuildUploadRelationships links the upload to its build and files.
type BuildUploadRelationships struct {
	// Build is set once processing has produced a build.
	Build     *Relationship `json:"build,omitempty"`
	AssetFile *Relationship `json:"assetFile,omitempty"`
}

// State returns attributes.state.state, or "" when absent.
func (u *BuildUpload) State() string {
	if u == nil || u.Attributes.State == nil {
		return ""
	}
	return u.Attributes.State.State
}

// BuildID returns the ID of the build this upload produced, or "".
func (u *BuildUpload) BuildID() string {
	if u == nil || u.Relationships == nil {
		return ""
	}
	return u.Relationships.Build.ID()
}

// buildUploadCreate is what a new upload is sent with.
type buildUploadCreate struct {
	CFBundleShortVersionString string `json:"cfBundleShortVersionString"`
	CFBundleVersion            string `json:"cfBundleVersion"`
	Platform                   string `json:"platform"`
}

// CreateBuildUpload starts an upload of build buildVersion (CFBundleVersion)
// of version shortVersion (CFBundleShortVersionString) for the app appID on
// platform (PlatformIOS, ...). A build number that exists already is refused
// with 409 (errors.Is(err, ErrConflict);
// HasCode("ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE")). This POST is not
// repeated after a 5xx or a broken connection: read the app's uploads
// (ListAppBuildUploads) before trying again.
func (c *Client) CreateBuildUpload(ctx context.Context, appID, shortVersion, buildVersion, platform string) (*BuildUpload, *Response, error) {
	attrs := buildUploadCreate{CFBundleShortVersionString: shortVersion, CFBundleVersion: buildVersion, Platform: platform}
	return create[BuildUpload](ctx, c, "buildUploads", &attrs, toOne("app", "apps", appID))
}

// GetBuildUpload reads an upload, with its state and (once known) its build.
func (c *Client) GetBuildUpload(ctx context.Context, id string) (*BuildUpload, *Response, error) {
	return get[BuildUpload](ctx, c, "buildUploads", id)
}

// DeleteBuildUpload deletes an upload (to abandon it). A DELETE that had to
// be sent again and then finds the upload gone counts as done.
func (c *Client) DeleteBuildUpload(ctx context.Context, id string) (*Response, error) {
	req, err := c.NewRequest(http.MethodDelete, "v1/buildUploads/"+pathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, req, nil)
}

// ListBuildUploadsOptions filters ListAppBuildUploads. Zero fields are not sent.
type ListBuildUploadsOptions struct {
	CFBundleShortVersionString []string `query:"filter[cfBundleShortVersionString]"`
	CFBundleVersion            []string `query:"filter[cfBundleVersion]"`
	// Platform filters by IOS, MAC_OS, TV_OS or VISION_OS.
	Platform []string `query:"filter[platform]"`
	// State filters by AWAITING_UPLOAD, PROCESSING, FAILED or COMPLETE.
	State []string `query:"filter[state]"`
	// Sort is e.g. "-uploadedDate".
	Sort string `query:"sort"`
	ListOptions
}

// ListAppBuildUploads returns the app's uploads, following pages.
func (c *Client) ListAppBuildUploads(ctx context.Context, appID string, opts *ListBuildUploadsOptions) ([]BuildUpload, *Response, error) {
	return list[BuildUpload](ctx, c, "v1/apps/"+pathEscape(appID)+"/buildUploads", opts)
}
