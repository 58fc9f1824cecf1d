package asc

import "context"

// Profile states.
const (
	ProfileStateActive  = "ACTIVE"
	ProfileStateInvalid = "INVALID"
)

// Profile is a provisioning profile (resource type "profiles").
type Profile = Resource[ProfileAttributes]

// ProfileAttributes are the profile's fields we read.
type ProfileAttributes struct {
	Name           string `json:"name,omitempty"`
	Platform       string `json:"platform,omitempty"`
	ProfileType    string `json:"profileType,omitempty"`
	ProfileState   string `json:"profileState,omitempty"`
	UUID           string `json:"uuid,omitempty"`
	CreatedDate    Time   `json:"createdDate,omitzero"`
	ExpirationDate Time   `json:"expirationDate,omitzero"`
	// ProfileContent is the signed profile, base64.
	ProfileContent string `json:"profileContent,omitempty"`
}

// ProfileSummaryFields are every profile attribute but profileContent: what
// an expiry audit reads.
var ProfileSummaryFields = []string{"name", "platform", "profileType", "profileState", "uuid", "createdDate", "expirationDate"}

// ListProfilesOptions filters ListProfiles. Zero fields are not sent.
type ListProfilesOptions struct {
	// ProfileType filters by type (IOS_APP_STORE, ...).
	ProfileType []string `query:"filter[profileType]"`
	// Name filters by profile name.
	Name []string `query:"filter[name]"`
	// ProfileState filters by ACTIVE or INVALID.
	ProfileState []string `query:"filter[profileState]"`
	// Fields names the attributes to fetch; empty fetches all.
	// ProfileSummaryFields leaves out the signed content, which is most of a
	// page's bytes.
	Fields []string `query:"fields[profiles]"`
	ListOptions
}

// ListProfiles returns every provisioning profile, following pages.
// Individual keys are refused here by Apple (403).
func (c *Client) ListProfiles(ctx context.Context, opts *ListProfilesOptions) ([]Profile, *Response, error) {
	return list[Profile](ctx, c, "v1/profiles", opts)
}
