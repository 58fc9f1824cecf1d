package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v93/github"
)

// DefaultGitHubAPIURL is GitHub's REST API; GitHub Enterprise Server's is
// https://HOST/api/v3 (GITHUB_API_URL).
const DefaultGitHubAPIURL = "https://api.github.com"

// GitHub sends repository_dispatch events to one repository through
// go-github.
type GitHub struct {
	client      *github.Client
	owner, name string
}

// NewGitHub returns a dispatcher to repo ("owner/name") that authenticates
// with token at apiURL (empty: api.github.com). httpClient may be nil.
func NewGitHub(repo, token, apiURL string, httpClient *http.Client) (*GitHub, error) {
	if token == "" {
		return nil, errors.New("github-token: empty; set GITHUB_TOKEN to a token that may create repository_dispatch events (fine-grained: this repository, contents: write), or give a GitHub App (github-app-id)")
	}
	return newGitHub(repo, apiURL, httpClient, []github.ClientOptionsFunc{github.WithAuthToken(token)})
}

func newGitHub(repo, apiURL string, httpClient *http.Client, extra []github.ClientOptionsFunc) (*GitHub, error) {
	owner, name, ok := strings.Cut(strings.TrimSpace(repo), "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("github-repository: %q is not owner/name; set GITHUB_REPOSITORY or --github-repository", repo)
	}
	if apiURL == "" {
		apiURL = DefaultGitHubAPIURL
	}
	opts := append([]github.ClientOptionsFunc{github.WithURLs(&apiURL, &apiURL)}, extra...)
	if httpClient != nil {
		opts = append(opts, github.WithHTTPClient(httpClient))
	}
	c, err := github.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github-api-url: %w", err)
	}
	return &GitHub{client: c, owner: owner, name: name}, nil
}

// Dispatch creates the repository_dispatch event. GitHub answers 204 once
// it accepted it; any error (a 4xx included) is returned so that the relay
// answers 5xx and Apple delivers again.
func (g *GitHub) Dispatch(ctx context.Context, eventType string, payload map[string]any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	msg := json.RawMessage(raw)
	_, resp, err := g.client.Repositories.Dispatch(ctx, g.owner, g.name, github.DispatchRequestOptions{EventType: eventType, ClientPayload: &msg})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("GitHub answered %d", resp.StatusCode)
		}
		return fmt.Errorf("GitHub did not answer: %w", err)
	}
	return nil
}
