package ghrepo

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-github/v93/github"

	"github.com/asc-action/asc-action/internal/expiry"
)

// SecretAge reads when the repository secret name was last updated and
// reports it as an unclassified Item that "expires" rotateDays after that,
// so the audit says when a scheduled rotation is due. The check never stops
// the audit: a refusal becomes a StatusError item with a message saying what
// to fix (403: the token lacks permission; 404: wrong secret name).
func SecretAge(ctx context.Context, gh *github.Client, repo Repo, name string, rotateDays int) expiry.Item {
	it := expiry.Item{Kind: expiry.KindSecretAge, Name: name, Type: fmt.Sprintf("rotate every %d days", rotateDays)}
	s, _, err := gh.Actions.GetRepoSecret(ctx, repo.Owner, repo.Name, name)
	if err != nil {
		it.Status = expiry.StatusError
		switch statusOf(err) {
		case http.StatusForbidden, http.StatusUnauthorized:
			it.Detail = fmt.Sprintf("github-token cannot read the metadata of %s's secrets (%d: %v); use a token with the Secrets: read permission on the repository (the workflow's GITHUB_TOKEN cannot read secrets)", repo, statusOf(err), ErrForbidden)
		case http.StatusNotFound:
			it.Detail = fmt.Sprintf("no secret named %q in %s (404: %v); set secret-name to the name of the repository secret holding the key (organization and environment secrets are not checked)", name, repo, ErrNotFound)
		default:
			it.Detail = fmt.Sprintf("could not read secret %q of %s: %v", name, repo, err)
		}
		return it
	}
	updated := s.UpdatedAt.Time
	if updated.IsZero() {
		updated = s.CreatedAt.Time
	}
	if updated.IsZero() {
		it.Status = expiry.StatusError
		it.Detail = "GitHub returned no update date for the secret"
		return it
	}
	it.ExpiresAt = updated.Add(time.Duration(rotateDays) * 24 * time.Hour)
	it.Detail = "last updated " + updated.UTC().Format(time.DateOnly)
	return it
}
