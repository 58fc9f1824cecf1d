package asc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Beta review states (Apple's BetaReviewState).
const (
	BetaReviewStateWaitingForReview = "WAITING_FOR_REVIEW"
	BetaReviewStateInReview         = "IN_REVIEW"
	BetaReviewStateRejected         = "REJECTED"
	BetaReviewStateApproved         = "APPROVED"
)

// BetaGroup is a TestFlight group of testers (resource type "betaGroups").
// Internal groups hold App Store Connect users; external groups need a beta
// app review before their testers get a build.
type BetaGroup = Resource[BetaGroupAttributes]

// BetaGroupAttributes are the group's fields we read.
type BetaGroupAttributes struct {
	Name        string `json:"name,omitempty"`
	CreatedDate Time   `json:"createdDate,omitzero"`
	// IsInternalGroup is true for internal testing groups.
	IsInternalGroup bool `json:"isInternalGroup,omitempty"`
	// HasAccessToAllBuilds is true for internal groups that get every build
	// without being added to each.
	HasAccessToAllBuilds   bool   `json:"hasAccessToAllBuilds,omitempty"`
	PublicLinkEnabled      bool   `json:"publicLinkEnabled,omitempty"`
	PublicLinkID           string `json:"publicLinkId,omitempty"`
	PublicLinkLimitEnabled bool   `json:"publicLinkLimitEnabled,omitempty"`
	PublicLinkLimit        int    `json:"publicLinkLimit,omitempty"`
	PublicLink             string `json:"publicLink,omitempty"`
	FeedbackEnabled        bool   `json:"feedbackEnabled,omitempty"`
}

// ListBetaGroupsOptions filters ListBetaGroups. Zero fields are not sent.
type ListBetaGroupsOptions struct {
	// AppID filters by app ID.
	AppID []string `query:"filter[app]"`
	// Name filters by exact group name.
	Name []string `query:"filter[name]"`
	// ID filters by group ID.
	ID []string `query:"filter[id]"`
	// BuildID keeps only the groups the build has been added to.
	BuildID []string `query:"filter[builds]"`
	// Sort is e.g. "name".
	Sort string `query:"sort"`
	ListOptions
}

// ListBetaGroups returns every beta group matching opts, following pages.
// With BuildID set it answers "which groups is this build in?".
func (c *Client) ListBetaGroups(ctx context.Context, opts *ListBetaGroupsOptions) ([]BetaGroup, *Response, error) {
	return list[BetaGroup](ctx, c, "v1/betaGroups", opts)
}

// GetBetaGroup returns one beta group by ID.
func (c *Client) GetBetaGroup(ctx context.Context, id string) (*BetaGroup, *Response, error) {
	return get[BetaGroup](ctx, c, "betaGroups", id)
}

type betaGroupLinkages struct {
	Data []ResourceIdentifier `json:"data"`
}

// AddBuildToBetaGroups makes the build available to the testers of each
// group (POST /v1/builds/{id}/relationships/betaGroups, answered with 204).
// Adding a build to a group it is already in is harmless at Apple, but this
// POST is not repeated after a 5xx or a broken connection: list the build's
// groups (ListBetaGroups with BuildID) before trying again.
func (c *Client) AddBuildToBetaGroups(ctx context.Context, buildID string, groupIDs ...string) (*Response, error) {
	if len(groupIDs) == 0 {
		return nil, fmt.Errorf("asc: AddBuildToBetaGroups(%s): no group IDs", buildID)
	}
	body := betaGroupLinkages{Data: make([]ResourceIdentifier, 0, len(groupIDs))}
	for _, id := range groupIDs {
		body.Data = append(body.Data, ResourceIdentifier{Type: "betaGroups", ID: id})
	}
	req, err := c.NewRequest(http.MethodPost, "v1/builds/"+pathEscape(buildID)+"/relationships/betaGroups", body)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, req, nil)
}

// BetaBuildLocalization is a build's TestFlight text in one locale: the
// "What to Test" notes (resource type "betaBuildLocalizations").
type BetaBuildLocalization = Resource[BetaBuildLocalizationAttributes]

// BetaBuildLocalizationAttributes are the localization's fields.
type BetaBuildLocalizationAttributes struct {
	// WhatsNew is the "What to Test" text.
	WhatsNew string `json:"whatsNew,omitempty"`
	// Locale is e.g. "en-US".
	Locale string `json:"locale,omitempty"`
}

// ListBetaBuildLocalizationsOptions filters ListBetaBuildLocalizations.
type ListBetaBuildLocalizationsOptions struct {
	// BuildID filters by build.
	BuildID []string `query:"filter[build]"`
	// Locale filters by locale ("en-US").
	Locale []string `query:"filter[locale]"`
	ListOptions
}

// ListBetaBuildLocalizations returns the beta localizations matching opts,
// following pages.
func (c *Client) ListBetaBuildLocalizations(ctx context.Context, opts *ListBetaBuildLocalizationsOptions) ([]BetaBuildLocalization, *Response, error) {
	return list[BetaBuildLocalization](ctx, c, "v1/betaBuildLocalizations", opts)
}

// ListBuildBetaBuildLocalizations returns every beta localization of one
// build (GET /v1/builds/{id}/betaBuildLocalizations).
func (c *Client) ListBuildBetaBuildLocalizations(ctx context.Context, buildID string) ([]BetaBuildLocalization, *Response, error) {
	return ListAll[BetaBuildLocalization](ctx, c, "v1/builds/"+pathEscape(buildID)+"/betaBuildLocalizations", 0)
}

