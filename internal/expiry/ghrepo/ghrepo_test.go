package ghrepo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v93/github"

	"github.com/asc-action/asc-action/internal/expiry"
)

var now = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func client(t *testing.T, url string) *github.Client {
	t.Helper()
	gh, err := NewClient(fakeToken, url+apiPrefix, nil)
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

func report(at time.Time, daysLeft ...int) *expiry.Report {
	var items []expiry.Item
	for i, d := range daysLeft {
		items = append(items, expiry.Item{
			Kind: expiry.KindCertificate, Name: "cert", ID: string(rune('A' + i)),
			ExpiresAt: now.Add(time.Duration(d)*24*time.Hour + time.Hour),
		})
	}
	return expiry.NewReport(items, expiry.DefaultThresholds(), at)
}

func TestIssueLifecycle(t *testing.T) {
	f, srv := newFakeGitHub(t)
	ctx := context.Background()
	opts := IssueOptions{Repo: Repo{"octo", "app"}}

	type step struct {
		name     string
		report   *expiry.Report
		action   IssueAction
		writes   int // write calls this step may make
		state    string
		bodyHas  string
		comments int
	}
	steps := []step{
		{"open", report(now, 10, 45), IssueOpened, 2, "open", "| cert (A) |", 0},
		{"unchanged an hour later", report(now.Add(time.Hour), 10, 45), IssueUnchanged, 0, "open", "| cert (A) |", 0},
		{"update with changed content", report(now, 10, 3, 45), IssueUpdated, 1, "open", "| cert (B) |", 0},
		{"unchanged again", report(now, 10, 3, 45), IssueUnchanged, 0, "open", "| cert (B) |", 0},
		{"close when nothing is expiring", report(now, 45, 90), IssueClosed, 2, "closed", "| cert (B) |", 1},
		{"nothing to do while closed", report(now, 45), IssueNone, 0, "closed", "", 1},
		{"reopen the same issue", report(now, 2), IssueReopened, 1, "open", "❌ fail", 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			// A fresh client each run, as each scheduled run is a new process.
			before := f.writes()
			res, err := SyncIssue(ctx, client(t, srv.URL), opts, s.report)
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != s.action {
				t.Fatalf("action %s, want %s", res.Action, s.action)
			}
			if got := f.writes() - before; got != s.writes {
				t.Errorf("%d write calls, want %d", got, s.writes)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.issues) != 1 {
				t.Fatalf("%d issues, want exactly one", len(f.issues))
			}
			is := f.issues[0]
			if res.Number != 1 || !strings.HasSuffix(res.URL, "/issues/1") {
				t.Errorf("result %+v does not point at issue #1", res)
			}
			if is.State != s.state || !strings.Contains(is.Body, s.bodyHas) || !strings.Contains(is.Body, expiry.IssueMarker) {
				t.Errorf("issue state %s, body:\n%s", is.State, is.Body)
			}
			if s.action == IssueClosed && is.StateReason != "completed" {
				t.Errorf("closed with state_reason %q, want completed", is.StateReason)
			}
			if len(is.Comments) != s.comments {
				t.Errorf("%d comments, want %d", len(is.Comments), s.comments)
			}
			if !slices.Contains(is.Labels, DefaultLabel) || is.Title != expiry.IssueTitle {
				t.Errorf("labels %v title %q", is.Labels, is.Title)
			}
		})
	}
	if f.count("create issue") != 1 || f.count("create label") != 1 {
		t.Errorf("create issue %d, create label %d; want 1 each", f.count("create issue"), f.count("create label"))
	}
	if !strings.Contains(f.issues[0].Comments[0], "closing") {
		t.Errorf("close comment %q", f.issues[0].Comments[0])
	}
}

// A later run finds the tracking issue among many labelled issues and pull
// requests, pages away, instead of opening another; a human's issue with
// the label but without the marker is left alone.
func TestFindsExistingIssueAcrossPages(t *testing.T) {
	f, srv := newFakeGitHub(t)
	f.perPage = 2
	f.labels["release"] = true
	for i := 0; i < 5; i++ {
		f.issues = append(f.issues, &fakeIssue{Number: len(f.issues) + 1, Title: "human", Body: "about expiry", State: "open", Labels: []string{"release", "asc-expiry"}})
	}
	f.issues = append(f.issues, &fakeIssue{Number: len(f.issues) + 1, Title: "pr", Body: expiry.IssueMarker, State: "open", Labels: []string{"release"}, IsPR: true})
	f.issues = append(f.issues, &fakeIssue{Number: len(f.issues) + 1, Title: "old", Body: expiry.IssueMarker + "\nold", State: "closed", Labels: []string{"release"}})
	f.issues = append(f.issues, &fakeIssue{Number: len(f.issues) + 1, Title: "tracking", Body: expiry.IssueMarker + "\nstale", State: "open", Labels: []string{"release"}})

	res, err := SyncIssue(context.Background(), client(t, srv.URL), IssueOptions{Repo: Repo{"octo", "app"}, Label: "release"}, report(now, 5))
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != IssueUpdated || res.Number != 8 {
		t.Fatalf("result %+v; want issue #8 updated", res)
	}
	if f.count("create issue") != 0 || f.count("list issues") < 4 {
		t.Errorf("create %d, list pages %d", f.count("create issue"), f.count("list issues"))
	}
	if f.issues[0].Body != "about expiry" || f.issues[6].State != "closed" {
		t.Error("touched an issue that is not the open tracking issue")
	}
}

