// Package upload is the `upload` command: send an .ipa (or a macOS .pkg)
// through the Build Uploads API from any runner, with live progress, and
// follow Apple's processing.
package upload

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/bytesize"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/auth"
	"github.com/asc-action/asc-action/internal/commands/testflight"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/untrusted"
	up "github.com/asc-action/asc-action/internal/upload"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// Options are the upload command's inputs.
type Options struct {
	Key          auth.Options
	API          auth.API
	AppPath      string
	AppID        string
	BundleID     string
	BuildVersion string
	ShortVersion string
	Platform     string
	SkipExisting bool
	Wait         string
	Timeout      time.Duration
	PollInterval time.Duration
	Parallelism  int
	TestFlight   testflight.Options
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), []command.Field{
		command.String(&o.AppPath, command.Input{Name: "app-path", Env: "ASC_APP_PATH", Positional: true, Usage: "the .ipa (or macOS .pkg) to upload"}),
		command.String(&o.AppID, command.Input{Name: "app-id", Env: "ASC_APP_ID", Usage: "App Store Connect app ID (Apple ID of the app); default: found by the bundle ID"}),
		command.String(&o.BundleID, command.Input{Name: "bundle-id", Env: "ASC_BUNDLE_ID", Usage: "override CFBundleIdentifier read from the file"}),
		command.String(&o.BuildVersion, command.Input{Name: "build-version", Env: "ASC_BUILD_VERSION", Usage: "override CFBundleVersion (the build number) read from the file"}),
		command.String(&o.ShortVersion, command.Input{Name: "short-version", Env: "ASC_SHORT_VERSION", Usage: "override CFBundleShortVersionString (the version) read from the file"}),
		command.String(&o.Platform, command.Input{Name: "platform", Env: "ASC_PLATFORM", Usage: "override the platform: IOS, MAC_OS, TV_OS or VISION_OS"}),
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
	cfg.Path = o.AppPath
	if cfg.Path == "" {
		return cfg, command.Usagef("app-path is empty: give the .ipa to upload (as app-path, --app-path or the argument)")
	}
	cfg.AppID = o.AppID
	cfg.Override = ipa.Facts{BundleID: o.BundleID, BuildVersion: o.BuildVersion, ShortVersion: o.ShortVersion}
	if p := o.Platform; p != "" {
		plat, err := ipa.ParsePlatform(p)
		if err != nil {
			return cfg, command.Usagef("platform: %v", err)
		}
		cfg.Override.Platform = plat
	}
	var err error
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
	if serr := testflight.SetOutputs(env, dres); serr != nil && err == nil {
		err = serr
	}
	return err
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
	for _, d := range res.Errors {
		row("Apple error", d.Code+": "+d.Description)
	}
	for _, d := range res.Warnings {
		row("Apple warning", d.Code+": "+d.Description)
	}
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