// betaBuildLocalizationCreate is what a new localization is sent with.
type betaBuildLocalizationCreate struct {
	WhatsNew string `json:"whatsNew"`
	Locale   string `json:"locale"`
}

// CreateBetaBuildLocalization sets the build's "What to Test" text in a
// locale that has none yet; a locale that has one is refused with 409 (use
// UpdateBetaBuildLocalization). Not repeated after a 5xx or a broken
// connection: list the build's localizations before trying again.
func (c *Client) CreateBetaBuildLocalization(ctx context.Context, buildID, locale, whatsNew string) (*BetaBuildLocalization, *Response, error) {
	attrs := betaBuildLocalizationCreate{WhatsNew: whatsNew, Locale: locale}
	return create[BetaBuildLocalization](ctx, c, "betaBuildLocalizations", &attrs, toOne("build", "builds", buildID))
}

// betaBuildLocalizationUpdate is what a localization's change sends.
type betaBuildLocalizationUpdate struct {
	WhatsNew string `json:"whatsNew"`
}

// UpdateBetaBuildLocalization replaces the "What to Test" text of the
// localization id.
func (c *Client) UpdateBetaBuildLocalization(ctx context.Context, id, whatsNew string) (*BetaBuildLocalization, *Response, error) {
	return update[BetaBuildLocalization](ctx, c, "betaBuildLocalizations", id, &betaBuildLocalizationUpdate{WhatsNew: whatsNew})
}

// BuildUpdate holds the build attributes UpdateBuild can change; nil fields
// are not sent.
type BuildUpdate struct {
	// UsesNonExemptEncryption is the export-compliance answer: does the
	// build use encryption that is not exempt? Until it is given, a build
	// waits in "Missing Compliance" and cannot be tested.
	UsesNonExemptEncryption *bool `json:"usesNonExemptEncryption,omitempty"`
	// Expired set to true expires the build for testers.
	Expired *bool `json:"expired,omitempty"`
}

// UpdateBuild changes a build's attributes (PATCH /v1/builds/{id}), for
// example its export-compliance answer.
func (c *Client) UpdateBuild(ctx context.Context, id string, u BuildUpdate) (*Build, *Response, error) {
	return update[Build](ctx, c, "builds", id, &u)
}

// GetBuildApp returns the app a build belongs to (GET /v1/builds/{id}/app).
func (c *Client) GetBuildApp(ctx context.Context, buildID string) (*App, *Response, error) {
	return Get[App](ctx, c, "v1/builds/"+pathEscape(buildID)+"/app")
}

// BetaAppReviewSubmission is a build's submission to TestFlight beta app
// review, which external groups need (resource type
// "betaAppReviewSubmissions").
type BetaAppReviewSubmission = Resource[BetaAppReviewSubmissionAttributes]

// BetaAppReviewSubmissionAttributes are the submission's fields.
type BetaAppReviewSubmissionAttributes struct {
	// BetaReviewState is WAITING_FOR_REVIEW, IN_REVIEW, REJECTED or APPROVED.
	BetaReviewState string `json:"betaReviewState,omitempty"`
	SubmittedDate   Time   `json:"submittedDate,omitzero"`
}

// ListBetaAppReviewSubmissionsOptions filters ListBetaAppReviewSubmissions.
type ListBetaAppReviewSubmissionsOptions struct {
	// BuildID filters by build; Apple requires it.
	BuildID []string `query:"filter[build]"`
	// BetaReviewState filters by state.
	BetaReviewState []string `query:"filter[betaReviewState]"`
	ListOptions
}

// ListBetaAppReviewSubmissions returns the submissions of the builds in
// opts.BuildID (an empty list when a build was never submitted).
func (c *Client) ListBetaAppReviewSubmissions(ctx context.Context, opts *ListBetaAppReviewSubmissionsOptions) ([]BetaAppReviewSubmission, *Response, error) {
	if opts == nil || len(opts.BuildID) == 0 {
		return nil, nil, fmt.Errorf("asc: ListBetaAppReviewSubmissions: a build ID is required (filter[build])")
	}
	return list[BetaAppReviewSubmission](ctx, c, "v1/betaAppReviewSubmissions", opts)
}

// GetBuildBetaAppReviewSubmission returns the build's beta review
// submission. A build never submitted gives (nil, resp, nil) when the
// server answers with "data": null, or an error matching ErrNotFound when it
// answers 404.
func (c *Client) GetBuildBetaAppReviewSubmission(ctx context.Context, buildID string) (*BetaAppReviewSubmission, *Response, error) {
	req, err := c.NewRequest(http.MethodGet, "v1/builds/"+pathEscape(buildID)+"/betaAppReviewSubmission", nil)
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	resp, err := c.Do(ctx, req, &doc)
	if err != nil {
		return nil, resp, err
	}
	if len(doc.Data) == 0 || string(doc.Data) == "null" {
		return nil, resp, nil
	}
	var s BetaAppReviewSubmission
	if err := json.Unmarshal(doc.Data, &s); err != nil {
		return nil, resp, &DecodeError{Method: http.MethodGet, Path: req.URL.Path, StatusCode: resp.StatusCode, Err: err}
	}
	return &s, resp, nil
}

// CreateBetaAppReviewSubmission submits the build to beta app review, so
// external groups' testers can get it once approved. A build already
// submitted is refused with 409. Not repeated after a 5xx or a broken
// connection: list the build's submissions before trying again.
func (c *Client) CreateBetaAppReviewSubmission(ctx context.Context, buildID string) (*BetaAppReviewSubmission, *Response, error) {
	return create[BetaAppReviewSubmission, struct{}](ctx, c, "betaAppReviewSubmissions", nil, toOne("build", "builds", buildID))
}
