package upload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/bytesize"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// API is the part of the App Store Connect client a run uses; *asc.Client
// implements it.
type API interface {
	ListApps(ctx context.Context, opts *asc.ListAppsOptions) ([]asc.App, *asc.Response, error)
	GetApp(ctx context.Context, id string) (*asc.App, *asc.Response, error)
	ListBuilds(ctx context.Context, opts *asc.ListBuildsOptions) ([]asc.Build, *asc.Response, error)
	GetBuild(ctx context.Context, id string) (*asc.Build, *asc.Response, error)
	ListAppBuildUploads(ctx context.Context, appID string, opts *asc.ListBuildUploadsOptions) ([]asc.BuildUpload, *asc.Response, error)
	CreateBuildUpload(ctx context.Context, appID, shortVersion, buildVersion, platform string) (*asc.BuildUpload, *asc.Response, error)
	GetBuildUpload(ctx context.Context, id string) (*asc.BuildUpload, *asc.Response, error)
	DeleteBuildUpload(ctx context.Context, id string) (*asc.Response, error)
	CreateBuildUploadFile(ctx context.Context, uploadID, fileName string, fileSize int64, uti, assetType string) (*asc.BuildUploadFile, *asc.Response, error)
	GetBuildUploadFile(ctx context.Context, id string) (*asc.BuildUploadFile, *asc.Response, error)
	ListBuildUploadFiles(ctx context.Context, uploadID string) ([]asc.BuildUploadFile, *asc.Response, error)
	UpdateBuildUploadFile(ctx context.Context, id string, uploaded bool, checksums *asc.Checksums) (*asc.BuildUploadFile, *asc.Response, error)
}

var _ API = (*asc.Client)(nil)

type run struct {
	api    API
	cfg    Config
	events func(Event)
	res    *Result
	start  time.Time
	// fileRead is set once the file's delivery state was read for its
	// messages (diagnostics.go).
	fileRead bool
}

func (r *run) emit(e Event) {
	if r.events != nil {
		r.events(e)
	}
}

