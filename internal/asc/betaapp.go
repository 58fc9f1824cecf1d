package asc

import "context"

// What an app needs before its builds can reach external TestFlight testers:
// the beta app review contact details, a beta app localization (the test
// information testers read), and an export-compliance answer, which an app
// encryption declaration gives for every build.

// BetaAppReviewDetail is the contact and sign-in information Beta App Review
// uses (resource type "betaAppReviewDetails"; one per app, its ID the app's).
type BetaAppReviewDetail = Resource[BetaAppReviewDetailAttributes]

// BetaAppReviewDetailAttributes are the detail's fields (the demo account's
// password is never asked for).
type BetaAppReviewDetailAttributes struct {
	ContactFirstName    string `json:"contactFirstName,omitempty"`
	ContactLastName     string `json:"contactLastName,omitempty"`
	ContactPhone        string `json:"contactPhone,omitempty"`
	ContactEmail        string `json:"contactEmail,omitempty"`
	DemoAccountName     string `json:"demoAccountName,omitempty"`
	DemoAccountRequired bool   `json:"demoAccountRequired,omitempty"`
}

// betaAppReviewDetailFields are the attributes GetAppBetaAppReviewDetail
// asks for: everything it reads, and not the demo account's password.
const betaAppReviewDetailFields = "contactFirstName,contactLastName,contactPhone,contactEmail,demoAccountName,demoAccountRequired"

// GetAppBetaAppReviewDetail returns the app's beta app review details (GET
// /v1/apps/{id}/betaAppReviewDetail).
func (c *Client) GetAppBetaAppReviewDetail(ctx context.Context, appID string) (*BetaAppReviewDetail, *Response, error) {
	return Get[BetaAppReviewDetail](ctx, c, "v1/apps/"+pathEscape(appID)+"/betaAppReviewDetail?fields%5BbetaAppReviewDetails%5D="+betaAppReviewDetailFields)
}

// BetaAppLocalization is an app's TestFlight test information in one
// locale (resource type "betaAppLocalizations").
type BetaAppLocalization = Resource[BetaAppLocalizationAttributes]

// BetaAppLocalizationAttributes are the localization's fields.
type BetaAppLocalizationAttributes struct {
	Locale           string `json:"locale,omitempty"`
	Description      string `json:"description,omitempty"`
	FeedbackEmail    string `json:"feedbackEmail,omitempty"`
	MarketingURL     string `json:"marketingUrl,omitempty"`
	PrivacyPolicyURL string `json:"privacyPolicyUrl,omitempty"`
}

// ListAppBetaAppLocalizations returns the app's beta app localizations (GET
// /v1/apps/{id}/betaAppLocalizations), following pages.
func (c *Client) ListAppBetaAppLocalizations(ctx context.Context, appID string) ([]BetaAppLocalization, *Response, error) {
	return ListAll[BetaAppLocalization](ctx, c, "v1/apps/"+pathEscape(appID)+"/betaAppLocalizations?limit=200", 0)
}

// App encryption declaration states (Apple's AppEncryptionDeclarationState).
const (
	EncryptionDeclarationCreated  = "CREATED"
	EncryptionDeclarationInReview = "IN_REVIEW"
	EncryptionDeclarationApproved = "APPROVED"
	EncryptionDeclarationRejected = "REJECTED"
	EncryptionDeclarationInvalid  = "INVALID"
	EncryptionDeclarationExpired  = "EXPIRED"
)

// AppEncryptionDeclaration is an app's export-compliance declaration
// (resource type "appEncryptionDeclarations"); an approved one answers the
// compliance question for the app's builds.
type AppEncryptionDeclaration = Resource[AppEncryptionDeclarationAttributes]

// AppEncryptionDeclarationAttributes are the declaration's fields we read.
type AppEncryptionDeclarationAttributes struct {
	Exempt                          *bool  `json:"exempt,omitempty"`
	ContainsProprietaryCryptography *bool  `json:"containsProprietaryCryptography,omitempty"`
	ContainsThirdPartyCryptography  *bool  `json:"containsThirdPartyCryptography,omitempty"`
	AvailableOnFrenchStore          *bool  `json:"availableOnFrenchStore,omitempty"`
	CreatedDate                     Time   `json:"createdDate,omitzero"`
	State                           string `json:"appEncryptionDeclarationState,omitempty"`
	CodeValue                       string `json:"codeValue,omitempty"`
}

// ListAppEncryptionDeclarationsOptions filters ListAppEncryptionDeclarations.
type ListAppEncryptionDeclarationsOptions struct {
	// Platform filters by IOS, MAC_OS, TV_OS or VISION_OS.
	Platform []string `query:"filter[platform]"`
	ListOptions
}

// ListAppEncryptionDeclarations returns the app's encryption declarations
// (GET /v1/apps/{id}/appEncryptionDeclarations), following pages.
func (c *Client) ListAppEncryptionDeclarations(ctx context.Context, appID string, opts *ListAppEncryptionDeclarationsOptions) ([]AppEncryptionDeclaration, *Response, error) {
	return list[AppEncryptionDeclaration](ctx, c, "v1/apps/"+pathEscape(appID)+"/appEncryptionDeclarations", opts)
}