func TestIssueErrors(t *testing.T) {
	f, srv := newFakeGitHub(t)
	f.issuesDeny = true
	_, err := SyncIssue(context.Background(), client(t, srv.URL), IssueOptions{Repo: Repo{"octo", "app"}}, report(now, 5))
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "issues: write") {
		t.Fatalf("error %v", err)
	}
	if f.count("create issue") != 1 {
		t.Errorf("create issue sent %d times; a refused POST must not be repeated", f.count("create issue"))
	}
	if strings.Contains(err.Error(), fakeToken) {
		t.Error("error leaks the token")
	}

	_, err = SyncIssue(context.Background(), client(t, srv.URL), IssueOptions{Repo: Repo{"octo", "nope"}}, report(now, 5))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "github-repository") {
		t.Fatalf("error %v", err)
	}
}

func TestSecretAge(t *testing.T) {
	f, srv := newFakeGitHub(t)
	f.secrets["ASC_PRIVATE_KEY"] = fakeSecret{CreatedAt: now.AddDate(-1, 0, 0), UpdatedAt: now.Add(-80 * 24 * time.Hour)}
	gh := client(t, srv.URL)
	repo := Repo{"octo", "app"}
	th := expiry.DefaultThresholds()

	tests := []struct {
		name     string
		secret   string
		deny     bool
		rotate   int
		status   expiry.Status
		daysLeft int
		detail   string
	}{
		{"due in 10 days", "ASC_PRIVATE_KEY", false, 90, expiry.StatusWarn, 10, "last updated 2026-09-06"},
		{"overdue", "ASC_PRIVATE_KEY", false, 60, expiry.StatusExpired, -20, "last updated"},
		{"fresh", "ASC_PRIVATE_KEY", false, 365, expiry.StatusOK, 285, "last updated"},
		{"wrong name", "ASC_KEY_TYPO", false, 90, expiry.StatusError, 0, "set secret-name"},
		{"no permission", "ASC_PRIVATE_KEY", true, 90, expiry.StatusError, 0, "Secrets: read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.secretsDeny = tt.deny
			f.mu.Unlock()
			it := th.Classify(SecretAge(context.Background(), gh, repo, tt.secret, tt.rotate), now)
			if it.Kind != expiry.KindSecretAge || it.Name != tt.secret || it.Status != tt.status || !strings.Contains(it.Detail, tt.detail) {
				t.Fatalf("item %+v", it)
			}
			if tt.status != expiry.StatusError && *it.DaysLeft != tt.daysLeft {
				t.Errorf("days left %d, want %d", *it.DaysLeft, tt.daysLeft)
			}
		})
	}
}

func TestNewClientAndRepo(t *testing.T) {
	gh, err := NewClient("", "", nil)
	if err != nil || gh.BaseURL() != "https://api.github.com/" {
		t.Fatalf("default base URL %q, %v", gh.BaseURL(), err)
	}
	gh, err = NewClient("", "https://ghe.example.com/api/v3", nil)
	if err != nil || gh.BaseURL() != "https://ghe.example.com/api/v3/" {
		t.Fatalf("enterprise base URL %q, %v", gh.BaseURL(), err)
	}
	tests := map[string]bool{"octo/app": true, " octo/app ": true, "octo": false, "/app": false, "octo/": false, "a/b/c": false, "": false}
	for in, ok := range tests {
		t.Run(in, func(t *testing.T) {
			r, err := ParseRepo(in)
			if ok != (err == nil) {
				t.Fatalf("ParseRepo(%q) = %v, %v", in, r, err)
			}
			if ok && r.String() != "octo/app" {
				t.Errorf("got %s", r)
			}
			if !ok && !errors.Is(err, ErrBadRepository) {
				t.Errorf("error %v", err)
			}
		})
	}
}

// Regression (issue #14): an audit that could not list anything found
// nothing expiring, and closed the tracking issue saying all was well.
func TestIncompleteAuditLeavesTheIssueOpen(t *testing.T) {
	f, srv := newFakeGitHub(t)
	ctx := context.Background()
	opts := IssueOptions{Repo: Repo{"octo", "app"}}
	if _, err := SyncIssue(ctx, client(t, srv.URL), opts, report(now, 3)); err != nil {
		t.Fatal(err)
	}
	incomplete := expiry.NewReport([]expiry.Item{
		expiry.ErrorItem(expiry.KindCertificate, "certificates", errors.New("certificates could not be listed: 500")),
	}, expiry.DefaultThresholds(), now)
	before := f.writes()
	res, err := SyncIssue(ctx, client(t, srv.URL), opts, incomplete)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != IssueUnchanged || f.writes() != before || f.issues[0].State != "open" {
		t.Errorf("result %+v, %d writes, state %s; want the issue left open and untouched", res, f.writes()-before, f.issues[0].State)
	}
}