func (r *run) info(kind EventKind, format string, args ...any) {
	r.emit(Event{Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// Run uploads cfg.Path through the Build Uploads API and follows it as far as
// cfg.Wait says. events (may be nil) receives every step, calls never overlap.
// The Result is never nil and says how far the run got, also on error.
//
// Guarantees: nothing is created before the file is read and the build number
// checked; the file is committed only after every part was acknowledged; if
// the commit's answer is lost the upload's state is read before anything
// else; an upload that cannot complete is deleted so it does not block a
// retry.
func Run(ctx context.Context, api API, cfg Config, events func(Event)) (*Result, error) {
	res := &Result{}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	cfg = cfg.withDefaults()
	r := &run{api: api, cfg: cfg, events: events, res: res, start: cfg.Now()}
	err := r.do(ctx)
	res.Duration = cfg.Now().Sub(r.start)
	return res, err
}

func (r *run) do(ctx context.Context) error {
	cfg, res := r.cfg, r.res
	art, err := ipa.Inspect(cfg.Path, cfg.Override)
	if err != nil {
		return err
	}
	f := art.Facts
	res.BundleID, res.ShortVersion, res.BuildVersion, res.Platform = f.BundleID, f.ShortVersion, f.BuildVersion, string(f.Platform)
	res.FileName, res.Bytes = art.Name, art.Size
	r.info(EventInspected, "%s: %s %s (%s), %s, %s", art.Name, f.BundleID, f.ShortVersion, f.BuildVersion, f.Platform, bytesize.Format(art.Size))

	if err := r.findApp(ctx, f.BundleID); err != nil {
		return err
	}
	if done, err := r.checkExisting(ctx, f); done || err != nil {
		return err
	}

	up, _, err := r.api.CreateBuildUpload(ctx, res.AppID, f.ShortVersion, f.BuildVersion, string(f.Platform))
	if err != nil {
		var ae *asc.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusConflict && ae.HasCode("ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE") {
			// Someone created it between our check and now.
			return r.exists(fmt.Sprintf("App Store Connect refused a second upload of build %s (%s)", f.BuildVersion, ae.Errors[0].Detail), "", "", "")
		}
		if !errors.As(err, &ae) {
			// No answer: the upload may exist. Find it rather than leave it
			// blocking the build number.
			up = r.findLostUpload(ctx, f)
		}
		if up == nil {
			return fmt.Errorf("creating the build upload: %w", err)
		}
		r.emit(Event{Kind: EventState, Level: LevelWarning, State: up.State(),
			Message: fmt.Sprintf("The answer to creating the build upload was lost (%v); found upload %s and continuing with it", err, up.ID)})
	}
	res.BuildUploadID = up.ID
	res.UploadState = up.State()
	r.info(EventCreated, "Build upload %s created for %s %s (%s)", up.ID, f.BundleID, f.ShortVersion, f.BuildVersion)

	file, _, err := r.api.CreateBuildUploadFile(ctx, up.ID, art.Name, art.Size, art.Kind.UTI(), asc.AssetTypeAsset)
	if err != nil {
		var ae *asc.APIError
		if !errors.As(err, &ae) && ctx.Err() == nil {
			// No answer: the file may have been reserved; its listing
			// carries the same operations.
			if files, _, lerr := r.api.ListBuildUploadFiles(ctx, up.ID); lerr == nil && len(files) == 1 && files[0].Attributes.FileSize == art.Size {
				file = &files[0]
				r.emit(Event{Kind: EventState, Level: LevelWarning, Message: fmt.Sprintf("The answer to reserving the file was lost (%v); found file %s and continuing with it", err, file.ID)})
			}
		}
		if file == nil {
			return r.abandon(ctx, fmt.Errorf("reserving the file: %w", err))
		}
	}
	res.BuildUploadFileID = file.ID
	ops := convertOps(file.Attributes.UploadOperations)
	res.Parts = len(ops)
	if err := transfer.CheckPlan(art.Size, ops); err != nil {
		return r.abandon(ctx, fmt.Errorf("%w: %w", ErrTransfer, err))
	}
	partSize := int64(0)
	if len(ops) > 0 {
		partSize = ops[0].Length
	}
	r.info(EventReserved, "File %s reserved: %d part(s) of up to %s, sending %d at a time", file.ID, len(ops), bytesize.Format(partSize), min(cfg.Parallelism, max(len(ops), 1)))

	if err := r.send(ctx, art, file.ID, ops); err != nil {
		return r.abandon(ctx, err)
	}
	if err := r.commit(ctx, file.ID); err != nil {
		return err
	}
	return r.wait(ctx)
}

// findLostUpload looks for the upload a create whose answer was lost may
// have made: this build number and platform, awaiting its file, created
// during this run.
func (r *run) findLostUpload(ctx context.Context, f ipa.Facts) *asc.BuildUpload {
	if ctx.Err() != nil {
		return nil
	}
	ups, _, err := r.api.ListAppBuildUploads(ctx, r.res.AppID, &asc.ListBuildUploadsOptions{
		CFBundleVersion: []string{f.BuildVersion}, Platform: []string{string(f.Platform)}})
	if err != nil {
		return nil
	}
	var found *asc.BuildUpload
	for i, u := range ups {
		if u.Attributes.CFBundleVersion != f.BuildVersion || u.State() != asc.BuildUploadStateAwaitingUpload {
			continue
		}
		if c := u.Attributes.CreatedDate.Time; !c.IsZero() && c.Before(r.start.Add(-time.Minute)) {
			continue // older than this run: not ours
		}
		if found != nil {
			return nil // ambiguous: decide nothing
		}
		found = &ups[i]
	}
	return found
}

// findApp resolves the app ID from cfg.AppID or the bundle ID.
func (r *run) findApp(ctx context.Context, bundleID string) error {
	if r.cfg.AppID != "" {
		app, _, err := r.api.GetApp(ctx, r.cfg.AppID)
		if err != nil {
			if errors.Is(err, asc.ErrNotFound) {
				return fmt.Errorf("%w: app-id %s: App Store Connect has no app with this ID visible to the key; copy the Apple ID from App Store Connect > App Information", ErrAppNotFound, r.cfg.AppID)
			}
			return fmt.Errorf("reading app %s: %w", r.cfg.AppID, err)
		}
		r.res.AppID = app.ID
		if bundleID != "" && app.Attributes.BundleID != "" && app.Attributes.BundleID != bundleID {
			return fmt.Errorf("%w: app-id %s is %s but the build's bundle ID is %s; fix app-id or bundle-id", ErrConfig, app.ID, app.Attributes.BundleID, bundleID)
		}
		if r.res.BundleID == "" {
			r.res.BundleID = app.Attributes.BundleID
		}
		r.info(EventApp, "App %s (%s), id %s", app.Attributes.Name, app.Attributes.BundleID, app.ID)
		return nil
	}
	if bundleID == "" {
		return fmt.Errorf("%w: neither app-id nor bundle-id is set, and a .pkg is not read; set one of them", ErrConfig)
	}
	apps, _, err := r.api.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{bundleID}})
	if err != nil {
		return fmt.Errorf("finding the app with bundle ID %s: %w", bundleID, err)
	}
	for _, a := range apps {
		if a.Attributes.BundleID == bundleID {
			r.res.AppID = a.ID
			r.info(EventApp, "App %s (%s), id %s", a.Attributes.Name, bundleID, a.ID)
			return nil
		}
	}
	return fmt.Errorf("%w: no app has bundle ID %s (or the key's role cannot see it); create the app in App Store Connect > Apps, check the bundle ID, or set app-id", ErrAppNotFound, bundleID)
}

// checkExisting stops before anything is created when the build number is
// taken: by a build, or by an upload in flight. An upload that never got its
// file committed (a previous run died) is deleted instead, so it does not
// block this one. done is true when the run should end (skip-existing).
//
// The two listings are independent reads, so they are asked at once: one
// round trip to App Store Connect instead of two before anything is created.
func (r *run) checkExisting(ctx context.Context, f ipa.Facts) (done bool, err error) {
	type buildsAnswer struct {
		builds []asc.Build
		err    error
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answer := make(chan buildsAnswer, 1)
	go func() {
		builds, _, err := r.api.ListBuilds(lctx, &asc.ListBuildsOptions{AppID: []string{r.res.AppID}, Version: []string{f.BuildVersion}})
		answer <- buildsAnswer{builds, err}
	}()
	ups, _, err := r.api.ListAppBuildUploads(ctx, r.res.AppID, &asc.ListBuildUploadsOptions{
		CFBundleVersion: []string{f.BuildVersion}, Platform: []string{string(f.Platform)}})
	if err != nil {
		return false, fmt.Errorf("checking build uploads of build %s: %w", f.BuildVersion, err)
	}
	for _, u := range ups {
		if u.Attributes.CFBundleVersion != f.BuildVersion || (u.Attributes.Platform != "" && u.Attributes.Platform != string(f.Platform)) {
			continue
		}
		switch u.State() {
		case asc.BuildUploadStateFailed:
			continue
		case asc.BuildUploadStateAwaitingUpload:
			if _, err := r.api.DeleteBuildUpload(ctx, u.ID); err != nil && !errors.Is(err, asc.ErrNotFound) {
				return false, fmt.Errorf("build %s has an unfinished upload %s that could not be deleted: %w; delete it or use a new build number", f.BuildVersion, u.ID, err)
			}
			r.emit(Event{Kind: EventStaleUpload, Level: LevelWarning,
				Message: fmt.Sprintf("Deleted unfinished build upload %s of build %s (created %s, never committed), so this run can upload it", u.ID, f.BuildVersion, u.Attributes.CreatedDate.Format(time.RFC3339))})
		default:
			return true, r.exists(fmt.Sprintf("build %s (%s) of %s already has an upload in state %s (%s)", f.BuildVersion, u.Attributes.CFBundleShortVersionString, f.BundleID, u.State(), u.ID), u.ID, u.BuildID(), u.State())
		}
	}
	ba := <-answer // lctx ends with ctx, so this does not outlast a cancel
	if ba.err != nil {
		return false, fmt.Errorf("checking builds numbered %s: %w", f.BuildVersion, ba.err)
	}
	for _, b := range ba.builds {
		if b.Attributes.Version == f.BuildVersion {
			r.res.ProcessingState = b.Attributes.ProcessingState
			return true, r.exists(fmt.Sprintf("build %s of %s already exists (build %s, %s)", f.BuildVersion, f.BundleID, b.ID, b.Attributes.ProcessingState), "", b.ID, "")
		}
	}
	return false, nil
}

// exists ends the run for a taken build number: success when skip-existing.
func (r *run) exists(what, uploadID, buildID, state string) error {
	if uploadID != "" {
		r.res.BuildUploadID = uploadID
	}
	if buildID != "" {
		r.res.BuildID = buildID
	}
	if state != "" {
		r.res.UploadState = state
	}
	if r.cfg.SkipExisting {
		r.res.Skipped = true
		r.emit(Event{Kind: EventExisting, Level: LevelWarning, Message: "Skipped: " + what + " (skip-existing is set)"})
		return nil
	}
	r.emit(Event{Kind: EventExisting, Level: LevelError, Message: what})
	return fmt.Errorf("%w: %s; raise CFBundleVersion (for example `agvtool new-version -all N` or the build-version input), or set skip-existing: true to succeed without uploading", ErrBuildExists, what)
}

func convertOps(in []asc.UploadOperation) []transfer.Operation {
	out := make([]transfer.Operation, 0, len(in))
	for _, o := range in {
		op := transfer.Operation{Method: o.Method, URL: o.URL, Offset: o.Offset, Length: o.Length, PartNumber: o.PartNumber, Expiration: o.Expiration.Time}
		for _, h := range o.RequestHeaders {
			op.Headers = append(op.Headers, transfer.Header{Name: h.Name, Value: h.Value})
		}
		out = append(out, op)
	}
	return out
}

// send streams the parts; expired URLs are renewed by reading the file again.
func (r *run) send(ctx context.Context, art *ipa.Artifact, fileID string, ops []transfer.Operation) error {
	fh, st, err := ipa.OpenRegular(art.Path)
	if err != nil {
		return fmt.Errorf("%w: reopening %s: %w", ErrTransfer, art.Path, err)
	}
	defer fh.Close()
	if st.Size() != art.Size {
		return fmt.Errorf("%w: %s changed size while uploading; do not modify the file during the upload", ErrTransfer, art.Path)
	}
	opt := r.cfg.transferOptions()
	opt.Refresh = func(ctx context.Context, _ []transfer.Operation) ([]transfer.Operation, error) {
		f, _, err := r.api.GetBuildUploadFile(ctx, fileID)
		if err != nil {
			return nil, err
		}
		return convertOps(f.Attributes.UploadOperations), nil
	}
	opt.OnEvent = func(e transfer.Event) {
		msg := ""
		switch e.Kind {
		case transfer.PartRetrying:
			msg = fmt.Sprintf("Part %d attempt %d failed (%v); retrying in %v", e.PartNumber, e.Attempt, e.Err, e.Wait.Round(time.Millisecond))
		case transfer.URLsRefreshed:
			msg = fmt.Sprintf("Renewed %d expired part URL(s)", e.Parts)
		}
		r.emit(Event{Kind: EventTransfer, Message: msg, Transfer: &e})
	}
	tr, err := transfer.Send(ctx, fh, art.Size, ops, opt)
	r.res.Transfer = tr
	r.res.TransferDuration = tr.Elapsed
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", ErrTransfer, err)
	}
	if !tr.Complete { // Send returns an error whenever it is incomplete; belt and braces
		return fmt.Errorf("%w: %d of %d parts sent", ErrTransfer, tr.PartsDone, tr.Parts)
	}
	r.info(EventTransferred, "Sent %s in %d part(s) in %v (%s/s, %d retries)", bytesize.Format(tr.Bytes), tr.Parts, tr.Elapsed.Round(time.Millisecond), bytesize.Format(int64(tr.Throughput)), tr.Retries)
	return nil
}

// commit marks the file uploaded. When the answer is lost or ambiguous it
// reads the upload's state first: committed already, or safe to send again.
func (r *run) commit(ctx context.Context, fileID string) error {
	for attempt := 1; ; attempt++ {
		_, _, err := r.api.UpdateBuildUploadFile(ctx, fileID, true, nil)
		if err == nil {
			r.res.UploadState = asc.BuildUploadStateProcessing
			r.info(EventCommitted, "Upload committed; App Store Connect is processing it")
			return nil
		}
		var ae *asc.APIError
		definite := errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 &&
			ae.StatusCode != http.StatusConflict && ae.StatusCode != http.StatusTooManyRequests
		if definite {
			return r.abandon(ctx, fmt.Errorf("%w: %w", ErrCommit, err))
		}
		// The answer is lost (network), a 5xx, or a conflict that may mean an
		// earlier commit landed: the state decides.
		sctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
		}
		up, _, gerr := r.api.GetBuildUpload(sctx, r.res.BuildUploadID)
		if gerr != nil {
			return fmt.Errorf("%w: the commit's answer was lost (%v) and the state could not be read (%v); the upload %s may or may not be committed: look in App Store Connect > TestFlight before running again", ErrStateUnknown, err, gerr, r.res.BuildUploadID)
		}
		state := up.State()
		r.res.UploadState = state
		if state != asc.BuildUploadStateAwaitingUpload && state != "" {
			r.info(EventCommitted, "The commit's answer was lost (%v), but the upload is %s: it was committed", err, state)
			return nil
		}
		if ctx.Err() != nil {
			return r.abandon(ctx, ctx.Err())
		}
		if attempt >= DefaultCommitAttempts {
			return r.abandon(ctx, fmt.Errorf("%w: %d attempts, the upload stayed %s: %w", ErrCommit, attempt, state, err))
		}
		r.emit(Event{Kind: EventState, Level: LevelWarning, State: state,
			Message: fmt.Sprintf("The commit did not take effect (%v; upload still %s); sending it again", err, state)})
	}
}

