// Package upload is the `upload` command: send an .ipa (or a macOS .pkg)
// through the Build Uploads API from any runner, with live progress, and
// follow Apple's processing.
package upload

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/bytesize"
	"github.com/asc-action/asc-action/internal/command"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/steps/appbuild"
	"github.com/asc-action/asc-action/internal/steps/auth"
	"github.com/asc-action/asc-action/internal/steps/testflight"
	"github.com/asc-action/asc-action/internal/untrusted"
	up "github.com/asc-action/asc-action/internal/upload"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// Options are the upload command's inputs.
type Options struct {
	Key          auth.Options
	API          auth.API
	Build        appbuild.Options
	SkipExisting bool
	Wait         string
	Timeout      time.Duration
	PollInterval time.Duration
	Parallelism  int
	TestFlight   testflight.Options
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), o.Build.Fields(), []command.Field{
		command.Bool(&o.SkipExisting, command.Input{Name: "skip-existing", Default: "false", Usage: "succeed without uploading when the build number already exists"}),
		command.String(&o.Wait, command.Input{Name: "wait", Default: "upload", Usage: "none (return after commit), upload (until the upload is COMPLETE) or processing (until the build is VALID)"}),
		command.Duration(&o.Timeout, command.Input{Name: "timeout", Default: "60m", Usage: "how long to wait for App Store Connect after the commit"}),
		command.Duration(&o.PollInterval, command.Input{Name: "poll-interval", Default: "20s", Usage: "time between two reads of the upload's state while waiting"}),
		command.Int(&o.Parallelism, command.Input{Name: "parallelism", Default: strconv.Itoa(transfer.DefaultParallelism), Usage: "parts sending their bytes at once (1 to 64); a part awaiting its answer hands its slot on, so up to twice as many are open"}, 1, 64),
	}, o.TestFlight.Fields())
}

// Command returns the upload command.
func Command() *command.Command {
	outputs := []command.Output{
		{Name: "build-upload-id", Usage: "the build upload's ID"},
		{Name: "build-id", Usage: "the build's ID, once App Store Connect created it"},
		{Name: "upload-state", Usage: "AWAITING_UPLOAD, PROCESSING, COMPLETE or FAILED"},
		{Name: "processing-state", Usage: "the build's processingState: PROCESSING, VALID, FAILED or INVALID"},
		{Name: "bytes", Usage: "size of the uploaded file in bytes"},
		{Name: "duration-seconds", Usage: "time the whole step took, in seconds"},
		{Name: "skipped", Usage: "true when the build number existed and skip-existing was set"},
		{Name: "processing-errors", Usage: "Apple's errors and warnings about the upload, its file and the build, as JSON: [{level, source, id, code, description}] (`[]` when none); set once the upload has ended (COMPLETE or FAILED)"},
		{Name: "build-number-reusable", Usage: "when App Store Connect refused the build: true if the same build number can be uploaded again (the upload FAILED before a build was made), false once a build exists"},
	}
	outputs = append(outputs, testflight.Outputs...)
	return command.New(command.Command{
		Name:    "upload",
		Summary: "Upload an .ipa through the App Store Connect API and wait for processing",
		Args:    "PATH",
		Long: `Reads the bundle ID, versions and platform from the IPA's Info.plist, finds the app,
stops early if the build number exists, then creates the build upload, sends the
parts Apple asks for in parallel (streamed from disk, retried, URLs renewed when
they expire), commits once every part arrived, and waits as --wait says. Tokens
are renewed throughout, however long the wait. No Xcode, altool or Transporter.

With any of testflight-groups, whats-new, uses-non-exempt-encryption or
submit-beta-review set, it waits for processing and then distributes the build on
TestFlight as the distribute command does.`,
		Outputs: outputs,
		Primary: "build-id",
	}, (*Options).fields, run)
}

// Config checks the upload inputs and returns the upload's configuration.
func (o *Options) Config(now func() time.Time) (up.Config, error) {
	var cfg up.Config
	cfg.Path = o.Build.AppPath
	if cfg.Path == "" {
		return cfg, command.Usagef("app-path is empty: give the .ipa to upload (as app-path, --app-path or the argument)")
	}
	cfg.AppID = o.Build.AppID
	var err error
	if cfg.Override, err = o.Build.Override(); err != nil {
		return cfg, err
	}
	cfg.SkipExisting = o.SkipExisting
	if cfg.Wait, err = up.ParseWait(o.Wait); err != nil {
		return cfg, command.Usagef("%v", err)
	}
	cfg.Timeout, cfg.PollInterval = o.Timeout, o.PollInterval
	if cfg.PollInterval < time.Second {
		return cfg, command.Usagef("poll-interval must be at least 1s")
	}
	cfg.Parallelism = o.Parallelism
	cfg.Now = now
	return cfg, cfg.Validate()
}

