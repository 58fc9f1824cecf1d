// Package ghrepo holds the audit's GitHub side, through go-github: the age
// of the repository secret holding the API key, and the one tracking issue
// per repository that is opened, updated in place and closed as items come
// under warn-days and are renewed.
package ghrepo

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v93/github"
)

// DefaultAPIURL is GitHub's REST API; GitHub Enterprise Server sets
// GITHUB_API_URL to its own (https://HOST/api/v3).
const DefaultAPIURL = "https://api.github.com"

// Sentinel errors for GitHub answers the user must act on.
var (
	// ErrForbidden: the token lacks a permission (HTTP 403).
	ErrForbidden = errors.New("the token lacks permission")
	// ErrNotFound: the repository, secret or issue does not exist, or the
	// token cannot see it (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrBadRepository: github-repository is not "owner/name".
	ErrBadRepository = errors.New("bad repository name")
)

// NewClient returns a go-github client that authenticates with token and
// talks to apiURL (GITHUB_API_URL; empty means api.github.com). httpClient
// may be nil.
func NewClient(token, apiURL string, httpClient *http.Client) (*github.Client, error) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	opts := []github.ClientOptionsFunc{github.WithURLs(&apiURL, &apiURL)}
	if httpClient != nil {
		opts = append(opts, github.WithHTTPClient(httpClient))
	}
	if token != "" {
		opts = append(opts, github.WithAuthToken(token))
	}
	c, err := github.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_API_URL: %w", err)
	}
	return c, nil
}

// Repo names a repository.
type Repo struct {
	Owner string
	Name  string
}

// String returns "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// ParseRepo reads "owner/name", the form of github-repository and
// GITHUB_REPOSITORY.
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("github-repository: %q is not owner/name: %w; leave it empty to use GITHUB_REPOSITORY", s, ErrBadRepository)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// statusOf returns the HTTP status of a go-github error, or 0.
func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}
