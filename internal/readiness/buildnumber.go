package readiness

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
)

// NumberAPI is what NextBuildNumber reads; *asc.Client implements it.
type NumberAPI interface {
	ListBuilds(ctx context.Context, opts *asc.ListBuildsOptions) ([]asc.Build, *asc.Response, error)
	ListAppBuildUploads(ctx context.Context, appID string, opts *asc.ListBuildUploadsOptions) ([]asc.BuildUpload, *asc.Response, error)
}

// Next is the next free build number and what it rests on.
type Next struct {
	// Number is one more than Highest ("1" when nothing is in use).
	Number string
	// Highest is the highest build number in use, and HeldBy what holds
	// it ("build 42 (VALID)", "build upload ... (PROCESSING)").
	Highest, HeldBy string
	// Builds and Uploads count what was read: builds, and build uploads
	// that have not failed (in flight or done).
	Builds, Uploads int
}

// NextBuildNumber returns one more than the highest build number in use for
// the app and platform, within shortVersion when it is given (else across
// all versions): builds, and build uploads that have not failed, which
// hold their number from their creation, long before their build appears.
// Build numbers that are not one to three period-separated integers are
// left out; the last integer of the highest is the one raised (1.2.9 gives
// 1.2.10).
func NextBuildNumber(ctx context.Context, api NumberAPI, appID, shortVersion, platform string) (Next, error) {
	bo := &asc.ListBuildsOptions{AppID: []string{appID}, Platform: []string{platform}, Fields: []string{"version", "processingState"}, ListOptions: asc.ListOptions{Limit: 200}}
	uo := &asc.ListBuildUploadsOptions{Platform: []string{platform}, ListOptions: asc.ListOptions{Limit: 200}}
	if shortVersion != "" {
		bo.PreReleaseVersion = []string{shortVersion}
		uo.CFBundleShortVersionString = []string{shortVersion}
	}
	builds, _, err := api.ListBuilds(ctx, bo)
	if err != nil {
		return Next{}, fmt.Errorf("listing the builds of app %s: %w", appID, err)
	}
	ups, _, err := api.ListAppBuildUploads(ctx, appID, uo)
	if err != nil {
		return Next{}, fmt.Errorf("listing the build uploads of app %s: %w", appID, err)
	}
	var n Next
	var high []int
	consider := func(v, by string) {
		if p, ok := parseBuildNumber(v); ok && (high == nil || compareNumbers(p, high) > 0) {
			high, n.Highest, n.HeldBy = p, v, by
		}
	}
	for _, b := range builds {
		n.Builds++
		consider(b.Attributes.Version, fmt.Sprintf("build %s (%s)", b.ID, b.Attributes.ProcessingState))
	}
	for _, u := range ups {
		if u.State() == asc.BuildUploadStateFailed || (u.Attributes.Platform != "" && u.Attributes.Platform != platform) {
			continue
		}
		n.Uploads++
		consider(u.Attributes.CFBundleVersion, fmt.Sprintf("build upload %s (%s)", u.ID, u.State()))
	}
	n.Number = "1"
	if high != nil {
		high[len(high)-1]++
		n.Number = formatNumber(high)
	}
	return n, nil
}

// parseBuildNumber reads a CFBundleVersion of one to three period-separated
// non-negative integers.
func parseBuildNumber(v string) ([]int, bool) {
	parts := strings.Split(v, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// compareNumbers compares two parsed build numbers; a missing integer is 0.
func compareNumbers(a, b []int) int {
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func formatNumber(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ".")
}

// buildNumber checks build-version is free (builds of any version, and
// uploads that have not failed) and finds the next free number.
func (r *run) buildNumber(ctx context.Context) {
	next, err := NextBuildNumber(ctx, r.api, r.app.ID, r.cfg.ShortVersion, r.cfg.Platform)
	if err == nil {
		r.rep.NextBuildNumber = next.Number
	}
	if r.cfg.BuildVersion == "" {
		c := Check{Check: "build-number", Result: Skipped, Message: "No build number to check: build-version is empty and no app-path was given.",
			Fix: "Set build-version (or app-path) on the verify step to check the number before the build."}
		if err == nil {
			c.Message += " The next free one is " + next.Number + " (output next-build-number)."
		}
		r.add(c)
		return
	}
	r.add(r.numberTaken(ctx, next, err))
}

// numberTaken is the build-number check of cfg.BuildVersion.
func (r *run) numberTaken(ctx context.Context, next Next, nextErr error) Check {
	bv, plat := r.cfg.BuildVersion, r.cfg.Platform
	c := Check{Check: "build-number", Subject: bv}
	raise := "Raise the build number (build-version, or CFBundleVersion: `agvtool new-version -all N`)"
	if nextErr == nil {
		raise += "; the next free one is " + next.Number + " (output next-build-number, or the next-build-number command)"
	}
	raise += ". Or set skip-existing: true on the upload step to succeed without uploading."
	builds, _, err := r.api.ListBuilds(ctx, &asc.ListBuildsOptions{AppID: []string{r.app.ID}, Version: []string{bv}, Platform: []string{plat}})
	if err != nil {
		return failure(c.Check, bv, "listing builds numbered "+bv, err, fmt.Sprintf(roleFix, "Admin or App Manager"))
	}
	for _, b := range builds {
		if b.Attributes.Version == bv {
			c.Result, c.Fix = Blocker, raise
			c.Message = fmt.Sprintf("Build number %s is taken on %s by build %s (%s).", bv, plat, b.ID, b.Attributes.ProcessingState)
			return c
		}
	}
	ups, _, err := r.api.ListAppBuildUploads(ctx, r.app.ID, &asc.ListBuildUploadsOptions{CFBundleVersion: []string{bv}, Platform: []string{plat}})
	if err != nil {
		return failure(c.Check, bv, "listing build uploads numbered "+bv, err, fmt.Sprintf(roleFix, "Admin or App Manager"))
	}
	return r.uploadHolds(c, ups, raise)
}

// uploadHolds finds an upload holding the number: one in flight is a
// blocker, one never committed a warning (the upload step deletes it).
func (r *run) uploadHolds(c Check, ups []asc.BuildUpload, raise string) Check {
	bv := r.cfg.BuildVersion
	for _, u := range ups {
		if u.Attributes.CFBundleVersion != bv || (u.Attributes.Platform != "" && u.Attributes.Platform != r.cfg.Platform) {
			continue
		}
		switch u.State() {
		case asc.BuildUploadStateFailed:
			continue
		case asc.BuildUploadStateAwaitingUpload:
			c.Result = Warning
			c.Message = fmt.Sprintf("Build upload %s of build number %s (version %s) was created %s and has no file committed yet: another run may be sending it now.",
				u.ID, bv, u.Attributes.CFBundleShortVersionString, u.Attributes.CreatedDate.UTC().Format("2006-01-02 15:04 MST"))
			c.Fix = "If no other run is uploading it, the upload step deletes this unfinished upload and goes on; if one is, the two collide: " + raise
			return c
		default:
			c.Result, c.Fix = Blocker, raise
			c.Message = fmt.Sprintf("Build number %s is taken on %s by build upload %s (%s)", bv, r.cfg.Platform, u.ID, u.State())
			if u.State() == asc.BuildUploadStateProcessing {
				c.Message += ", still in flight: another run uploaded it and its build has not appeared yet"
			}
			c.Message += "."
			return c
		}
	}
	c.Result, c.Message = OK, fmt.Sprintf("Build number %s is free on %s: no build and no build upload holds it.", bv, r.cfg.Platform)
	return c
}
