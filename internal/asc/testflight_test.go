package asc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/asc-action/asc-action/internal/contract"
)

// testflightServer is a small stateful TestFlight fake: two groups of app
// 1234567890, build BUILD1 in the internal one, beta localizations and
// review submissions created on demand. Every request the client sends and
// every response it serves are checked against Apple's document. The token
// "Bearer finance" gets 403 on every TestFlight endpoint.
func testflightServer(t *testing.T, spec *contract.Spec) (http.Handler, *tfState) {
	st := &tfState{members: map[string][]string{"BUILD1": {"G-INT"}}, locs: map[string]map[string]any{}}
	mux := http.NewServeMux()
	link := func(r *http.Request) map[string]any { return map[string]any{"self": selfURL(r)} }
	forbidden := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") == "Bearer finance" {
			appleError(w, 403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons", "The API key in use does not allow this request")
			return true
		}
		return false
	}
	groups := []map[string]any{
		{"type": "betaGroups", "id": "G-INT", "attributes": map[string]any{"name": "Team", "isInternalGroup": true,
			"hasAccessToAllBuilds": false, "publicLinkEnabled": false, "createdDate": "2026-01-02T03:04:05.000Z", "feedbackEnabled": true}},
		{"type": "betaGroups", "id": "G-EXT", "attributes": map[string]any{"name": "Public Beta", "isInternalGroup": false,
			"publicLinkEnabled": true, "publicLinkId": "AbCdEf", "publicLink": "https://testflight.apple.com/join/AbCdEf",
			"publicLinkLimitEnabled": true, "publicLinkLimit": 1000, "createdDate": "2026-01-02T03:04:05Z"}},
	}
	mux.HandleFunc("GET /v1/betaGroups", func(w http.ResponseWriter, r *http.Request) {
		if forbidden(w, r) {
			return
		}
		q := r.URL.Query()
		has := func(key, v string) bool {
			f := q.Get(key)
			return f == "" || slices.Contains(strings.Split(f, ","), v)
		}
		st.mu.Lock()
		data := []any{}
		for _, g := range groups {
			id := g["id"].(string)
			name := g["attributes"].(map[string]any)["name"].(string)
			inBuild := q.Get("filter[builds]") == "" || slices.Contains(st.members[q.Get("filter[builds]")], id)
			if has("filter[app]", "1234567890") && has("filter[name]", name) && has("filter[id]", id) && inBuild {
				data = append(data, g)
			}
		}
		st.mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": data, "links": link(r), "meta": map[string]any{"paging": map[string]any{"total": len(data), "limit": 50}}})
	})
	mux.HandleFunc("GET /v1/betaGroups/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, g := range groups {
			if g["id"] == r.PathValue("id") {
				writeJSON(w, 200, map[string]any{"data": g, "links": link(r)})
				return
			}
		}
		appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'betaGroups' with id '"+r.PathValue("id")+"'")
	})
	mux.HandleFunc("POST /v1/builds/{id}/relationships/betaGroups", func(w http.ResponseWriter, r *http.Request) {
		if forbidden(w, r) {
			return
		}
		if r.PathValue("id") != "BUILD1" {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'builds' with id '"+r.PathValue("id")+"'")
			return
		}
		var body betaGroupLinkages
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("linkages body: %v", err)
		}
		st.mu.Lock()
		for _, d := range body.Data {
			if d.Type != "betaGroups" {
				t.Errorf("linkage type %q", d.Type)
			}
			if !slices.Contains(st.members["BUILD1"], d.ID) {
				st.members["BUILD1"] = append(st.members["BUILD1"], d.ID)
			}
		}
		st.mu.Unlock()
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:3400;")
		w.WriteHeader(204)
	})
	loc := func(id, build, locale, text string) map[string]any {
		return map[string]any{"type": "betaBuildLocalizations", "id": id,
			"attributes":    map[string]any{"locale": locale, "whatsNew": text},
			"relationships": map[string]any{"build": map[string]any{"data": map[string]any{"type": "builds", "id": build}}}}
	}
	listLocs := func(w http.ResponseWriter, r *http.Request, build string) {
		locale := r.URL.Query().Get("filter[locale]")
		st.mu.Lock()
		data := []any{}
		for _, l := range st.locOrder {
			v := st.locs[l]
			if v["build"] == build && (locale == "" || v["locale"] == locale) {
				data = append(data, loc(l, build, v["locale"].(string), v["whatsNew"].(string)))
			}
		}
		st.mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": data, "links": link(r)})
	}
	mux.HandleFunc("GET /v1/betaBuildLocalizations", func(w http.ResponseWriter, r *http.Request) {
		listLocs(w, r, r.URL.Query().Get("filter[build]"))
	})
	mux.HandleFunc("GET /v1/builds/{id}/betaBuildLocalizations", func(w http.ResponseWriter, r *http.Request) {
		listLocs(w, r, r.PathValue("id"))
	})
	mux.HandleFunc("POST /v1/betaBuildLocalizations", func(w http.ResponseWriter, r *http.Request) {
		var body requestDocument[betaBuildLocalizationCreate]
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("create localization body: %v", err)
		}
		a := body.Data.Attributes
		build := body.Data.Relationships["build"].ID()
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, v := range st.locs {
			if v["build"] == build && v["locale"] == a.Locale {
				writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{"id": "dup", "status": "409",
					"code": "ENTITY_ERROR.RELATIONSHIP.INVALID", "title": "The provided entity includes a relationship with an invalid value",
					"detail": "A localization for this locale exists already.", "source": map[string]any{"pointer": "/data/attributes/locale"}}}})
				return
			}
		}
		id := "LOC" + string(rune('1'+len(st.locOrder)))
		st.locs[id] = map[string]any{"build": build, "locale": a.Locale, "whatsNew": a.WhatsNew}
		st.locOrder = append(st.locOrder, id)
		writeJSON(w, 201, map[string]any{"data": loc(id, build, a.Locale, a.WhatsNew), "links": link(r)})
	})
	mux.HandleFunc("PATCH /v1/betaBuildLocalizations/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body requestDocument[betaBuildLocalizationUpdate]
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("update localization body: %v", err)
		}
		id := r.PathValue("id")
		if body.Data.ID == nil || *body.Data.ID != id {
			t.Errorf("PATCH %s does not carry data.id %q", id, id)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		v, ok := st.locs[id]
		if !ok {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'betaBuildLocalizations' with id '"+id+"'")
			return
		}
		v["whatsNew"] = body.Data.Attributes.WhatsNew
		writeJSON(w, 200, map[string]any{"data": loc(id, v["build"].(string), v["locale"].(string), v["whatsNew"].(string)), "links": link(r)})
	})
	mux.HandleFunc("PATCH /v1/builds/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data struct {
				Type, ID   string
				Attributes map[string]any
			}
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("update build body: %v", err)
		}
		if body.Data.ID != r.PathValue("id") || body.Data.Type != "builds" {
			t.Errorf("PATCH build names %s %q", body.Data.Type, body.Data.ID)
		}
		attrs := body.Data.Attributes
		if _, sent := attrs["expired"]; sent {
			t.Errorf("PATCH build sent expired although it was not set: %s", raw)
		}
		b := map[string]any{"type": "builds", "id": r.PathValue("id"), "attributes": map[string]any{
			"version": "42", "processingState": "VALID", "usesNonExemptEncryption": attrs["usesNonExemptEncryption"]}}
		writeJSON(w, 200, map[string]any{"data": b, "links": link(r)})
	})
	mux.HandleFunc("GET /v1/builds/{id}/app", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": map[string]any{"type": "apps", "id": "1234567890", "attributes": map[string]any{
			"name": "Demo", "bundleId": "com.example.demo", "sku": "DEMO1", "primaryLocale": "en-US"}}, "links": link(r)})
	})
	sub := func(build, state string) map[string]any {
		return map[string]any{"type": "betaAppReviewSubmissions", "id": "SUB-" + build,
			"attributes":    map[string]any{"betaReviewState": state, "submittedDate": "2026-11-25T10:00:00Z"},
			"relationships": map[string]any{"build": map[string]any{"data": map[string]any{"type": "builds", "id": build}}}}
	}
	mux.HandleFunc("GET /v1/betaAppReviewSubmissions", func(w http.ResponseWriter, r *http.Request) {
		build := r.URL.Query().Get("filter[build]")
		st.mu.Lock()
		data := []any{}
		if st.submitted[build] {
			data = append(data, sub(build, "WAITING_FOR_REVIEW"))
		}
		st.mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": data, "links": link(r)})
	})
	mux.HandleFunc("GET /v1/builds/{id}/betaAppReviewSubmission", func(w http.ResponseWriter, r *http.Request) {
		build := r.PathValue("id")
		st.mu.Lock()
		done := st.submitted[build]
		st.mu.Unlock()
		if !done {
			appleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'betaAppReviewSubmissions' for build '"+build+"'")
			return
		}
		writeJSON(w, 200, map[string]any{"data": sub(build, "WAITING_FOR_REVIEW"), "links": link(r)})
	})
	mux.HandleFunc("POST /v1/betaAppReviewSubmissions", func(w http.ResponseWriter, r *http.Request) {
		if forbidden(w, r) {
			return
		}
		var body requestDocument[struct{}]
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("create submission body: %v", err)
		}
		build := body.Data.Relationships["build"].ID()
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.submitted == nil {
			st.submitted = map[string]bool{}
		}
		if st.submitted[build] {
			writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{"id": "dup", "status": "409",
				"code": "ENTITY_ERROR.STATE.INVALID", "title": "The request entity has an invalid state",
				"detail": "The build has already been submitted for beta review."}}})
			return
		}
		st.submitted[build] = true
		writeJSON(w, 201, map[string]any{"data": sub(build, "WAITING_FOR_REVIEW"), "links": link(r)})
	})
	return checkedHandler(t, spec, mux), st
}