func run(ctx context.Context, env *command.Env, opts *Options) error {
	cfg, err := opts.Config(env.Now)
	if err != nil {
		return err
	}
	distributing := opts.TestFlight.Requested()
	var dcfg dist.Config
	if distributing {
		if dcfg, err = opts.TestFlight.Config(); err != nil {
			return err
		}
		if cfg.Wait != up.WaitProcessing {
			env.Report.Infof("TestFlight distribution asked for: waiting for processing (wait: processing).")
			cfg.Wait = up.WaitProcessing
		}
	}
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return err
	}
	if opts.API.Rehearsal() {
		// The emulator needs an app for this build's bundle ID.
		art, err := ipa.Inspect(cfg.Path, cfg.Override)
		if err != nil {
			return err
		}
		// ... and the beta groups the step names, as the user's account has them.
		if err := auth.RehearseWith(env, a, &opts.API, auth.Stage{BundleIDs: []string{art.Facts.BundleID}, Groups: dcfg.Groups}); err != nil {
			return err
		}
		if cfg.AppID != "" {
			env.Report.Notice("rehearsal", "app-id is ignored in a rehearsal: the emulator finds the app by its bundle ID "+art.Facts.BundleID)
			cfg.AppID = ""
		}
	}
	client, err := auth.NewClient(env, a, opts.API)
	if err != nil {
		return err
	}
	res, err := Upload(ctx, env, client, cfg)
	err = auth.ExplainAgreement("upload", blockedOutcome(res), err)
	setOutputs(env, res)
	env.Report.Summary(Summary(res, err))
	if err != nil || !distributing {
		return err
	}
	if res.Skipped && res.BuildID == "" {
		env.Report.Warning("distribute", "the build existed and was not uploaded, and its ID is unknown: run the distribute command with app-id and build-version to distribute it")
		return nil
	}
	dcfg.BuildID = res.BuildID
	dres, err := testflight.Distribute(ctx, env, client, res.AppID, dcfg)
	err = auth.ExplainAgreement("upload", "The build "+res.BuildID+" was uploaded and processed but not distributed: run the distribute command once the agreement is accepted.", err)
	if serr := testflight.SetOutputs(env, dres); serr != nil && err == nil {
		err = serr
	}
	return err
}

// blockedOutcome says what an upload stopped by a missing agreement left
// undone.
func blockedOutcome(res *up.Result) string {
	if res == nil || res.BuildUploadID == "" {
		return "Nothing was uploaded; run the step again once the agreement is accepted."
	}
	return "Build upload " + res.BuildUploadID + " was created before the block; look in App Store Connect > TestFlight once the agreement is accepted, and run the step again (skip-existing: true succeeds if the build arrived)."
}

// Upload runs the upload with its events rendered on env.Report.
func Upload(ctx context.Context, env *command.Env, api up.API, cfg up.Config) (*up.Result, error) {
	r := &renderer{env: env}
	res, err := up.Run(ctx, api, cfg, r.event)
	r.finish()
	return res, err
}

// renderer turns upload events into log lines, a progress display inside a
// log group, and annotations.
type renderer struct {
	env      *command.Env
	mu       sync.Mutex
	progress command.Progress
	endGroup func()
}

func (r *renderer) event(e up.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := r.env.Report
	switch e.Kind {
	case up.EventReserved:
		rep.Infof("%s", e.Message)
		r.endGroup = rep.Group("Sending the file")
	case up.EventTransfer:
		t := e.Transfer
		if t == nil {
			return
		}
		if r.progress == nil {
			r.progress = rep.Progress("upload", t.BytesTotal)
		}
		r.progress.Set(t.BytesDone)
		if t.Kind == transfer.PartRetrying || t.Kind == transfer.URLsRefreshed {
			rep.Infof("%s", describeTransfer(t))
		}
	case up.EventTransferred:
		r.closeProgress()
		rep.Infof("%s", e.Message)
	case up.EventDiagnostic:
		switch e.Level {
		case up.LevelError:
			rep.Error("App Store Connect: "+e.Code, e.Message)
		case up.LevelWarning:
			rep.Warning("App Store Connect: "+e.Code, e.Message)
		default:
			rep.Notice("App Store Connect: "+e.Code, e.Message)
		}
	default:
		switch e.Level {
		case up.LevelError:
			rep.Error("upload", e.Message)
		case up.LevelWarning:
			rep.Warning("upload", e.Message)
		default:
			rep.Infof("%s", e.Message)
		}
	}
}

func (r *renderer) closeProgress() {
	if r.progress != nil {
		r.progress.Finish()
		r.progress = nil
	}
	if r.endGroup != nil {
		r.endGroup()
		r.endGroup = nil
	}
}

func (r *renderer) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeProgress()
}

