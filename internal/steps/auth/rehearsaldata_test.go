package auth

import (
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/emulator"
)

func TestRehearsalData(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	d := RehearsalData(now, Stage{BundleIDs: []string{"com.acme.shop", emulator.DemoBundleID}, Groups: []string{"Internal Testers", "QA", "GROUP00002"}})
	for _, c := range d.Certificates {
		if !c.ExpirationDate.After(now) {
			t.Errorf("certificate %s has expired: a rehearsed audit with the usual fail-days would fail", c.Name)
		}
	}
	for _, p := range d.Profiles {
		if !p.ExpirationDate.After(now) {
			t.Errorf("profile %s has expired", p.Name)
		}
	}
	if len(d.Certificates) == 0 || len(d.Profiles) == 0 {
		t.Error("the rehearsal account has no certificates or profiles left to audit")
	}
	if len(d.Apps) != 2 {
		t.Fatalf("apps %v, want the demo app and com.acme.shop", d.Apps)
	}
	for _, app := range d.Apps {
		names := map[string]int{}
		for _, g := range d.BetaGroups {
			if g.App == app.ID {
				names[g.Name]++
			}
		}
		for _, want := range []string{"Internal Testers", "Public Beta", "QA"} {
			if names[want] != 1 {
				t.Errorf("app %s: %d groups named %q, want 1 (groups %v)", app.BundleID, names[want], want, names)
			}
		}
		if names["GROUP00002"] != 0 {
			t.Errorf("app %s: the ID of an existing group became a group name", app.BundleID)
		}
	}
	ids := map[string]bool{}
	for _, g := range d.BetaGroups {
		if ids[g.ID] {
			t.Errorf("group ID %s twice", g.ID)
		}
		ids[g.ID] = true
	}
}
