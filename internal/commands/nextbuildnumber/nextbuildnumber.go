// Package nextbuildnumber is the `next-build-number` command: the build
// number to give the next build, one more than the highest in use for the
// app, version and platform, counting build uploads still in flight.
package nextbuildnumber

import (
	"context"
	"fmt"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/readiness"
	"github.com/asc-action/asc-action/internal/steps/appbuild"
	"github.com/asc-action/asc-action/internal/steps/auth"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Output names.
const (
	OutNext    = "next-build-number"
	OutHighest = "highest-build-number"
)

// Options are the command's inputs.
type Options struct {
	Key   auth.Options
	API   auth.API
	Build appbuild.Options
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), o.Build.AppFields())
}

// Command returns the next-build-number command.
func Command() *command.Command {
	return command.New(command.Command{
		Name:    "next-build-number",
		Summary: "Print the next free build number: one more than the highest in use, uploads in flight included",
		Args:    "[PATH]",
		Long: `Reads the app's builds and its build uploads that have not failed (those still
being sent or processed hold their number before any build appears) for the
platform, within short-version when it is given (else across every version), and
prints one more than the highest build number: 42 gives 43, 1.2.9 gives 1.2.10,
nothing gives 1. The app is app-id, bundle-id, or the bundle ID of app-path.

Two runs that read before either has created its build upload get the same
number; the second upload is then refused as a duplicate (or skipped with
skip-existing: true). See README "Build numbers" for the window and the cures.`,
		Outputs: []command.Output{
			{Name: OutNext, Usage: "one more than the highest build number in use for the app, version and platform, build uploads not yet processed included (verify: with plan upload)"},
			{Name: OutHighest, Usage: "the highest build number in use (empty when none is)"},
		},
		Primary: OutNext,
	}, (*Options).fields, run)
}

func run(ctx context.Context, env *command.Env, opts *Options) error {
	facts, err := opts.Build.Facts()
	if err != nil {
		return err
	}
	if opts.Build.AppID == "" && facts.BundleID == "" {
		return command.Usagef("no app: set bundle-id or app-id (or app-path, whose bundle ID is read)")
	}
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return err
	}
	if err := auth.Rehearse(env, a, &opts.API, facts.BundleID); err != nil {
		return err
	}
	appID := opts.Build.AppID
	if opts.API.Rehearsal() && facts.BundleID != "" {
		appID = "" // the emulator's app has its own ID: find it by bundle ID
	}
	client, err := auth.NewClient(env, a, opts.API)
	if err != nil {
		return err
	}
	app, err := readiness.FindApp(ctx, client, appID, facts.BundleID)
	if err != nil {
		return err
	}
	next, err := readiness.NextBuildNumber(ctx, client, app.ID, facts.ShortVersion, string(facts.Platform))
	if err != nil {
		return err
	}
	within := "every version"
	if facts.ShortVersion != "" {
		within = "version " + facts.ShortVersion
	}
	if next.Highest == "" {
		env.Report.Infof("App %s (%s) has no build number in use on %s in %s: the next is %s.", app.Attributes.BundleID, app.ID, facts.Platform, within, next.Number)
	} else {
		env.Report.Infof("App %s (%s), %s, %s: %d build(s) and %d build upload(s) not failed; the highest build number is %s (%s), so the next is %s.",
			app.Attributes.BundleID, app.ID, facts.Platform, within, next.Builds, next.Uploads, next.Highest, next.HeldBy, next.Number)
	}
	env.Report.Summary(untrusted.Markdownf("### Next build number: **%s**\n\nApp %s, %s, %s; highest in use: %s.\n", next.Number, untrusted.Code(app.Attributes.BundleID), facts.Platform, within, orNone(next.Highest, next.HeldBy)))
	if err := env.Report.SetOutput(OutHighest, next.Highest); err != nil {
		return err
	}
	return env.Report.SetOutput(OutNext, next.Number)
}

func orNone(highest, by string) string {
	if highest == "" {
		return "none"
	}
	return fmt.Sprintf("%s, %s", highest, by)
}
