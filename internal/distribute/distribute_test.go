package distribute

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/distribute/distributetest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/token"
)

const appID = distributetest.AppID

// harness is the distribute tests' emulator world and a client whose
// requests it records.
type harness struct {
	*distributetest.World
	client *asc.Client
}

// newHarness starts the emulator with the demo data plus build BUILD00002
// (number 2) still processing, and a client whose key has role.
func newHarness(t *testing.T, role string, faults emulator.Faults) *harness {
	t.Helper()
	w := distributetest.New(t, role, faults)
	m, err := token.NewMinter(w.Key.Private, token.Options{KeyID: distributetest.KeyID, IssuerID: distributetest.IssuerID, Type: token.Team}, w.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asc.New(w.URL, token.NewSource(m, 0, nil), asc.WithHTTPClient(&http.Client{Transport: w.Writes}), asc.WithClock(w.Clock.Now), asc.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	return &harness{World: w, client: c}
}

func ptr[T any](v T) *T { return &v }

func TestRunIsIdempotent(t *testing.T) {
	h := newHarness(t, emulator.RoleAppManager, emulator.Faults{})
	ctx := context.Background()
	cfg := Config{BuildID: "BUILD00001", Groups: []string{"Internal Testers", "GROUP00002"},
		WhatsNew: "Try the new login.\r\nThen log out.\n", UsesNonExemptEncryption: ptr(false), SubmitBetaReview: true}

	var events []Event
	res, err := Run(ctx, h.client, appID, cfg, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	first := h.Writes.Take()
	want := []string{
		"PATCH /v1/builds/BUILD00001",
		"POST /v1/betaBuildLocalizations",
		"POST /v1/builds/BUILD00001/relationships/betaGroups",
		"POST /v1/betaAppReviewSubmissions",
	}
	if !slices.Equal(first, want) {
		t.Errorf("first run sent %v; want %v", first, want)
	}
	if res.Changes != 4 || res.Compliance != "sent" || res.Notes == nil || res.Notes.Action != "created" ||
		res.Notes.Text != "Try the new login.\nThen log out." || res.BetaReviewState != asc.BetaReviewStateWaitingForReview || !res.BetaReviewSubmitted {
		t.Errorf("first result = %+v (notes %+v)", res, res.Notes)
	}
	if got := res.GroupNames(); !slices.Equal(got, []string{"Internal Testers", "Public Beta"}) || len(res.Added()) != 2 {
		t.Errorf("groups = %+v", res.Groups)
	}
	if res.Groups[1].Requested != "GROUP00002" || res.Groups[0].Internal != true || res.Groups[1].Internal {
		t.Errorf("group details = %+v", res.Groups)
	}
	if len(events) != 5 || !events[0].Changed {
		t.Errorf("events = %+v", events)
	}

	// What App Store Connect now holds, read back with the client.
	in, _, _ := h.client.ListBetaGroups(ctx, &asc.ListBetaGroupsOptions{BuildID: []string{"BUILD00001"}})
	if len(in) != 2 {
		t.Errorf("build is in %d groups", len(in))
	}
	locs, _, _ := h.client.ListBuildBetaBuildLocalizations(ctx, "BUILD00001")
	if len(locs) != 1 || locs[0].Attributes.WhatsNew != "Try the new login.\nThen log out." || locs[0].Attributes.Locale != "en-US" {
		t.Errorf("localizations = %+v", locs)
	}
	b, _, _ := h.client.GetBuild(ctx, "BUILD00001")
	if b.Attributes.UsesNonExemptEncryption == nil || *b.Attributes.UsesNonExemptEncryption {
		t.Errorf("compliance = %v", b.Attributes.UsesNonExemptEncryption)
	}

	// The same step again: reads only, same outcome.
	events = nil
	again, err := Run(ctx, h.client, appID, cfg, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	if w := h.Writes.Take(); len(w) != 0 {
		t.Errorf("second run sent %v; want no change at all", w)
	}
	if again.Changes != 0 || len(again.Added()) != 0 || again.Compliance != "unchanged" || again.Notes.Action != "unchanged" ||
		again.BetaReviewState != asc.BetaReviewStateWaitingForReview || again.BetaReviewSubmitted || !slices.Equal(again.GroupNames(), res.GroupNames()) {
		t.Errorf("second result = %+v", again)
	}
	for _, e := range events {
		if e.Changed {
			t.Errorf("second run reported a change: %+v", e)
		}
	}

	// New notes: only the localization is updated.
	cfg.WhatsNew = "Only the login."
	third, err := Run(ctx, h.client, appID, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := h.Writes.Take(); len(w) != 1 || !strings.HasPrefix(w[0], "PATCH /v1/betaBuildLocalizations/") || third.Notes.Action != "updated" {
		t.Errorf("changing the notes sent %v (%+v)", w, third.Notes)
	}
}

func TestRunFindsTheAppAndSkipsReviewForInternalGroups(t *testing.T) {
	h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
	var events []Event
	res, err := Run(context.Background(), h.client, "", Config{BuildID: "BUILD00001", Groups: []string{"internal testers"}, SubmitBetaReview: true},
		func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	if res.AppID != appID || len(res.Added()) != 1 || res.BetaReviewState != "" {
		t.Errorf("result = %+v", res)
	}
	if w := h.Writes.Take(); len(w) != 1 {
		t.Errorf("sent %v; want only the group addition (no review for internal groups)", w)
	}
	if last := events[len(events)-1]; last.Step != StepReview || !strings.Contains(last.Message, "internal testers need no beta app review") {
		t.Errorf("last event = %+v", last)
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct {
		name     string
		role     string
		cfg      Config
		is       error
		contains []string
	}{
		{"unknown group", emulator.RoleAdmin, Config{BuildID: "BUILD00001", Groups: []string{"Public Beta", "QA Team"}, WhatsNew: "x"},
			ErrUnknownGroup, []string{`no beta group "QA Team" in app 1000000001`, `"Internal Testers" (internal, id GROUP00001)`, `"Public Beta" (external, id GROUP00002)`}},
		{"build still processing", emulator.RoleAdmin, Config{BuildID: "BUILD00002", Groups: []string{"Public Beta"}},
			ErrBuildNotValid, []string{"build BUILD00002 (build number 2) has not finished processing"}},
		{"finance key", emulator.RoleFinance, Config{BuildID: "BUILD00001", Groups: []string{"Public Beta"}},
			ErrNotPermitted, []string{"testflight-groups", "Admin or App Manager role", "403"}},
		{"developer key cannot change anything", emulator.RoleDeveloper, Config{BuildID: "BUILD00001", Groups: []string{"Public Beta"}},
			ErrNotPermitted, []string{"adding build BUILD00001 to GROUP00002", "Admin or App Manager role"}},
		{"notes too long", emulator.RoleAdmin, Config{BuildID: "BUILD00001", WhatsNew: strings.Repeat("é", MaxWhatsNew+1)},
			ErrConfig, []string{"whats-new is 4001 characters long"}},
		{"bad locale", emulator.RoleAdmin, Config{BuildID: "BUILD00001", WhatsNew: "x", Locale: "English"},
			ErrConfig, []string{`whats-new-locale "English"`}},
		{"no build", emulator.RoleAdmin, Config{Groups: []string{"Public Beta"}}, ErrConfig, []string{"build-id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.role, emulator.Faults{})
			_, err := Run(context.Background(), h.client, appID, c.cfg, nil)
			if !errors.Is(err, c.is) {
				t.Fatalf("err = %v; want %v", err, c.is)
			}
			t.Logf("message: %v", err)
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			// Only the developer key gets as far as a write, which is refused.
			wantWrites := 0
			if c.role == emulator.RoleDeveloper {
				wantWrites = 1
			}
			if w := h.Writes.Take(); len(w) != wantWrites {
				t.Errorf("a failed run sent %v", w)
			}
			if in, _, err := h.client.ListBetaGroups(context.Background(), &asc.ListBetaGroupsOptions{BuildID: []string{"BUILD00001"}}); len(in) != 0 && err == nil {
				t.Errorf("a failed run added the build to %+v", in)
			}
		})
	}
	t.Run("forbidden is still an asc.ErrForbidden", func(t *testing.T) {
		h := newHarness(t, emulator.RoleFinance, emulator.Faults{})
		_, err := Run(context.Background(), h.client, appID, Config{BuildID: "BUILD00001", Groups: []string{"x"}}, nil)
		var ae *asc.APIError
		if !errors.Is(err, asc.ErrForbidden) || !errors.As(err, &ae) || ae.StatusCode != 403 {
			t.Errorf("err = %v", err)
		}
	})
}

func TestResolveGroups(t *testing.T) {
	g := func(id, name string, internal bool) asc.BetaGroup {
		return asc.BetaGroup{Type: "betaGroups", ID: id, Attributes: asc.BetaGroupAttributes{Name: name, IsInternalGroup: internal}}
	}
	all := []asc.BetaGroup{g("G1", "QA", true), g("G2", "Beta", false), g("G3", "beta testers", false), g("G4", "Dup", false), g("G5", "dup", false)}
	cases := []struct {
		want      []string
		ids       []string
		unknown   []string
		ambiguous []string
	}{
		{want: []string{"QA", "G2"}, ids: []string{"G1", "G2"}},
		{want: []string{"qa"}, ids: []string{"G1"}},         // case-insensitive when unique
		{want: []string{"Beta", "G2"}, ids: []string{"G2"}}, // name and ID of one group
		{want: []string{"Dup"}, ids: []string{"G4"}},        // exact name wins
		{want: []string{"DUP"}, ambiguous: []string{"DUP"}}, // two case-insensitive matches
		{want: []string{"QA", "Nope", "G9"}, unknown: []string{"Nope", "G9"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.want, "+"), func(t *testing.T) {
			got, err := resolveGroups(appID, c.want, all)
			if c.unknown != nil || c.ambiguous != nil {
				var ug *UnknownGroupError
				if !errors.As(err, &ug) || !slices.Equal(ug.Unknown, c.unknown) || !slices.Equal(ug.Ambiguous, c.ambiguous) || len(ug.Available) != len(all) {
					t.Fatalf("err = %v (%+v)", err, ug)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.g.ID)
			}
			if !slices.Equal(ids, c.ids) {
				t.Errorf("ids = %v; want %v", ids, c.ids)
			}
		})
	}
	e := &UnknownGroupError{AppID: "1", Unknown: []string{"x"}}
	if !strings.Contains(e.Error(), "the app has no beta groups yet") {
		t.Errorf("no-groups message = %q", e.Error())
	}
}

func TestWait(t *testing.T) {
	ctx := context.Background()
	t.Run("processing then valid", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
		var states []string
		b, err := Wait(ctx, h.client, Target{BuildID: "BUILD00002"}, WaitOptions{Timeout: time.Hour, Interval: time.Minute, Now: h.Clock.Now, Sleep: h.Clock.Sleep,
			OnState: func(_, s string) { states = append(states, s) }})
		if err != nil || b.Attributes.ProcessingState != asc.ProcessingStateValid {
			t.Fatalf("Wait = %+v, %v", b, err)
		}
		if len(states) != 11 || states[0] != "PROCESSING" || states[10] != "VALID" {
			t.Errorf("states seen = %v (one read a minute over the 10-minute processing)", states)
		}
	})
	t.Run("by app and build number", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
		b, err := Wait(ctx, h.client, Target{AppID: appID, Version: "2"}, WaitOptions{Timeout: time.Hour, Interval: 5 * time.Minute, Now: h.Clock.Now, Sleep: h.Clock.Sleep})
		if err != nil || b.ID != "BUILD00002" {
			t.Fatalf("Wait = %+v, %v", b, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{InvalidBuild: true})
		_, err := Wait(ctx, h.client, Target{BuildID: "BUILD00002"}, WaitOptions{Timeout: time.Hour, Interval: time.Minute, Now: h.Clock.Now, Sleep: h.Clock.Sleep})
		var se *BuildStateError
		if !errors.Is(err, ErrBuildNotValid) || !errors.As(err, &se) || se.State != "INVALID" || !strings.Contains(err.Error(), "upload a new build number") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
		start := h.Clock.Now()
		_, err := Wait(ctx, h.client, Target{BuildID: "BUILD00002"}, WaitOptions{Timeout: 5 * time.Minute, Interval: 2 * time.Minute, Now: h.Clock.Now, Sleep: h.Clock.Sleep})
		if !errors.Is(err, ErrWaitTimeout) || !strings.Contains(err.Error(), "still PROCESSING after 5m0s") {
			t.Errorf("err = %v", err)
		}
		if waited := h.Clock.Now().Sub(start); waited != 5*time.Minute {
			t.Errorf("waited %v; want exactly the timeout", waited)
		}
	})
	t.Run("no wait", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
		_, err := Wait(ctx, h.client, Target{BuildID: "BUILD00002"}, WaitOptions{Now: h.Clock.Now, Sleep: h.Clock.Sleep})
		if !errors.Is(err, ErrBuildNotValid) {
			t.Errorf("err = %v", err)
		}
		if _, err := Wait(ctx, h.client, Target{AppID: appID, Version: "99"}, WaitOptions{Now: h.Clock.Now}); !errors.Is(err, ErrBuildNotFound) {
			t.Errorf("unknown build number err = %v", err)
		}
		if _, err := Wait(ctx, h.client, Target{BuildID: "NOPE"}, WaitOptions{Now: h.Clock.Now}); !errors.Is(err, ErrBuildNotFound) || !errors.Is(err, asc.ErrNotFound) {
			t.Errorf("unknown build ID err = %v", err)
		}
	})
	t.Run("build number that never appears", func(t *testing.T) {
		h := newHarness(t, emulator.RoleAdmin, emulator.Faults{})
		_, err := Wait(ctx, h.client, Target{AppID: appID, Version: "99"}, WaitOptions{Timeout: 3 * time.Minute, Interval: time.Minute, Now: h.Clock.Now, Sleep: h.Clock.Sleep})
		if !errors.Is(err, ErrWaitTimeout) || !strings.Contains(err.Error(), "build number 99 of app 1000000001 did not appear") {
			t.Errorf("err = %v", err)
		}
	})
}
