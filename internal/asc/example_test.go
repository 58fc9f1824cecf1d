package asc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/asc-action/asc-action/internal/asc"
)

// staticToken is a TokenSource for the example; real callers pass the
// token package's refreshing source.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

func Example() {
	// A stand-in for App Store Connect.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:3499;")
		if r.URL.Path == "/v1/builds/nope" {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"errors":[{"status":"404","code":"NOT_FOUND","title":"The specified resource does not exist","detail":"There is no resource of type 'builds' with id 'nope'"}]}`)
			return
		}
		fmt.Fprint(w, `{"data":[{"type":"apps","id":"1234567890","attributes":{"name":"Demo","bundleId":"com.example.demo"}}],"links":{"self":"/v1/apps"}}`)
	}))
	defer srv.Close()

	c, err := asc.New(srv.URL, staticToken("example"))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	apps, resp, err := c.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{"com.example.demo"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(apps[0].ID, apps[0].Attributes.Name, resp.RateLimit)

	_, _, err = c.GetBuild(ctx, "nope")
	var apiErr *asc.APIError
	fmt.Println(errors.Is(err, asc.ErrNotFound), errors.As(err, &apiErr) && apiErr.HasCode("NOT_FOUND"))
	// Output:
	// 1234567890 Demo 3499/3500 left
	// true true
}
