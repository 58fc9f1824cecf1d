// Package distribute is the `distribute` command: once a build has
// processed, hand it to TestFlight testers (groups, "What to Test" notes,
// export compliance, beta app review). The distribution step itself, which
// the upload command offers too, is in package testflight.
package distribute

import (
	"context"
	"fmt"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/steps/auth"
	"github.com/asc-action/asc-action/internal/steps/testflight"
)

// Input names of the distribute command besides the key and distribution
// inputs (testflight.Options).
const (
	InBuildID      = "build-id"
	InAppID        = "app-id"
	InBuildVersion = "build-version"
	InTimeout      = "timeout"
	// InBuildUploadID names the build by its upload, as a webhook's
	// repository_dispatch carries it (client_payload.instance_id).
	InBuildUploadID = "build-upload-id"
)

// OutBuildID is the output naming the build distributed.
const OutBuildID = "build-id"

// DefaultTimeout bounds the wait for the build to finish processing.
const DefaultTimeout = 30 * time.Minute

// Options are the distribute command's inputs.
type Options struct {
	Key          auth.Options
	API          auth.API
	BuildID      string
	AppID        string
	BuildVersion string
	Timeout      time.Duration
	TestFlight   testflight.Options
	// BuildUploadID names the build by its upload (webhooks).
	BuildUploadID string
	PollInterval  time.Duration
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), []command.Field{
		command.String(&o.BuildID, command.Input{Name: InBuildID, Env: "ASC_BUILD_ID", Usage: "App Store Connect ID of the build to distribute (or give app-id and build-version)"}),
		command.String(&o.AppID, command.Input{Name: InAppID, Env: "ASC_APP_ID", Usage: "App Store Connect app ID (Apple ID of the app), with build-version"}),
		command.String(&o.BuildVersion, command.Input{Name: InBuildVersion, Env: "ASC_BUILD_VERSION", Usage: "build number (CFBundleVersion) of the build, with app-id"}),
		command.String(&o.BuildUploadID, command.Input{Name: InBuildUploadID, Env: "ASC_BUILD_UPLOAD_ID", Usage: "ID of the build upload whose build to distribute (a webhook dispatch's client_payload.instance_id), instead of build-id"}),
		command.Duration(&o.PollInterval, command.Input{Name: "poll-interval", Default: dist.DefaultPollInterval.String(), Usage: "time between two reads of the build's processing state while waiting"}),
		command.Duration(&o.Timeout, command.Input{Name: InTimeout, Env: "ASC_TIMEOUT", Default: DefaultTimeout.String(), Usage: "how long to wait for the build to appear and finish processing (VALID): 30m, 1h, or seconds"}),
	}, o.TestFlight.Fields())
}

// options are the command's injected waits (tests pass a fake clock's).
type options struct {
	interval time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	clientOp []asc.Option
}

// Command returns the distribute command.
func Command() *command.Command { return newCommand(options{}) }

func newCommand(o options) *command.Command {
	outputs := append([]command.Output{{Name: OutBuildID, Usage: "ID of the build distributed"}}, testflight.Outputs...)
	return command.New(command.Command{
		Name:    "distribute",
		Summary: "Give a processed build to TestFlight testers: groups, notes, export compliance, beta review",
		Long: `Waits until the build's processing is VALID (up to timeout), then, each step only
if App Store Connect does not already hold it: sends the export-compliance answer,
sets the "What to Test" notes, adds the build to the beta groups, and submits it to
beta app review when an external group is among them. Running it again changes
nothing. The key needs the Admin or App Manager role.`,
		Outputs: outputs,
		Primary: testflight.OutGroupsAdded,
	}, (*Options).fields, func(ctx context.Context, env *command.Env, opts *Options) error { return run(ctx, env, opts, o) })
}

func run(ctx context.Context, env *command.Env, opts *Options, o options) error {
	target := dist.Target{BuildID: opts.BuildID, AppID: opts.AppID, Version: opts.BuildVersion}
	if target.BuildID == "" && opts.BuildUploadID == "" && (target.AppID == "" || target.Version == "") {
		return command.Usagef("give build-id, or app-id together with build-version, or build-upload-id, to say which build to distribute")
	}
	if opts.BuildUploadID != "" && (target.BuildID != "" || target.Version != "") {
		return command.Usagef("give build-upload-id alone, without build-id or build-version: it names the build already")
	}
	// Check every input before any request, so a typo costs nothing.
	interval := o.interval
	if interval == 0 {
		if opts.PollInterval < time.Second {
			return command.Usagef("poll-interval: %s is too short; give at least 1s", opts.PollInterval)
		}
		interval = opts.PollInterval
	}
	cfg, err := opts.TestFlight.Config()
	if err != nil {
		return err
	}
	if cfg.Empty() {
		return command.Usagef("nothing to do: set %s, %s, %s or %s", testflight.InGroups, testflight.InWhatsNew, testflight.InEncryption, testflight.InSubmitReview)
	}
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return err
	}
	if err := auth.RehearseWith(env, a, &opts.API, auth.Stage{Groups: cfg.Groups}); err != nil {
		return err
	}
	client, err := auth.NewClient(env, a, opts.API, o.clientOp...)
	if err != nil {
		return err
	}

	if target.BuildID == "" && opts.BuildUploadID != "" {
		if target.BuildID, err = uploadedBuild(ctx, client, opts.BuildUploadID); err != nil {
			return err
		}
	}
	end := env.Report.Group("Waiting for the build to finish processing")
	last := ""
	build, err := dist.Wait(ctx, client, target, dist.WaitOptions{
		Timeout: opts.Timeout, Interval: interval, Now: env.Now, Sleep: o.sleep,
		OnState: func(id, state string) {
			if state != last {
				env.Report.Infof("build %s: %s", id, state)
				last = state
			}
		},
	})
	end()
	if err != nil {
		return auth.ExplainAgreement("distribute", "Nothing was changed on TestFlight; run the step again once the agreement is accepted.", err)
	}
	cfg.BuildID = build.ID
	if err := env.Report.SetOutput(OutBuildID, build.ID); err != nil {
		return err
	}
	res, err := testflight.Distribute(ctx, env, client, target.AppID, cfg)
	if err != nil {
		return auth.ExplainAgreement("distribute", "The distribution stopped part way; the step is safe to run again once the agreement is accepted.", err)
	}
	return testflight.SetOutputs(env, res)
}

// uploadedBuild is the build a build upload produced.
func uploadedBuild(ctx context.Context, client *asc.Client, uploadID string) (string, error) {
	u, _, err := client.GetBuildUpload(ctx, uploadID)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", InBuildUploadID, uploadID, err)
	}
	if id := u.BuildID(); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("%s %s: the upload is %s and has no build yet; distribute once it is COMPLETE (the webhook's new_state)", InBuildUploadID, uploadID, u.State())
}
