package ghrepo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	apiPrefix = "/api/v3" // as on GitHub Enterprise Server; catches absolute-path mistakes
	fakeToken = "ghs_test-token-not-real"
)

type fakeIssue struct {
	Number      int      `json:"number"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	State       string   `json:"state"`
	StateReason string   `json:"state_reason,omitempty"`
	Labels      []string `json:"-"`
	IsPR        bool     `json:"-"`
	Comments    []string `json:"-"`
}

type fakeSecret struct {
	CreatedAt time.Time
	UpdatedAt time.Time
}

// fakeGitHub speaks the GitHub REST API for exactly the calls the audit
// uses: list issues by label, create, edit, comment, create label, get a
// repository secret. Any other request fails the test.
type fakeGitHub struct {
	t     *testing.T
	owner string
	repo  string

	mu          sync.Mutex
	issues      []*fakeIssue
	labels      map[string]bool
	secrets     map[string]fakeSecret
	secretsDeny bool // answer 403 on secrets
	issuesDeny  bool // answer 403 on issue writes
	perPage     int  // server-side page size cap
	calls       map[string]int
}

func newFakeGitHub(t *testing.T) (*fakeGitHub, *httptest.Server) {
	f := &fakeGitHub{t: t, owner: "octo", repo: "app", labels: map[string]bool{}, secrets: map[string]fakeSecret{}, calls: map[string]int{}, perPage: 100}
	srv := httptest.NewServer(http.StripPrefix(apiPrefix, http.HandlerFunc(f.serve)))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitHub) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

func (f *fakeGitHub) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["create issue"] + f.calls["edit issue"] + f.calls["comment"] + f.calls["create label"]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ghError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func (f *fakeGitHub) issueJSON(base string, is *fakeIssue) map[string]any {
	labels := []map[string]any{}
	for _, l := range is.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	m := map[string]any{
		"number": is.Number, "title": is.Title, "body": is.Body, "state": is.State, "labels": labels,
		"html_url": fmt.Sprintf("https://github.example/%s/%s/issues/%d", f.owner, f.repo, is.Number),
	}
	if is.StateReason != "" {
		m["state_reason"] = is.StateReason
	}
	if is.IsPR {
		m["pull_request"] = map[string]any{"url": base + "/pulls/" + strconv.Itoa(is.Number)}
	}
	return m
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer "+fakeToken {
		ghError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	repoPath := "/repos/" + f.owner + "/" + f.repo
	rest, ok := strings.CutPrefix(r.URL.Path, repoPath)
	if !ok {
		if !strings.HasPrefix(r.URL.Path, "/repos/") {
			f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		ghError(w, http.StatusNotFound, "Not Found") // another repository
		return
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case r.Method == http.MethodGet && rest == "/issues":
		f.calls["list issues"]++
		f.listIssues(w, r)
	case r.Method == http.MethodPost && rest == "/issues":
		f.calls["create issue"]++
		if f.issuesDeny {
			ghError(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		var req struct {
			Title  string   `json:"title"`
			Body   string   `json:"body"`
			Labels []string `json:"labels"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Title == "" {
			ghError(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		is := &fakeIssue{Number: len(f.issues) + 1, Title: req.Title, Body: req.Body, State: "open", Labels: req.Labels}
		f.issues = append(f.issues, is)
		writeJSON(w, http.StatusCreated, f.issueJSON(repoPath, is))
	case r.Method == http.MethodPatch && len(seg) == 2 && seg[0] == "issues":
		f.calls["edit issue"]++
		is := f.issue(seg[1])
		if is == nil {
			ghError(w, http.StatusNotFound, "Not Found")
			return
		}
		var req map[string]*string
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			ghError(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
		for k, v := range req {
			switch k {
			case "body":
				is.Body = *v
			case "state":
				if *v != "open" && *v != "closed" {
					ghError(w, http.StatusUnprocessableEntity, "Validation Failed")
					return
				}
				is.State = *v
			case "state_reason":
				is.StateReason = *v
			default:
				f.t.Errorf("edit issue: unexpected field %q", k)
			}
		}
		writeJSON(w, http.StatusOK, f.issueJSON(repoPath, is))
	case r.Method == http.MethodPost && len(seg) == 3 && seg[0] == "issues" && seg[2] == "comments":
		f.calls["comment"]++
		is := f.issue(seg[1])
		if is == nil {
			ghError(w, http.StatusNotFound, "Not Found")
			return
		}
		var req struct {
			Body string `json:"body"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		is.Comments = append(is.Comments, req.Body)
		writeJSON(w, http.StatusCreated, map[string]any{"id": len(is.Comments), "body": req.Body})
	case r.Method == http.MethodPost && rest == "/labels":
		f.calls["create label"]++
		var req struct {
			Name, Color, Description string
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if f.labels[strings.ToLower(req.Name)] {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"message": "Validation Failed",
				"errors":  []map[string]any{{"resource": "Label", "code": "already_exists", "field": "name"}},
			})
			return
		}
		f.labels[strings.ToLower(req.Name)] = true
		writeJSON(w, http.StatusCreated, map[string]any{"id": len(f.labels), "name": req.Name, "color": req.Color})
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "actions" && seg[1] == "secrets":
		f.calls["get secret"]++
		if f.secretsDeny {
			ghError(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		s, ok := f.secrets[seg[2]]
		if !ok {
			ghError(w, http.StatusNotFound, "Not Found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": seg[2], "created_at": s.CreatedAt.Format(time.RFC3339), "updated_at": s.UpdatedAt.Format(time.RFC3339)})
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		ghError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeGitHub) issue(num string) *fakeIssue {
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > len(f.issues) {
		return nil
	}
	return f.issues[n-1]
}

// listIssues filters by labels (all must match) and state, pages with a
// Link header as GitHub does.
func (f *fakeGitHub) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var match []*fakeIssue
	for _, is := range f.issues {
		if state != "all" && is.State != state {
			continue
		}
		ok := true
		for _, l := range want {
			if !slices.Contains(is.Labels, l) {
				ok = false
			}
		}
		if ok {
			match = append(match, is)
		}
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > f.perPage {
		per = min(30, f.perPage)
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	lo, hi := min((page-1)*per, len(match)), min(page*per, len(match))
	if hi < len(match) {
		next := *r.URL
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		next.Path = apiPrefix + next.Path
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, next.RequestURI()))
	}
	out := []map[string]any{}
	for _, is := range match[lo:hi] {
		out = append(out, f.issueJSON("/repos/"+f.owner+"/"+f.repo, is))
	}
	writeJSON(w, http.StatusOK, out)
}
