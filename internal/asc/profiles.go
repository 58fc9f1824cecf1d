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
	ProfileType []string
	// Name filters by profile name.
	Name []string
	// ProfileState filters by ACTIVE or INVALID.
	ProfileState []string
	// Fields names the attributes to fetch (fields[profiles]); empty fetches
	// all. ProfileSummaryFields leaves out the signed content, which is most
	// of a page's bytes.
	Fields []string
	// Limit is the page size (Apple allows up to 200).
	Limit int
	// MaxPages stops after this many pages (0: all); Response.NextURL then
	// tells whether more were left.
	MaxPages int
}

// ListProfiles returns every provisioning profile, following pages.
// Individual keys are refused here by Apple (403).
func (c *Client) ListProfiles(ctx context.Context, opts *ListProfilesOptions) ([]Profile, *Response, error) {
	if opts == nil {
		opts = &ListProfilesOptions{}
	}
	q := newQuery().list("filter[profileType]", opts.ProfileType...).list("filter[name]", opts.Name...).
		list("filter[profileState]", opts.ProfileState...).list("fields[profiles]", opts.Fields...).int("limit", opts.Limit)
	return ListAll[Profile](ctx, c, q.path("v1/profiles"), opts.MaxPages)
}