// abandon deletes the upload, which can no longer complete, so that it does
// not block a retry, and returns cause (with the cleanup's failure, if any).
func (r *run) abandon(ctx context.Context, cause error) error {
	id := r.res.BuildUploadID
	if id == "" {
		return cause
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if _, err := r.api.DeleteBuildUpload(cctx, id); err != nil && !errors.Is(err, asc.ErrNotFound) {
		r.emit(Event{Kind: EventDeleted, Level: LevelWarning, Message: fmt.Sprintf("Could not delete the unfinished build upload %s (%v); the next run deletes it", id, err)})
		return cause
	}
	r.res.UploadState = ""
	r.emit(Event{Kind: EventDeleted, Level: LevelWarning, Message: fmt.Sprintf("Deleted the unfinished build upload %s so that a new run can upload this build number", id)})
	return cause
}

// wait follows the upload (and the build) as far as cfg.Wait says.
func (r *run) wait(ctx context.Context) error {
	if r.cfg.Wait == WaitNone {
		return nil
	}
	deadline := r.cfg.Now().Add(r.cfg.Timeout)
	seen := map[string]bool{}
	failures := 0
	lastState := r.res.UploadState
	var up *asc.BuildUpload
	for {
		var err error
		up, _, err = r.api.GetBuildUpload(ctx, r.res.BuildUploadID)
		if err != nil {
			if r.tolerate(ctx, err, &failures, deadline, "reading the upload's state") {
				continue
			}
			return fmt.Errorf("reading the state of build upload %s (it was committed; look in App Store Connect > TestFlight): %w", r.res.BuildUploadID, err)
		}
		failures = 0
		state := up.State()
		r.res.UploadState = state
		r.diagnostics(up, seen)
		if state != lastState {
			r.emit(Event{Kind: EventState, State: state, Message: "Upload state: " + state})
			lastState = state
		}
		if state == asc.BuildUploadStateFailed || state == asc.BuildUploadStateComplete {
			r.fileDiagnostics(ctx, seen)
		}
		if state == asc.BuildUploadStateFailed {
			return r.uploadFailed(up)
		}
		if state == asc.BuildUploadStateComplete {
			r.res.BuildID = up.BuildID()
			if r.cfg.Wait == WaitUpload || r.res.BuildID != "" {
				break
			}
		}
		if err := r.pause(ctx, deadline, "upload "+state); err != nil {
			return err
		}
	}
	if r.cfg.Wait == WaitUpload {
		return nil
	}
	lastState = ""
	for {
		b, _, err := r.api.GetBuild(ctx, r.res.BuildID)
		if err != nil {
			if r.tolerate(ctx, err, &failures, deadline, "reading the build") {
				continue
			}
			return fmt.Errorf("reading build %s (the upload is complete; look in App Store Connect > TestFlight): %w", r.res.BuildID, err)
		}
		failures = 0
		ps := b.Attributes.ProcessingState
		r.res.ProcessingState = ps
		if ps != lastState {
			lvl := LevelInfo
			if ps == asc.ProcessingStateFailed || ps == asc.ProcessingStateInvalid {
				lvl = LevelError
			}
			r.emit(Event{Kind: EventBuild, Level: lvl, State: ps, Message: fmt.Sprintf("Build %s processing state: %s", b.ID, ps)})
			lastState = ps
		}
		switch ps {
		case asc.ProcessingStateValid:
			return nil
		case asc.ProcessingStateFailed, asc.ProcessingStateInvalid:
			return r.buildFailed(ctx, b.ID, ps, seen)
		}
		if err := r.pause(ctx, deadline, "build processing "+ps); err != nil {
			return err
		}
	}
}

// maxPollFailures is how many reads in a row may fail (after the client's own
// retries) before a wait gives up: a long wait outlives short outages.
const maxPollFailures = 5

// tolerate decides whether a failed state read is waited out: network
// failures, 5xx and 429 are, up to maxPollFailures in a row and within the
// deadline. It pauses before returning true.
func (r *run) tolerate(ctx context.Context, err error, failures *int, deadline time.Time, what string) bool {
	var ne *asc.NetworkError
	transient := errors.As(err, &ne) || errors.Is(err, asc.ErrServer) || errors.Is(err, asc.ErrRateLimited)
	if !transient || ctx.Err() != nil {
		return false
	}
	*failures++
	if *failures > maxPollFailures {
		return false
	}
	r.emit(Event{Kind: EventWaiting, Level: LevelWarning, Message: fmt.Sprintf("%s failed (%v); trying again (%d of %d)", what, err, *failures, maxPollFailures)})
	return r.pause(ctx, deadline, what) == nil
}

// pause sleeps one poll interval, or fails when the deadline has passed.
func (r *run) pause(ctx context.Context, deadline time.Time, what string) error {
	left := deadline.Sub(r.cfg.Now())
	if left <= 0 {
		return fmt.Errorf("%w: still %s after %v; the build is committed and App Store Connect keeps processing it: raise timeout, or use wait: upload or none", ErrTimeout, what, r.cfg.Timeout)
	}
	d := min(r.cfg.PollInterval, left)
	r.emit(Event{Kind: EventWaiting, Message: fmt.Sprintf("Waiting: %s; next check in %v", what, d.Round(time.Second))})
	return r.cfg.Sleep(ctx, d)
}
