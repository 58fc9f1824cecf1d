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
type Build = Linked[BuildAttributes, BuildRelationships]

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
	AppID []string `query:"filter[app]"`
	// Version filters by build number.
	Version []string `query:"filter[version]"`
	// PreReleaseVersion filters by marketing version (CFBundleShortVersionString).
	PreReleaseVersion []string `query:"filter[preReleaseVersion.version]"`
	// Platform filters by the platform of the build's pre-release version
	// (IOS, MAC_OS, TV_OS, VISION_OS).
	Platform []string `query:"filter[preReleaseVersion.platform]"`
	// ProcessingState filters by PROCESSING, FAILED, INVALID or VALID.
	ProcessingState []string `query:"filter[processingState]"`
	// Fields names the build attributes to fetch; empty fetches all.
	Fields []string `query:"fields[builds]"`
	// Sort is e.g. "-uploadedDate" (newest first).
	Sort string `query:"sort"`
	ListOptions
}

// ListBuilds returns every build matching opts, following pages.
func (c *Client) ListBuilds(ctx context.Context, opts *ListBuildsOptions) ([]Build, *Response, error) {
	return list[Build](ctx, c, "v1/builds", opts)
}

// GetBuild returns one build by ID.
func (c *Client) GetBuild(ctx context.Context, id string) (*Build, *Response, error) {
	return get[Build](ctx, c, "builds", id)
}
