// Package testflight is the TestFlight distribution step that the
// distribute and upload commands share (it is not a command): its inputs,
// its outputs, and the step run with its events, outputs and job summary
// rendered on the command's reporter.
package testflight

import (
	"context"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
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
)

// Output names.
const (
	OutGroupsAdded = "testflight-groups-added"
	OutReviewState = "beta-review-state"
)

// Options are the distribution inputs. In the upload command, setting any
// of them makes the upload wait for processing and distribute.
type Options struct {
	Groups       []string
	WhatsNew     string // as given; dist.Config.Validate trims it
	Locale       string
	Encryption   *bool // nil: send no export-compliance answer
	SubmitReview bool
}

// Fields binds the distribution inputs to o.
func (o *Options) Fields() []command.Field {
	f := o.CheckFields()
	return []command.Field{
		f[0],
		command.Text(&o.WhatsNew, command.Input{Name: InWhatsNew, Env: "ASC_WHATS_NEW", Usage: `the "What to Test" notes testers see, created or updated on the build`}),
		f[1], f[2],
		command.Bool(&o.SubmitReview, command.Input{Name: InSubmitReview, Env: "ASC_SUBMIT_BETA_REVIEW", Default: "false", Usage: "submit the build to beta app review when an external group is among testflight-groups"}),
	}
}

// CheckFields binds the distribution inputs a readiness check reads
// (testflight-groups, whats-new-locale, uses-non-exempt-encryption), so
// verify takes them as the upload and distribute steps do.
func (o *Options) CheckFields() []command.Field {
	return []command.Field{
		command.Lines(&o.Groups, command.Input{Name: InGroups, Env: "ASC_TESTFLIGHT_GROUPS", Usage: "TestFlight beta groups to add the build to, names or IDs, one per line (repeat the flag for more)"}),
		command.String(&o.Locale, command.Input{Name: InWhatsNewLocale, Env: "ASC_WHATS_NEW_LOCALE", Default: dist.DefaultLocale, Usage: "locale of whats-new"}),
		command.OptionalBool(&o.Encryption, command.Input{Name: InEncryption, Env: "ASC_USES_NON_EXEMPT_ENCRYPTION", Usage: "export compliance: true or false is sent as the build's answer (so it does not wait in Missing Compliance); empty sends nothing"}),
	}
}

// Outputs are the distribution outputs.
var Outputs = []command.Output{
	{Name: OutGroupsAdded, Usage: "names of the requested groups the build is in after the step (added now or before), comma-separated"},
	{Name: OutReviewState, Usage: "beta app review state (WAITING_FOR_REVIEW, IN_REVIEW, APPROVED, REJECTED); empty when no review was asked for or needed"},
}

// Requested reports whether any distribution input is set, so the upload
// command knows to wait for processing and distribute.
func (o *Options) Requested() bool {
	return len(o.Groups) > 0 || strings.TrimSpace(o.WhatsNew) != "" || o.Encryption != nil || o.SubmitReview
}

// Config returns the validated dist.Config; the caller sets BuildID once it
// knows the build.
func (o *Options) Config() (dist.Config, error) {
	cfg := dist.Config{
		Groups:                  o.Groups,
		WhatsNew:                o.WhatsNew,
		Locale:                  o.Locale,
		UsesNonExemptEncryption: o.Encryption,
		SubmitBetaReview:        o.SubmitReview,
	}
	if err := cfg.Validate(); err != nil {
		return cfg, command.Usagef("%s", strings.TrimPrefix(err.Error(), dist.ErrConfig.Error()+": "))
	}
	return cfg, nil
}

// Distribute runs the distribution step with its events as log lines, and
// writes the job summary: the distribute command after its wait for the
// build, the upload command after its own.
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
