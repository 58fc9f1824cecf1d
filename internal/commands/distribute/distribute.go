// Package distribute is the `distribute` command: once a build has
// processed, hand it to TestFlight testers (groups, "What to Test" notes,
// export compliance, beta app review). Its distribution inputs are exported
// so that the upload command can offer the same step after an upload.
package distribute

import (
	"context"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/auth"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Input names of the distribution step.
const (
	InGroups         = "testflight-groups"
	InWhatsNew       = "whats-new"
	InWhatsNewLocale = "whats-new-locale"
	InEncryption     = "uses-non-exempt-encryption"
	InSubmitReview   = "submit-beta-review"

	InBuildID      = "build-id"
	InAppID        = "app-id"
	InBuildVersion = "build-version"
	InTimeout      = "timeout"
)

// Output names.
const (
	OutGroupsAdded = "testflight-groups-added"
	OutReviewState = "beta-review-state"
	OutBuildID     = "build-id"
)

// DefaultTimeout bounds the wait for the build to finish processing.
const DefaultTimeout = 30 * time.Minute

// Inputs are the distribution inputs, shared with the upload command: when
// any of them is set there, the upload waits for processing and distributes.
var Inputs = []command.Input{
	{Name: InGroups, Env: "ASC_TESTFLIGHT_GROUPS", Usage: "TestFlight beta groups to add the build to, names or IDs, one per line (repeat the flag for more)"},
	{Name: InWhatsNew, Env: "ASC_WHATS_NEW", Usage: `the "What to Test" notes testers see, created or updated on the build`},
	{Name: InWhatsNewLocale, Env: "ASC_WHATS_NEW_LOCALE", Default: dist.DefaultLocale, Usage: "locale of whats-new"},
	{Name: InEncryption, Env: "ASC_USES_NON_EXEMPT_ENCRYPTION", Bool: true, Usage: "export compliance: true or false is sent as the build's answer (so it does not wait in Missing Compliance); empty sends nothing"},
	{Name: InSubmitReview, Env: "ASC_SUBMIT_BETA_REVIEW", Bool: true, Default: "false", Usage: "submit the build to beta app review when an external group is among testflight-groups"},
}

// Outputs are the distribution outputs, shared with the upload command.
var Outputs = []command.Output{
	{Name: OutGroupsAdded, Usage: "names of the requested groups the build is in after the step (added now or before), comma-separated"},
	{Name: OutReviewState, Usage: "beta app review state (WAITING_FOR_REVIEW, IN_REVIEW, APPROVED, REJECTED); empty when no review was asked for or needed"},
}

// Requested reports whether any distribution input is set, so the upload
// command knows to wait for processing and distribute.
func Requested(env *command.Env) bool {
	for _, in := range Inputs {
		if in.Name == InWhatsNewLocale || in.Name == InSubmitReview {
			continue
		}
		if env.String(in.Name) != "" {
			return true
		}
	}
	b, _ := env.Bool(InSubmitReview)
	return b
}

// ConfigFromEnv reads the distribution inputs into a validated Config; the
// caller sets BuildID once it knows the build.
func ConfigFromEnv(env *command.Env) (dist.Config, error) {
	cfg := dist.Config{
		Groups:   env.Lines(InGroups),
		WhatsNew: env.Raw(InWhatsNew),
		Locale:   env.String(InWhatsNewLocale),
	}
	if env.String(InEncryption) != "" {
		v, err := env.Bool(InEncryption)
		if err != nil {
			return cfg, err
		}
		cfg.UsesNonExemptEncryption = &v
	}
	v, err := env.Bool(InSubmitReview)
	if err != nil {
		return cfg, err
	}
	cfg.SubmitBetaReview = v
	if err := cfg.Validate(); err != nil {
		return cfg, command.Usagef("%s", strings.TrimPrefix(err.Error(), dist.ErrConfig.Error()+": "))
	}
	return cfg, nil
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
	inputs := append([]command.Input(nil), auth.Inputs...)
	inputs = append(inputs, auth.APIInput,
		command.Input{Name: InBuildID, Env: "ASC_BUILD_ID", Usage: "App Store Connect ID of the build to distribute (or give app-id and build-version)"},
		command.Input{Name: InAppID, Env: "ASC_APP_ID", Usage: "App Store Connect app ID (Apple ID of the app), with build-version"},
		command.Input{Name: InBuildVersion, Env: "ASC_BUILD_VERSION", Usage: "build number (CFBundleVersion) of the build, with app-id"},
		command.Input{Name: InTimeout, Env: "ASC_TIMEOUT", Default: DefaultTimeout.String(), Usage: "how long to wait for the build to appear and finish processing (VALID): 30m, 1h, or seconds"},
	)
	inputs = append(inputs, Inputs...)
	outputs := append([]command.Output{{Name: OutBuildID, Usage: "ID of the build distributed"}}, Outputs...)
	return &command.Command{
		Name:    "distribute",
		Summary: "Give a processed build to TestFlight testers: groups, notes, export compliance, beta review",
		Long: `Waits until the build's processing is VALID (up to timeout), then, each step only
if App Store Connect does not already hold it: sends the export-compliance answer,
sets the "What to Test" notes, adds the build to the beta groups, and submits it to
beta app review when an external group is among them. Running it again changes
nothing. The key needs the Admin or App Manager role.`,
		Inputs:  inputs,
		Outputs: outputs,
		Primary: OutGroupsAdded,
		Run:     func(ctx context.Context, env *command.Env) error { return run(ctx, env, o) },
	}
}

func run(ctx context.Context, env *command.Env, o options) error {
	target := dist.Target{BuildID: env.String(InBuildID), AppID: env.String(InAppID), Version: env.String(InBuildVersion)}
	if target.BuildID == "" && (target.AppID == "" || target.Version == "") {
		return command.Usagef("give build-id, or app-id together with build-version, to say which build to distribute")
	}
	timeout, err := env.Duration(InTimeout, DefaultTimeout)
	if err != nil {
		return err
	}
	// Read every input before any request, so a typo costs nothing.
	cfg, err := ConfigFromEnv(env)
	if err != nil {
		return err
	}
	if cfg.Empty() {
		return command.Usagef("nothing to do: set %s, %s, %s or %s", InGroups, InWhatsNew, InEncryption, InSubmitReview)
	}
	a, err := auth.Load(env, nil)
	if err != nil {
		return err
	}
	client, err := auth.NewClient(env, a, o.clientOp...)
	if err != nil {
		return err
	}

	end := env.Report.Group("Waiting for the build to finish processing")
	last := ""
	build, err := dist.Wait(ctx, client, target, dist.WaitOptions{
		Timeout: timeout, Interval: o.interval, Now: env.Now, Sleep: o.sleep,
		OnState: func(id, state string) {
			if state != last {
				env.Report.Infof("build %s: %s", id, state)
				last = state
			}
		},
	})
	end()
	if err != nil {
		return err
	}
	cfg.BuildID = build.ID
	if err := env.Report.SetOutput(OutBuildID, build.ID); err != nil {
		return err
	}
	res, err := Distribute(ctx, env, client, target.AppID, cfg)
	if err != nil {
		return err
	}
	return SetOutputs(env, res)
}

// Distribute runs the distribution step with its events as log lines, and
// writes the job summary. The upload command calls it after its own wait.
func Distribute(ctx context.Context, env *command.Env, client *asc.Client, appID string, cfg dist.Config) (dist.Result, error) {
	end := env.Report.Group("Distributing build " + cfg.BuildID + " on TestFlight")
	res, err := dist.Run(ctx, client, appID, cfg, func(e dist.Event) {
		if e.Changed {
			env.Report.Infof("%s: %s", e.Step, e.Message)
		} else {
			env.Report.Infof("%s: %s (nothing to change)", e.Step, e.Message)
		}
	})
	end()
	if err != nil {
		return res, err
	}
	if res.Changes == 0 {
		env.Report.Infof("TestFlight already held everything asked for; nothing was changed.")
	}
	env.Report.Summary(Summary(res))
	return res, nil
}

// SetOutputs sets testflight-groups-added and beta-review-state.
func SetOutputs(env *command.Env, res dist.Result) error {
	if err := env.Report.SetOutput(OutGroupsAdded, strings.Join(res.GroupNames(), ",")); err != nil {
		return err
	}
	return env.Report.SetOutput(OutReviewState, res.BetaReviewState)
}

// Summary renders the job summary: the groups and what became of each, the
// notes, the compliance answer and the review state.
func Summary(res dist.Result) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	b.Printf("### TestFlight distribution\n\n")
	b.Printf("Build %s", untrusted.Code(res.BuildID))
	if res.BuildVersion != "" {
		b.Printf(" (build number %s)", res.BuildVersion)
	}
	if res.AppID != "" {
		b.Printf(" of app %s", untrusted.Code(res.AppID))
	}
	b.Printf(".\n\n")
	if len(res.Groups) > 0 {
		b.Printf("| Group | Kind | ID | Result |\n|---|---|---|---|\n")
		for _, g := range res.Groups {
			k, r := "external", "already there"
			if g.Internal {
				k = "internal"
			}
			if g.Added {
				r = "added"
			}
			b.Printf("| %s | %s | %s | %s |\n", g.Name, k, untrusted.Code(g.ID), r)
		}
		b.Printf("\n")
	}
	if res.Notes != nil {
		b.Printf("**What to Test** (%s, %s):\n\n", res.Notes.Locale, res.Notes.Action)
		for _, line := range strings.Split(res.Notes.Text, "\n") {
			b.Printf("> %s\n", line)
		}
		b.Printf("\n")
	}
	if res.Compliance != "" && res.UsesNonExemptEncryption != nil {
		b.Printf("Export compliance: uses non-exempt encryption = %t (%s).\n\n", *res.UsesNonExemptEncryption, res.Compliance)
	}
	if res.BetaReviewState != "" {
		s := "already submitted"
		if res.BetaReviewSubmitted {
			s = "submitted now"
		}
		b.Printf("Beta app review: **%s** (%s).\n\n", res.BetaReviewState, s)
	}
	if res.Changes == 0 {
		b.Printf("Nothing changed: TestFlight already held all of this.\n")
	}
	return b.Markdown()
}
