package ghrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v93/github"

	"github.com/asc-action/asc-action/internal/expiry"
)

// DefaultLabel is the label of the tracking issue when issue-label is empty.
const DefaultLabel = "asc-expiry"

// labelColor and labelDescription are used when the label is created.
const (
	labelColor       = "d93f0b"
	labelDescription = "Signing items expiring soon (asc-action check-expiry)"
)

// IssueOptions says where the tracking issue lives.
type IssueOptions struct {
	Repo  Repo
	Label string // DefaultLabel when empty
	Title string // expiry.IssueTitle when empty
}

// IssueAction is what SyncIssue did.
type IssueAction string

// The outcomes of SyncIssue.
const (
	IssueOpened    IssueAction = "opened"    // a new issue was created
	IssueReopened  IssueAction = "reopened"  // the closed tracking issue was reopened with new content
	IssueUpdated   IssueAction = "updated"   // the open issue's body was edited
	IssueUnchanged IssueAction = "unchanged" // the open issue already says this; nothing was sent
	IssueClosed    IssueAction = "closed"    // nothing is expiring: commented and closed
	IssueNone      IssueAction = "none"      // nothing is expiring and no issue is open
)

// IssueResult reports what SyncIssue did, and to which issue.
type IssueResult struct {
	Action IssueAction
	Number int
	URL    string
}

// SyncIssue brings the repository's one tracking issue in line with the
// report. The issue is found again by its label and the hidden marker in
// its body (expiry.IssueMarker), open or closed, so it is never duplicated:
// when something is under warn-days it is opened (or reopened) and its body
// edited only when the content changed; when nothing is, an open issue gets
// a comment and is closed. Only the calls it needs are made, and none is
// repeated on failure.
func SyncIssue(ctx context.Context, gh *github.Client, opts IssueOptions, r *expiry.Report) (IssueResult, error) {
	if opts.Label == "" {
		opts.Label = DefaultLabel
	}
	if opts.Title == "" {
		opts.Title = expiry.IssueTitle
	}
	issue, err := findIssue(ctx, gh, opts)
	if err != nil {
		return IssueResult{}, err
	}
	res := IssueResult{Action: IssueNone}
	if issue != nil {
		res.Number, res.URL = issue.GetNumber(), issue.GetHTMLURL()
	}

	if r.ExpiringCount() == 0 {
		if issue == nil || issue.GetState() != "open" {
			return res, nil
		}
		if r.Incomplete() {
			// Nothing expiring among what could be checked says nothing of
			// what could not: an incomplete audit never closes the issue.
			res.Action = IssueUnchanged
			return res, nil
		}
		comment := fmt.Sprintf("Nothing is expired or within %d days of expiry any more; closing. The scheduled audit reopens this issue when something is.", r.Thresholds.WarnDays)
		if _, _, err := gh.Issues.CreateComment(ctx, opts.Repo.Owner, opts.Repo.Name, issue.GetNumber(), github.IssueCommentRequest{Body: comment}); err != nil {
			return res, apiError("comment on", opts.Repo, issue.GetNumber(), err)
		}
		if _, _, err := gh.Issues.Update(ctx, opts.Repo.Owner, opts.Repo.Name, issue.GetNumber(), github.UpdateIssueRequest{
			State: new("closed"), StateReason: new("completed"),
		}); err != nil {
			return res, apiError("close", opts.Repo, issue.GetNumber(), err)
		}
		res.Action = IssueClosed
		return res, nil
	}

	body := r.IssueBody().String()
	switch {
	case issue == nil:
		if err := ensureLabel(ctx, gh, opts); err != nil {
			return res, err
		}
		created, _, err := gh.Issues.Create(ctx, opts.Repo.Owner, opts.Repo.Name, github.CreateIssueRequest{
			Title: opts.Title, Body: &body, Labels: []string{opts.Label},
		})
		if err != nil {
			return res, apiError("create", opts.Repo, 0, err)
		}
		return IssueResult{Action: IssueOpened, Number: created.GetNumber(), URL: created.GetHTMLURL()}, nil
	case issue.GetState() != "open":
		if _, _, err := gh.Issues.Update(ctx, opts.Repo.Owner, opts.Repo.Name, issue.GetNumber(), github.UpdateIssueRequest{
			State: new("open"), Body: &body,
		}); err != nil {
			return res, apiError("reopen", opts.Repo, issue.GetNumber(), err)
		}
		res.Action = IssueReopened
		return res, nil
	case sameBody(issue.GetBody(), body):
		res.Action = IssueUnchanged
		return res, nil
	default:
		if _, _, err := gh.Issues.Update(ctx, opts.Repo.Owner, opts.Repo.Name, issue.GetNumber(), github.UpdateIssueRequest{Body: &body}); err != nil {
			return res, apiError("update", opts.Repo, issue.GetNumber(), err)
		}
		res.Action = IssueUpdated
		return res, nil
	}
}

