package emulator

import (
	"fmt"
	"strings"
	"time"
)

// Build uploads another run left in flight: seeded from the data file
// (buildUploads) or from --uploads-in-flight, they hold their build number
// as Apple's do, so a second upload of it is refused and a readiness check
// or next-build-number counts it. A seeded upload has no file: it stays in
// its state (AWAITING_UPLOAD, PROCESSING or FAILED) until deleted.

// BuildUploadSeed is a build upload the account holds when the emulator
// starts (Apple's `buildUploads`).
type BuildUploadSeed struct {
	ID           string    `json:"id"`
	App          string    `json:"app"`
	ShortVersion string    `json:"cfBundleShortVersionString"`
	Version      string    `json:"cfBundleVersion"`
	Platform     string    `json:"platform,omitempty"`
	State        string    `json:"state,omitempty"`
	CreatedDate  time.Time `json:"createdDate,omitzero"`
}

var seedStates = set(StateAwaitingUpload, StateProcessing, StateFailed)

func (d *Data) validateInFlight(apps map[string]bool) error {
	seen := map[string]bool{}
	for i, u := range d.BuildUploads {
		if u.ID == "" || u.Version == "" || u.ShortVersion == "" || !apps[u.App] {
			return invalidData("buildUploads[%d]: id, cfBundleShortVersionString, cfBundleVersion and a known app are required", i)
		}
		if u.State != "" && !seedStates[u.State] {
			return invalidData("buildUploads[%d]: state %q is not AWAITING_UPLOAD, PROCESSING or FAILED (a seeded upload has no file to complete)", i, u.State)
		}
		if u.Platform != "" && !platforms[u.Platform] {
			return invalidData("buildUploads[%d]: platform %q is not IOS, MAC_OS, TV_OS or VISION_OS", i, u.Platform)
		}
		if err := firstUse(seen, "buildUploads", i, u.ID); err != nil {
			return err
		}
	}
	return nil
}

// AddUploadsInFlight seeds, for the first app, a PROCESSING build upload
// for each VERSION:BUILD of the comma list (the --uploads-in-flight flag),
// created a minute before now.
func (d *Data) AddUploadsInFlight(list string, now time.Time) error {
	app := ""
	if len(d.Apps) > 0 {
		app = d.Apps[0].ID
	}
	return d.AddUploadsInFlightFor(app, list, now)
}

// AddUploadsInFlightFor is AddUploadsInFlight for the app with ID appID (a
// rehearsal seeds them for the step's app).
func (d *Data) AddUploadsInFlightFor(appID, list string, now time.Time) error {
	for _, spec := range strings.Split(list, ",") {
		if spec = strings.TrimSpace(spec); spec == "" {
			continue
		}
		short, build, ok := strings.Cut(spec, ":")
		if !ok || short == "" || build == "" {
			return fmt.Errorf("%q is not VERSION:BUILD (for example 2.1:7)", spec)
		}
		if appID == "" {
			return fmt.Errorf("no app to hold the upload of %s", spec)
		}
		d.BuildUploads = append(d.BuildUploads, BuildUploadSeed{ID: fmt.Sprintf("INFLIGHT%02d", len(d.BuildUploads)+1), App: appID,
			ShortVersion: short, Version: build, Platform: "IOS", State: StateProcessing, CreatedDate: now.Add(-time.Minute)})
	}
	return nil
}

// seedUploads turns the data's build uploads into the server's, before it
// serves.
func (s *Server) seedUploads() {
	for _, u := range s.data.BuildUploads {
		bu := &buildUpload{id: u.ID, appID: u.App, shortVersion: u.ShortVersion, version: u.Version,
			platform: platformOr(u.Platform), created: u.CreatedDate, state: u.State}
		if bu.state == "" {
			bu.state = StateProcessing
		}
		if bu.created.IsZero() {
			bu.created = s.now()
		}
		if bu.state == StateProcessing {
			bu.committed = bu.created // sent: its uploadedDate shows
		}
		s.uploads[bu.id] = bu
		s.uploadOrder = append(s.uploadOrder, bu.id)
	}
}
