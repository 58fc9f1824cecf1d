package verify

import (
	"cmp"
	"encoding/json"

	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/asc-action/asc-action/internal/command"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/readiness"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Outputs of the readiness check.
const (
	OutChecks          = "checks"
	OutNextBuildNumber = "next-build-number"
)

// readinessConfig checks the plan inputs before any request, so a typo
// costs nothing: plan, fail-on, and the app and build the plan is about
// (read from app-path when given).
func (o *Options) readinessConfig() (readiness.Config, error) {
	var rc readiness.Config
	var err error
	if rc.Plan, err = readiness.ParsePlan(o.Plan); err != nil {
		return rc, command.Usagef("%v", err)
	}
	switch o.FailOn = strings.ToLower(o.FailOn); o.FailOn {
	case "", FailOnBlocker, FailOnWarning:
	default:
		return rc, command.Usagef("fail-on must be %s or %s, not %q", FailOnBlocker, FailOnWarning, o.FailOn)
	}
	if rc.Plan.Empty() {
		return rc, nil
	}
	facts, err := o.Build.Facts()
	if err != nil {
		return rc, err
	}
	rc.AppID, rc.BundleID, rc.Platform = o.Build.AppID, facts.BundleID, string(facts.Platform)
	rc.ShortVersion, rc.BuildVersion = facts.ShortVersion, facts.BuildVersion
	// The TestFlight inputs as given: a locale App Store Connect spells
	// otherwise is a finding of the check, not a usage error.
	for _, g := range o.TestFlight.Groups {
		if !slices.Contains(rc.Groups, g) {
			rc.Groups = append(rc.Groups, g)
		}
	}
	rc.Locale, rc.Encryption = cmp.Or(o.TestFlight.Locale, dist.DefaultLocale), o.TestFlight.Encryption
	return rc, nil
}

// keyCheck is the key's verdict as the first entry of the checks.
func keyCheck(v verdict) readiness.Check {
	c := readiness.Check{Check: "key", Subject: v.keyID, Message: v.message}
	switch {
	case v.status == StatusSkipped:
		c.Result = readiness.Skipped
	case v.status == StatusValid && v.reason == ReasonValid:
		c.Result = readiness.OK
	case v.status == StatusValid, v.status == StatusUnknown:
		c.Result = readiness.Warning
	default:
		c.Result = readiness.Blocker
	}
	return c
}

// setOutputs sets key-status, reason, rate-limit-remaining, checks and
// next-build-number.
func setOutputs(env *command.Env, v verdict, rep *readiness.Report) error {
	checks := []readiness.Check{keyCheck(v)}
	outs := [][2]string{{"key-status", v.status}, {"reason", v.reason}}
	if v.rate.Known {
		outs = append(outs, [2]string{"rate-limit-remaining", strconv.Itoa(v.rate.Remaining)})
	}
	if rep != nil {
		checks = append(checks, rep.Checks...)
		if rep.NextBuildNumber != "" {
			outs = append(outs, [2]string{OutNextBuildNumber, rep.NextBuildNumber})
		}
	}
	js, err := json.Marshal(checks)
	if err != nil {
		return err
	}
	outs = append(outs, [2]string{OutChecks, string(js)})
	for _, o := range outs {
		if err := env.Report.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// annotate logs each finding: an error annotation for a blocker, a
// warning for a warning, a log line otherwise.
func annotate(env *command.Env, rep *readiness.Report) {
	for _, c := range rep.Checks {
		title := "readiness: " + c.Check
		if c.Subject != "" {
			title += " " + c.Subject
		}
		msg := strings.TrimSpace(c.Message + " " + c.Fix)
		switch c.Result {
		case readiness.Blocker:
			env.Report.Error(title, msg)
		case readiness.Warning:
			env.Report.Warning(title, msg)
		default:
			env.Report.Infof("%s: %s: %s", title, c.Result, c.Message)
		}
	}
}

// verdictOfChecks fails the step on a blocker, or on a warning when
// failOnWarning.
func verdictOfChecks(env *command.Env, v verdict, rep *readiness.Report, failOnWarning bool) error {
	if v.reason == ReasonSkewCorrected {
		env.Report.Warning("verify", v.message)
	}
	blockers, warnings := rep.Counts()
	switch {
	case blockers > 0:
		return &command.Reported{Err: fmt.Errorf("the release is not ready: %d blocker(s) and %d warning(s); see the checks", blockers, warnings)}
	case warnings > 0 && failOnWarning:
		return &command.Reported{Err: fmt.Errorf("the release has %d warning(s) and fail-on is warning; see the checks", warnings)}
	case warnings > 0:
		env.Report.Notice("verify", fmt.Sprintf("The release can go through, with %d warning(s).", warnings))
	default:
		env.Report.Notice("verify", "The key works and every check of the plan passed.")
	}
	return nil
}

var resultIcon = map[string]string{readiness.OK: "✅ ok", readiness.Warning: "⚠️ warning", readiness.Blocker: "❌ blocker", readiness.Skipped: "⏭️ skipped"}

// readinessSummary renders the checks as a table: check, result, what to do.
func readinessSummary(plan readiness.Plan, v verdict, rep *readiness.Report) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	checks := []readiness.Check{keyCheck(v)}
	if rep != nil {
		checks = append(checks, rep.Checks...)
	}
	blockers, warnings := (&readiness.Report{Checks: checks}).Counts()
	head := "✅ ready"
	switch {
	case rep == nil:
		head = "⏭️ not checked: the key check did not pass"
	case blockers > 0:
		head = fmt.Sprintf("❌ not ready: %d blocker(s), %d warning(s)", blockers, warnings)
	case warnings > 0:
		head = fmt.Sprintf("⚠️ ready with %d warning(s)", warnings)
	}
	b.Printf("\n### Release readiness (plan: %s): %s\n\n| Check | Result | What to do |\n|---|---|---|\n", plan.String(), head)
	for _, c := range checks {
		name := untrusted.Code(c.Check)
		if c.Subject != "" {
			b.Printf("| %s %s | %s: %s | %s |\n", name, c.Subject, resultIcon[c.Result], c.Message, orDash(c.Fix))
		} else {
			b.Printf("| %s | %s: %s | %s |\n", name, resultIcon[c.Result], c.Message, orDash(c.Fix))
		}
	}
	if rep != nil && rep.NextBuildNumber != "" {
		b.Printf("\nNext free build number: **%s** (output `next-build-number`).\n", rep.NextBuildNumber)
	}
	return b.Markdown()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
