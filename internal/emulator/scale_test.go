package emulator

import (
	"fmt"
	"testing"
	"time"
)

// manyBuilds is the demo account with n more builds of its app, each of its
// own version, all in one beta group and given to one tester.
func manyBuilds(n int) *Data {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := DefaultData(now)
	app := d.Apps[0].ID
	g := BetaGroup{ID: "GROUPSCALE", App: app, Name: "Scale", CreatedDate: now}
	tester := BetaTester{ID: "TESTSCALE1", Email: "scale@example.com"}
	for i := range n {
		b := Build{ID: fmt.Sprintf("SCALE%07d", i), App: app, Version: fmt.Sprint(10000 + i), ShortVersion: fmt.Sprintf("3.%d", i),
			Platform: "IOS", ProcessingState: "VALID", UploadedDate: now, ExpirationDate: now.Add(90 * 24 * time.Hour)}
		d.Builds = append(d.Builds, b)
		g.Builds = append(g.Builds, b.ID)
		tester.Builds = append(tester.Builds, b.ID)
	}
	d.BetaGroups = append(d.BetaGroups, g)
	d.BetaTesters = append(d.BetaTesters, tester)
	return d
}

// appBuildsWork is the resources examined by one GET /v1/apps/{id}/builds
// over an account of n more builds.
func appBuildsWork(t testing.TB, n int) int64 {
	data := manyBuilds(n)
	e := newEnv(t, Config{Data: data})
	before := e.srv.readWork.Load()
	r := e.do("GET", "/v1/apps/"+data.Apps[0].ID+"/builds?limit=200", nil)
	if r.status != 200 {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	if total := dig(r.json(t), "meta", "paging", "total"); total.(float64) < float64(n) {
		t.Fatalf("paging total %v, want at least %d", total, n)
	}
	return e.srv.readWork.Load() - before
}

// TestAppBuildsWorkIsLinear holds the work of listing an app's builds to a
// few resources examined per build stored: finding each of them by a scan
// of all made it quadratic (26 s at 300,000 builds).
func TestAppBuildsWorkIsLinear(t *testing.T) {
	const n = 3000
	work := appBuildsWork(t, n)
	if limit := int64(10 * n); work > limit {
		t.Errorf("listing an app's builds among %d examined %d resources, want at most %d (10 per build)", n, work, limit)
	}
	t.Logf("%d builds: %d resources examined", n, work)
}

// BenchmarkAppBuilds lists an app's builds (first page, related resources
// included) as the number of builds stored grows.
func BenchmarkAppBuilds(b *testing.B) {
	for _, n := range []int{1000, 10000, 30000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			data := manyBuilds(n)
			e, tok := bareEnv(b, data)
			for b.Loop() {
				if r := e.do("GET", "/v1/apps/"+data.Apps[0].ID+"/builds?limit=200", nil, tok); r.status != 200 {
					b.Fatal(r.status)
				}
			}
		})
	}
}