// findIssue lists the label's issues, open and closed, every page, and
// returns the tracking issue: the oldest open one carrying the marker, else
// the most recent closed one, else nil.
func findIssue(ctx context.Context, gh *github.Client, opts IssueOptions) (*github.Issue, error) {
	list := &github.IssueListByRepoOptions{
		State: "all", Labels: []string{opts.Label}, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: 100},
	}
	var open, closed *github.Issue
	pages := 0
	for {
		issues, resp, err := gh.Issues.ListByRepo(ctx, opts.Repo.Owner, opts.Repo.Name, list)
		if err != nil {
			return nil, apiError("list", opts.Repo, 0, err)
		}
		for _, is := range issues {
			if is.PullRequestLinks != nil || !strings.Contains(is.GetBody(), expiry.IssueMarker) {
				continue
			}
			if is.GetState() == "open" {
				if open == nil || is.GetNumber() < open.GetNumber() {
					open = is
				}
			} else if closed == nil || is.GetNumber() > closed.GetNumber() {
				closed = is
			}
		}
		if resp == nil || !nextPage(list, resp) {
			break
		}
		if pages++; pages >= maxPages {
			return nil, fmt.Errorf("issues in %s: more than %d pages labelled %q; use a label only the audit uses (issue-label)", opts.Repo, maxPages, opts.Label)
		}
	}
	if open != nil {
		return open, nil
	}
	return closed, nil
}

// maxPages bounds the listing of labelled issues (100 per page).
const maxPages = 50

// nextPage points list at the next page GitHub linked, offset or cursor
// style, and reports whether there is one.
func nextPage(list *github.IssueListByRepoOptions, resp *github.Response) bool {
	switch {
	case resp.NextPage != 0:
		list.ListOptions.Page = resp.NextPage
		list.ListCursorOptions.Page = ""
	case resp.NextPageToken != "":
		list.ListOptions.Page = 0
		list.ListCursorOptions.Page = resp.NextPageToken
	case resp.After != "":
		list.ListOptions.Page = 0
		list.ListCursorOptions.After = resp.After
	default:
		return false
	}
	return true
}

// ensureLabel creates the label; one that already exists is fine.
func ensureLabel(ctx context.Context, gh *github.Client, opts IssueOptions) error {
	_, _, err := gh.Issues.CreateLabel(ctx, opts.Repo.Owner, opts.Repo.Name, github.CreateIssueLabelRequest{
		Name: opts.Label, Color: new(labelColor), Description: new(labelDescription),
	})
	if err == nil || statusOf(err) == http.StatusUnprocessableEntity { // already_exists
		return nil
	}
	return fmt.Errorf("issue-label: could not create label %q in %s: %w", opts.Label, opts.Repo, classify(err))
}

// apiError explains a failed issue call and wraps ErrForbidden/ErrNotFound.
func apiError(op string, repo Repo, number int, err error) error {
	what := "the tracking issue"
	if number > 0 {
		what = fmt.Sprintf("issue #%d", number)
	}
	if op == "list" {
		what = "issues"
	}
	switch statusOf(err) {
	case http.StatusForbidden, http.StatusUnauthorized:
		return fmt.Errorf("github-token: could not %s %s in %s: %w; give the workflow `permissions: issues: write`, or set create-issue: false (%w)", op, what, repo, ErrForbidden, err)
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("github-repository: could not %s %s in %s: %w; check github-repository, that issues are enabled, and that the token can see the repository (%w)", op, what, repo, ErrNotFound, err)
	}
	return fmt.Errorf("could not %s %s in %s: %w", op, what, repo, err)
}

func classify(err error) error {
	switch statusOf(err) {
	case http.StatusForbidden, http.StatusUnauthorized:
		return errors.Join(ErrForbidden, err)
	case http.StatusNotFound:
		return errors.Join(ErrNotFound, err)
	}
	return err
}

// sameBody compares bodies as GitHub stores them (CRLF, trailing space).
func sameBody(a, b string) bool {
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return norm(a) == norm(b)
}
