package kms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// azureAudience is the audience Entra ID expects of a federated token.
const azureAudience = "api://AzureADTokenExchange"

// githubOIDC returns a function that asks GitHub Actions for a fresh OIDC
// token for audience, as actions/toolkit's getIDToken does: a GET of
// ACTIONS_ID_TOKEN_REQUEST_URL with audience added, authorised by
// ACTIONS_ID_TOKEN_REQUEST_TOKEN. The runner passes both into container
// actions too, and a token is asked for each time the cloud credential needs
// one, so a step of any length keeps working. Neither token appears in an
// error.
func githubOIDC(hc *http.Client, requestURL, requestToken, audience string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
		}
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
		}
		req.Header.Set("Authorization", "bearer "+requestToken)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // without the URL
			}
			return "", fmt.Errorf("requesting GitHub's OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL): %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("requesting GitHub's OIDC token: the runner answered %s; the job needs permissions: id-token: write", resp.Status)
		}
		var out struct {
			Value string `json:"value"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return "", fmt.Errorf("reading GitHub's OIDC token: %w", err)
		}
		if out.Value == "" {
			return "", errors.New("reading GitHub's OIDC token: the answer holds no token")
		}
		return out.Value, nil
	}
}
