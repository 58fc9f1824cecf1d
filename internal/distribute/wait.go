package distribute

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/retry"
)

// DefaultPollInterval is how often Wait reads the build's state.
const DefaultPollInterval = 30 * time.Second

var (
	// ErrBuildNotFound: no build of the app has the build number.
	ErrBuildNotFound = errors.New("build not found")
	// ErrAmbiguousBuild: several builds of the app have the build number.
	ErrAmbiguousBuild = errors.New("several builds have this build number")
	// ErrWaitTimeout: the build was still processing (or not there yet)
	// when the timeout ran out.
	ErrWaitTimeout = errors.New("timed out waiting for the build to process")
)

// Target names the build to wait for: BuildID, or AppID and Version (the
// build number, CFBundleVersion).
type Target struct {
	BuildID string
	AppID   string
	Version string
}

// WaitOptions tune Wait. Zero values give: no waiting (the build is read
// once), DefaultPollInterval, time.Now and a real sleep.
type WaitOptions struct {
	// Timeout is how long to wait for the build to appear and to leave
	// PROCESSING; 0 reads the build once.
	Timeout time.Duration
	// Interval is the time between reads.
	Interval time.Duration
	// Now is the clock the timeout is measured on.
	Now func() time.Time
	// Sleep waits d or until ctx ends (returning ctx.Err()).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnState, if set, hears each state read ("" while the build is not
	// there yet).
	OnState func(buildID, state string)
}

// Wait returns the build once its processingState is VALID. It ends with a
// *BuildStateError for INVALID or FAILED, and with ErrWaitTimeout (naming the
// last state seen) when Timeout runs out first.
func Wait(ctx context.Context, client *asc.Client, t Target, o WaitOptions) (*asc.Build, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultPollInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if t.BuildID == "" && (t.AppID == "" || t.Version == "") {
		return nil, fmt.Errorf("%w: build-id: give build-id, or app-id and build-version", ErrConfig)
	}
	deadline := o.Now().Add(o.Timeout)
	last := ""
	for {
		b, err := find(ctx, client, t)
		switch {
		case errors.Is(err, ErrBuildNotFound):
			last = ""
		case err != nil:
			return nil, err
		default:
			last = b.Attributes.ProcessingState
			if o.OnState != nil {
				o.OnState(b.ID, last)
			}
			switch last {
			case asc.ProcessingStateValid:
				return b, nil
			case asc.ProcessingStateInvalid, asc.ProcessingStateFailed:
				return b, &BuildStateError{BuildID: b.ID, Version: b.Attributes.Version, State: last}
			}
		}
		now := o.Now()
		if !now.Before(deadline) {
			switch {
			case last == "" && o.Timeout == 0:
				return nil, err
			case last == "":
				return nil, fmt.Errorf("%w: %s did not appear within %v (timeout); it appears once App Store Connect has processed the upload: raise timeout, or check the upload's state", ErrWaitTimeout, t.describe(), o.Timeout)
			case o.Timeout == 0:
				return b, &BuildStateError{BuildID: b.ID, Version: b.Attributes.Version, State: last}
			}
			return b, fmt.Errorf("%w: build %s was still %s after %v (timeout); raise timeout, or distribute later with command distribute and build-id %s", ErrWaitTimeout, b.ID, last, o.Timeout, b.ID)
		}
		if err := o.Sleep(ctx, min(o.Interval, deadline.Sub(now))); err != nil {
			return nil, fmt.Errorf("waiting for %s to process: %w", t.describe(), err)
		}
	}
}

func (t Target) describe() string {
	if t.BuildID != "" {
		return "build " + t.BuildID
	}
	return fmt.Sprintf("build number %s of app %s", t.Version, t.AppID)
}

// find reads the build by ID, or looks it up by app and build number.
func find(ctx context.Context, client *asc.Client, t Target) (*asc.Build, error) {
	if t.BuildID != "" {
		b, _, err := client.GetBuild(ctx, t.BuildID)
		if errors.Is(err, asc.ErrNotFound) {
			return nil, fmt.Errorf("build-id %s: %w: App Store Connect has no build with this ID (%w)", t.BuildID, ErrBuildNotFound, err)
		}
		if err != nil {
			return nil, explain(StepBuild, "reading build "+t.BuildID, err)
		}
		return b, nil
	}
	builds, _, err := client.ListBuilds(ctx, &asc.ListBuildsOptions{AppID: []string{t.AppID}, Version: []string{t.Version}, Sort: "-uploadedDate", ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		return nil, explain(StepBuild, "looking up build number "+t.Version, err)
	}
	switch len(builds) {
	case 0:
		return nil, fmt.Errorf("build-version %s: %w for app %s (check app-id and build-version, or give build-id)", t.Version, ErrBuildNotFound, t.AppID)
	case 1:
		return &builds[0], nil
	}
	ids := make([]string, len(builds))
	for i, b := range builds {
		ids[i] = b.ID
	}
	return nil, fmt.Errorf("build-version %s: %w in app %s (IDs %s): give build-id instead", t.Version, ErrAmbiguousBuild, t.AppID, strings.Join(ids, ", "))
}