type tfState struct {
	mu        sync.Mutex
	members   map[string][]string
	locs      map[string]map[string]any
	locOrder  []string
	submitted map[string]bool
}

// TestTestFlightContract drives every TestFlight endpoint of the client,
// success and error cases, against a fake held to Apple's document.
func TestTestFlightContract(t *testing.T) {
	spec := contract.ForTest(t)
	h, st := testflightServer(t, spec)
	ctx := context.Background()
	c, _, _ := newTestClient(t, h, plainSource("good"), WithRetryMax(0))
	finance, _, _ := newTestClient(t, h, plainSource("finance"), WithRetryMax(0))

	t.Run("betaGroups", func(t *testing.T) {
		all, resp, err := c.ListBetaGroups(ctx, &ListBetaGroupsOptions{AppID: []string{"1234567890"}, Sort: "name", ListOptions: ListOptions{Limit: 200}})
		if err != nil || len(all) != 2 || resp.Total != 2 {
			t.Fatalf("ListBetaGroups = %+v, %v", all, err)
		}
		in, ext := all[0].Attributes, all[1].Attributes
		if all[0].ID != "G-INT" || in.Name != "Team" || !in.IsInternalGroup || !in.FeedbackEnabled || in.CreatedDate.Year() != 2026 {
			t.Errorf("internal group = %+v", all[0])
		}
		if ext.IsInternalGroup || !ext.PublicLinkEnabled || ext.PublicLinkLimit != 1000 || ext.PublicLinkID != "AbCdEf" || !strings.HasPrefix(ext.PublicLink, "https://testflight.apple.com/") {
			t.Errorf("external group = %+v", all[1])
		}
		byName, _, err := c.ListBetaGroups(ctx, &ListBetaGroupsOptions{AppID: []string{"1234567890"}, Name: []string{"Public Beta"}})
		if err != nil || len(byName) != 1 || byName[0].ID != "G-EXT" {
			t.Errorf("ListBetaGroups(name) = %+v, %v", byName, err)
		}
		byID, _, err := c.ListBetaGroups(ctx, &ListBetaGroupsOptions{ID: []string{"G-INT"}})
		if err != nil || len(byID) != 1 || byID[0].Attributes.Name != "Team" {
			t.Errorf("ListBetaGroups(id) = %+v, %v", byID, err)
		}
		g, _, err := c.GetBetaGroup(ctx, "G-EXT")
		if err != nil || g.Attributes.Name != "Public Beta" {
			t.Errorf("GetBetaGroup = %+v, %v", g, err)
		}
		if _, _, err := c.GetBetaGroup(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetBetaGroup(nope) err = %v", err)
		}
		if _, _, err := finance.ListBetaGroups(ctx, nil); !errors.Is(err, ErrForbidden) {
			t.Errorf("ListBetaGroups(finance key) err = %v; want 403", err)
		}
	})

	t.Run("build groups", func(t *testing.T) {
		in, _, err := c.ListBetaGroups(ctx, &ListBetaGroupsOptions{AppID: []string{"1234567890"}, BuildID: []string{"BUILD1"}})
		if err != nil || len(in) != 1 || in[0].ID != "G-INT" {
			t.Fatalf("groups of BUILD1 = %+v, %v", in, err)
		}
		resp, err := c.AddBuildToBetaGroups(ctx, "BUILD1", "G-EXT")
		if err != nil || resp.StatusCode != 204 || resp.RateLimit.Remaining != 3400 {
			t.Fatalf("AddBuildToBetaGroups = %v, %v", resp, err)
		}
		in, _, _ = c.ListBetaGroups(ctx, &ListBetaGroupsOptions{BuildID: []string{"BUILD1"}})
		if len(in) != 2 {
			t.Errorf("after adding, BUILD1 is in %d groups; want 2", len(in))
		}
		if _, err := c.AddBuildToBetaGroups(ctx, "missing", "G-EXT"); !errors.Is(err, ErrNotFound) {
			t.Errorf("AddBuildToBetaGroups(missing build) err = %v", err)
		}
		if _, err := finance.AddBuildToBetaGroups(ctx, "BUILD1", "G-EXT"); !errors.Is(err, ErrForbidden) {
			t.Errorf("AddBuildToBetaGroups(finance key) err = %v; want 403", err)
		}
		if _, err := c.AddBuildToBetaGroups(ctx, "BUILD1"); err == nil {
			t.Error("AddBuildToBetaGroups with no groups sent a request")
		}
	})

	t.Run("betaBuildLocalizations", func(t *testing.T) {
		l, resp, err := c.CreateBetaBuildLocalization(ctx, "BUILD1", "en-US", "Try the new onboarding.\nThen log out.")
		if err != nil || resp.StatusCode != 201 || l.ID == "" || l.Attributes.Locale != "en-US" || l.Attributes.WhatsNew != "Try the new onboarding.\nThen log out." {
			t.Fatalf("CreateBetaBuildLocalization = %+v, %v", l, err)
		}
		_, _, err = c.CreateBetaBuildLocalization(ctx, "BUILD1", "en-US", "again")
		var ae *APIError
		if !errors.Is(err, ErrConflict) || !errors.As(err, &ae) || !ae.HasCode("ENTITY_ERROR") {
			t.Errorf("CreateBetaBuildLocalization(existing locale) err = %v", err)
		}
		if _, _, err := c.CreateBetaBuildLocalization(ctx, "BUILD1", "fr-FR", ""); err != nil {
			t.Errorf("CreateBetaBuildLocalization(fr-FR, empty text) err = %v", err)
		}
		list, _, err := c.ListBetaBuildLocalizations(ctx, &ListBetaBuildLocalizationsOptions{BuildID: []string{"BUILD1"}, Locale: []string{"en-US"}, ListOptions: ListOptions{Limit: 200}})
		if err != nil || len(list) != 1 || list[0].ID != l.ID {
			t.Errorf("ListBetaBuildLocalizations(en-US) = %+v, %v", list, err)
		}
		list, _, err = c.ListBuildBetaBuildLocalizations(ctx, "BUILD1")
		if err != nil || len(list) != 2 {
			t.Errorf("ListBuildBetaBuildLocalizations = %+v, %v", list, err)
		}
		u, _, err := c.UpdateBetaBuildLocalization(ctx, l.ID, "Only the login screen.")
		if err != nil || u.Attributes.WhatsNew != "Only the login screen." {
			t.Errorf("UpdateBetaBuildLocalization = %+v, %v", u, err)
		}
		if _, _, err := c.UpdateBetaBuildLocalization(ctx, "LOCX", "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("UpdateBetaBuildLocalization(unknown) err = %v", err)
		}
		st.mu.Lock()
		got := st.locs[l.ID]["whatsNew"]
		st.mu.Unlock()
		if got != "Only the login screen." {
			t.Errorf("server holds %q after the update", got)
		}
	})

	t.Run("export compliance", func(t *testing.T) {
		no := false
		b, _, err := c.UpdateBuild(ctx, "BUILD1", BuildUpdate{UsesNonExemptEncryption: &no})
		if err != nil || b.Attributes.UsesNonExemptEncryption == nil || *b.Attributes.UsesNonExemptEncryption {
			t.Errorf("UpdateBuild(usesNonExemptEncryption=false) = %+v, %v", b, err)
		}
		a, _, err := c.GetBuildApp(ctx, "BUILD1")
		if err != nil || a.ID != "1234567890" {
			t.Errorf("GetBuildApp = %+v, %v", a, err)
		}
	})

	t.Run("betaAppReviewSubmissions", func(t *testing.T) {
		if _, _, err := c.GetBuildBetaAppReviewSubmission(ctx, "BUILD1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetBuildBetaAppReviewSubmission before submitting err = %v; want 404", err)
		}
		list, _, err := c.ListBetaAppReviewSubmissions(ctx, &ListBetaAppReviewSubmissionsOptions{BuildID: []string{"BUILD1"}, BetaReviewState: []string{BetaReviewStateWaitingForReview, BetaReviewStateInReview}})
		if err != nil || len(list) != 0 {
			t.Errorf("ListBetaAppReviewSubmissions before submitting = %+v, %v", list, err)
		}
		if _, _, err := finance.CreateBetaAppReviewSubmission(ctx, "BUILD1"); !errors.Is(err, ErrForbidden) {
			t.Errorf("CreateBetaAppReviewSubmission(finance key) err = %v; want 403", err)
		}
		s, resp, err := c.CreateBetaAppReviewSubmission(ctx, "BUILD1")
		if err != nil || resp.StatusCode != 201 || s.Attributes.BetaReviewState != BetaReviewStateWaitingForReview || s.Attributes.SubmittedDate.IsZero() {
			t.Fatalf("CreateBetaAppReviewSubmission = %+v, %v", s, err)
		}
		if _, _, err := c.CreateBetaAppReviewSubmission(ctx, "BUILD1"); !errors.Is(err, ErrConflict) {
			t.Errorf("second CreateBetaAppReviewSubmission err = %v; want 409", err)
		}
		got, _, err := c.GetBuildBetaAppReviewSubmission(ctx, "BUILD1")
		if err != nil || got == nil || got.ID != s.ID {
			t.Errorf("GetBuildBetaAppReviewSubmission = %+v, %v", got, err)
		}
		list, _, err = c.ListBetaAppReviewSubmissions(ctx, &ListBetaAppReviewSubmissionsOptions{BuildID: []string{"BUILD1"}})
		if err != nil || len(list) != 1 || list[0].Attributes.BetaReviewState != BetaReviewStateWaitingForReview {
			t.Errorf("ListBetaAppReviewSubmissions = %+v, %v", list, err)
		}
		if _, _, err := c.ListBetaAppReviewSubmissions(ctx, nil); err == nil {
			t.Error("ListBetaAppReviewSubmissions without a build sent a request Apple refuses (filter[build] is required)")
		}
	})

	ops, cases, _ := spec.Coverage()
	t.Logf("contract (whole package so far): %d operations, %d cases", ops, cases)
}

// TestGetBuildBetaAppReviewSubmissionNullData: a to-one relationship with
// nothing behind it may come as "data": null; that is "not submitted", not
// an error.
func TestGetBuildBetaAppReviewSubmissionNullData(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": nil, "links": map[string]any{"self": selfURL(r)}})
	})
	c, _, _ := newTestClient(t, h, plainSource("good"))
	s, resp, err := c.GetBuildBetaAppReviewSubmission(context.Background(), "BUILD1")
	if err != nil || s != nil || resp.StatusCode != 200 {
		t.Errorf("GetBuildBetaAppReviewSubmission(null data) = %+v, %v", s, err)
	}
}
