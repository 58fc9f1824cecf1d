package asc

import "context"

// Build processing states.
const (
	ProcessingStateProcessing = "PROCESSING"
	ProcessingStateFailed     = "FAILED"
	ProcessingStateInvalid    = "INVALID"
	ProcessingStateValid      = "VALID"
)

// Build is an uploaded build (resource type "builds").
type Build struct {
	Type          string              `json:"type"`
	ID            string              `json:"id"`
	Attributes    BuildAttributes     `json:"attributes"`
	Relationships *BuildRelationships `json:"relationships,omitempty"`
}

// BuildAttributes are the build's fields we read.
type BuildAttributes struct {
	// Version is the build number (CFBundleVersion).
	Version        string `json:"version,omitempty"`
	UploadedDate   Time   `json:"uploadedDate,omitzero"`
	ExpirationDate Time   `json:"expirationDate,omitzero"`
	Expired        bool   `json:"expired,omitempty"`
	MinOsVersion   string `json:"minOsVersion,omitempty"`
	// ProcessingState is PROCESSING, FAILED, INVALID or VALID.
	ProcessingState         string `json:"processingState,omitempty"`
	BuildAudienceType       string `json:"buildAudienceType,omitempty"`
	UsesNonExemptEncryption *bool  `json:"usesNonExemptEncryption,omitempty"`
}

// BuildRelationships holds the linkage Apple includes when asked.
type BuildRelationships struct {
	App               *Relationship `json:"app,omitempty"`
	PreReleaseVersion *Relationship `json:"preReleaseVersion,omitempty"`
	BuildUpload       *Relationship `json:"buildUpload,omitempty"`
}

// ListBuildsOptions filters ListBuilds. Zero fields are not sent.
type ListBuildsOptions struct {
	// AppID filters by app ID.
	AppID []string
	// Version filters by build number.
	Version []string
	// PreReleaseVersion filters by marketing version (CFBundleShortVersionString).
	PreReleaseVersion []string
	// ProcessingState filters by PROCESSING, FAILED, INVALID or VALID.
	ProcessingState []string
	// Sort is e.g. "-uploadedDate" (newest first).
	Sort string
	// Limit is the page size (Apple allows up to 200).
	Limit int
	// MaxPages stops after this many pages (0: all); Response.NextURL then
	// tells whether more were left.
	MaxPages int
}

// ListBuilds returns every build matching opts, following pages.
func (c *Client) ListBuilds(ctx context.Context, opts *ListBuildsOptions) ([]Build, *Response, error) {
	if opts == nil {
		opts = &ListBuildsOptions{}
	}
	q := newQuery().list("filter[app]", opts.AppID...).list("filter[version]", opts.Version...).
		list("filter[preReleaseVersion.version]", opts.PreReleaseVersion...).
		list("filter[processingState]", opts.ProcessingState...).
		list("sort", opts.Sort).int("limit", opts.Limit)
	return ListAll[Build](ctx, c, q.path("v1/builds"), opts.MaxPages)
}

// GetBuild returns one build by ID.
func (c *Client) GetBuild(ctx context.Context, id string) (*Build, *Response, error) {
	return Get[Build](ctx, c, "v1/builds/"+pathEscape(id))
}
