package asc

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestListQueries sends every List call with each of its options set (some
// blank, which are dropped) and checks the exact request: each option
// names its parameter once, in its struct tag, and nothing else is sent.
func TestListQueries(t *testing.T) {
	var got *url.URL
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL
		writeJSON(w, 200, map[string]any{"data": []any{}, "links": map[string]any{"self": selfURL(r)}})
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	ctx := context.Background()
	page := ListOptions{Limit: 50, MaxPages: 3}
	tests := []struct {
		name  string
		call  func() error
		path  string
		query url.Values
	}{
		{"apps", func() error {
			_, _, err := c.ListApps(ctx, &ListAppsOptions{BundleID: []string{"a.b", " ", "c.d "}, Name: []string{"Demo"}, ListOptions: page})
			return err
		}, "/v1/apps", url.Values{"filter[bundleId]": {"a.b,c.d"}, "filter[name]": {"Demo"}, "limit": {"50"}}},
		{"apps without options", func() error { _, _, err := c.ListApps(ctx, nil); return err }, "/v1/apps", url.Values{}},
		{"certificates", func() error {
			_, _, err := c.ListCertificates(ctx, &ListCertificatesOptions{CertificateType: []string{"DISTRIBUTION"}, Fields: []string{"name", "platform"}, ListOptions: page})
			return err
		}, "/v1/certificates", url.Values{"filter[certificateType]": {"DISTRIBUTION"}, "fields[certificates]": {"name,platform"}, "limit": {"50"}}},
		{"profiles", func() error {
			_, _, err := c.ListProfiles(ctx, &ListProfilesOptions{ProfileType: []string{"IOS_APP_STORE"}, Name: []string{"P"}, ProfileState: []string{"ACTIVE"}, Fields: []string{"uuid"}})
			return err
		}, "/v1/profiles", url.Values{"filter[profileType]": {"IOS_APP_STORE"}, "filter[name]": {"P"}, "filter[profileState]": {"ACTIVE"}, "fields[profiles]": {"uuid"}}},
		{"builds", func() error {
			_, _, err := c.ListBuilds(ctx, &ListBuildsOptions{AppID: []string{"1"}, Version: []string{"7"}, PreReleaseVersion: []string{"1.0"},
				ProcessingState: []string{"VALID", "PROCESSING"}, Sort: "-uploadedDate", ListOptions: page})
			return err
		}, "/v1/builds", url.Values{"filter[app]": {"1"}, "filter[version]": {"7"}, "filter[preReleaseVersion.version]": {"1.0"},
			"filter[processingState]": {"VALID,PROCESSING"}, "sort": {"-uploadedDate"}, "limit": {"50"}}},
		{"build uploads", func() error {
			_, _, err := c.ListAppBuildUploads(ctx, "1/2", &ListBuildUploadsOptions{CFBundleShortVersionString: []string{"1.0"}, CFBundleVersion: []string{"7"},
				Platform: []string{"IOS"}, State: []string{"COMPLETE"}, Sort: " ", ListOptions: page})
			return err
		}, "/v1/apps/1%2F2/buildUploads", url.Values{"filter[cfBundleShortVersionString]": {"1.0"}, "filter[cfBundleVersion]": {"7"},
			"filter[platform]": {"IOS"}, "filter[state]": {"COMPLETE"}, "limit": {"50"}}},
		{"beta groups", func() error {
			_, _, err := c.ListBetaGroups(ctx, &ListBetaGroupsOptions{AppID: []string{"1"}, Name: []string{"QA"}, ID: []string{"G1"}, BuildID: []string{"B1"}, Sort: "name"})
			return err
		}, "/v1/betaGroups", url.Values{"filter[app]": {"1"}, "filter[name]": {"QA"}, "filter[id]": {"G1"}, "filter[builds]": {"B1"}, "sort": {"name"}}},
		{"beta build localizations", func() error {
			_, _, err := c.ListBetaBuildLocalizations(ctx, &ListBetaBuildLocalizationsOptions{BuildID: []string{"B1"}, Locale: []string{"en-US"}, ListOptions: page})
			return err
		}, "/v1/betaBuildLocalizations", url.Values{"filter[build]": {"B1"}, "filter[locale]": {"en-US"}, "limit": {"50"}}},
		{"beta app review submissions", func() error {
			_, _, err := c.ListBetaAppReviewSubmissions(ctx, &ListBetaAppReviewSubmissionsOptions{BuildID: []string{"B1"}, BetaReviewState: []string{"APPROVED"}})
			return err
		}, "/v1/betaAppReviewSubmissions", url.Values{"filter[build]": {"B1"}, "filter[betaReviewState]": {"APPROVED"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if got == nil || got.EscapedPath() != tt.path || !reflect.DeepEqual(got.Query(), tt.query) {
				t.Errorf("sent %v; want %s?%s", got, tt.path, tt.query.Encode())
			}
		})
	}
}

// TestListOptionsNameTheirParameters: an options field without a query tag
// would be dropped without a word, so every field of every List...Options
// names its parameter, but the embedded ListOptions (whose MaxPages is the
// client's own).
func TestListOptionsNameTheirParameters(t *testing.T) {
	for _, o := range []any{ListAppsOptions{}, ListCertificatesOptions{}, ListProfilesOptions{}, ListBuildsOptions{},
		ListBuildUploadsOptions{}, ListBetaGroupsOptions{}, ListBetaBuildLocalizationsOptions{}, ListBetaAppReviewSubmissionsOptions{}} {
		typ := reflect.TypeOf(o)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous && f.Type == reflect.TypeFor[ListOptions]() {
				continue
			}
			if f.Tag.Get("query") == "" {
				t.Errorf("%s.%s has no query tag", typ.Name(), f.Name)
			}
			// query.options handles these three; another type would panic there.
			if k := f.Type.Kind(); k != reflect.Int && k != reflect.String && f.Type != reflect.TypeFor[[]string]() {
				t.Errorf("%s.%s is a %s; a query field is a []string, a string or an int", typ.Name(), f.Name, f.Type)
			}
		}
	}
}