func describeTransfer(t *transfer.Event) string {
	switch t.Kind {
	case transfer.PartRetrying:
		return fmt.Sprintf("part %d: attempt %d failed (%v); retrying in %v", t.PartNumber, t.Attempt, t.Err, t.Wait.Round(time.Millisecond))
	case transfer.URLsRefreshed:
		return fmt.Sprintf("renewed %d expired part URL(s)", t.Parts)
	}
	return ""
}

func setOutputs(env *command.Env, res *up.Result) {
	if res == nil {
		return
	}
	outs := [][2]string{
		{"build-upload-id", res.BuildUploadID},
		{"build-id", res.BuildID},
		{"upload-state", res.UploadState},
		{"processing-state", res.ProcessingState},
		{"bytes", strconv.FormatInt(res.Bytes, 10)},
		{"duration-seconds", strconv.FormatFloat(res.Duration.Seconds(), 'f', 1, 64)},
		{"skipped", strconv.FormatBool(res.Skipped)},
	}
	if !res.Skipped && (res.UploadState == asc.BuildUploadStateComplete || res.UploadState == asc.BuildUploadStateFailed) {
		// Apple's messages are known once the upload has ended.
		outs = append(outs, [2]string{"processing-errors", processingErrorsJSON(res.Diagnostics)})
	}
	if res.ProcessingFailed {
		outs = append(outs, [2]string{"build-number-reusable", strconv.FormatBool(res.BuildNumberReusable)})
	}
	for _, o := range outs {
		if o[1] == "" {
			continue
		}
		if err := env.Report.SetOutput(o[0], o[1]); err != nil {
			env.Report.Warning("outputs", err.Error())
		}
	}
}

// Summary renders the job summary of an upload.
func Summary(res *up.Result, err error) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	status := "✅ uploaded"
	switch {
	case err != nil:
		status = "❌ failed"
	case res.Skipped:
		status = "⏭️ skipped (build exists)"
	}
	b.Printf("### Build upload: %s\n\n| | |\n|---|---|\n", status)
	row := func(k, v string) {
		if v != "" {
			b.Printf("| %s | %s |\n", k, v)
		}
	}
	row("App", strings.TrimSpace(res.BundleID+" "+paren(res.AppID)))
	if res.ShortVersion != "" {
		row("Version", fmt.Sprintf("%s (%s), %s", res.ShortVersion, res.BuildVersion, res.Platform))
	}
	row("File", res.FileName)
	if res.Bytes > 0 {
		row("Size", bytesize.Format(res.Bytes))
	}
	if t := res.Transfer; t != nil && t.Elapsed > 0 {
		row("Transfer", fmt.Sprintf("%d parts in %.1fs, %.1f MB/s, %d retries, %d URL renewals", t.Parts, t.Elapsed.Seconds(), t.Throughput/1e6, t.Retries, t.Refreshes))
	}
	row("Build upload", res.BuildUploadID)
	row("Upload state", res.UploadState)
	row("Build", res.BuildID)
	row("Processing state", res.ProcessingState)
	if res.Duration > 0 {
		row("Duration", res.Duration.Round(100*time.Millisecond).String())
	}
	processingSummary(&b, res)
	if err != nil {
		b.Printf("\n%s\n", err.Error())
	}
	return b.Markdown()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// processingErrorsJSON is the processing-errors output: Apple's errors and
// warnings, their text escaped as untrusted (no control characters, no
// workflow commands) so that echoing the output is safe.
func processingErrorsJSON(ds []up.Diagnostic) string {
	out := []up.Diagnostic{}
	for _, d := range ds {
		if d.Level == "info" {
			continue
		}
		d.Code, d.Description, d.ID = untrusted.Line(d.Code), untrusted.Line(d.Description), untrusted.Line(d.ID)
		out = append(out, d)
	}
	b, err := json.Marshal(out)
	if err != nil { // strings only: cannot happen
		return "[]"
	}
	return string(b)
}

// processingSummary lists Apple's errors and warnings under the upload's
// table, and whether the build number can be used again.
func processingSummary(b *untrusted.MarkdownBuilder, res *up.Result) {
	var rows []up.Diagnostic
	for _, d := range res.Diagnostics {
		if d.Level != "info" {
			rows = append(rows, d)
		}
	}
	if len(rows) > 0 {
		b.Printf("\n#### App Store Connect's processing messages\n\n| | Code | Description | From |\n|---|---|---|---|\n")
		for _, d := range rows {
			icon := "⚠️ warning"
			if d.Level == "error" {
				icon = "❌ error"
			}
			b.Printf("| %s | %s | %s | %s %s |\n", icon, untrusted.Code(d.Code), d.Description, d.Source, untrusted.Code(d.ID))
		}
	}
	if res.ProcessingFailed {
		if res.BuildNumberReusable {
			b.Printf("\nNo build was made: build number %s can be uploaded again once the file is fixed.\n", res.BuildVersion)
		} else {
			b.Printf("\nThe build exists, so build number %s is taken: raise CFBundleVersion (or the build-version input) before uploading again.\n", res.BuildVersion)
		}
	}
}
