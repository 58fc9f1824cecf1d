// Package verify is the `verify` command: prove that the App Store Connect
// secrets still work, with one cheap authenticated call, and say precisely
// what is wrong when they do not; with a plan, check that the release's
// steps can go through (package readiness). Made for pull-request checks.
package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/credentials"
	"github.com/asc-action/asc-action/internal/kms"
	"github.com/asc-action/asc-action/internal/readiness"
	"github.com/asc-action/asc-action/internal/steps/appbuild"
	"github.com/asc-action/asc-action/internal/steps/auth"
	"github.com/asc-action/asc-action/internal/steps/testflight"
	"github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Key statuses (output key-status).
const (
	StatusValid   = "valid"
	StatusInvalid = "invalid"
	StatusSkipped = "skipped"
	// StatusUnknown is set when App Store Connect could not be reached, so
	// nothing could be said of the key.
	StatusUnknown = "unknown"
)

// Reasons (output reason): what the verdict rests on.
const (
	ReasonValid          = "valid"
	ReasonSkewCorrected  = "clock-skew-corrected"
	ReasonMissing        = "missing-secrets"
	ReasonKeyUnreadable  = "key-unreadable"
	ReasonKeyIDMalformed = "key-id-malformed"
	ReasonIssuerMalform  = "issuer-id-malformed"
	ReasonBadInput       = "invalid-input"
	ReasonWrongKeyType   = "wrong-key-type"
	ReasonClockSkew      = "clock-skew"
	ReasonUnauthorized   = "unauthorized"
	ReasonForbidden      = "forbidden"
	ReasonAgreement      = "agreement-missing"
	ReasonRateLimited    = "rate-limited"
	ReasonNetwork        = "network"
)

// Options are the verify command's inputs.
type Options struct {
	Key                  auth.Options
	API                  auth.API
	FailOnMissingSecrets bool
	Plan                 string
	FailOn               string
	Build                appbuild.Options
	TestFlight           testflight.Options
}

// fail-on values.
const (
	FailOnBlocker = "blocker"
	FailOnWarning = "warning"
)

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), []command.Field{
		command.Bool(&o.FailOnMissingSecrets, command.Input{Name: "fail-on-missing-secrets", Env: "ASC_FAIL_ON_MISSING_SECRETS", Default: "false", Usage: "fail when the key secrets are empty (a pull request from a fork gets none); by default that is a notice and a success"}),
		command.String(&o.Plan, command.Input{Name: "plan", Env: "ASC_PLAN", Usage: "what the release will do, a comma list of upload, testflight and audit: verify then checks each step can go through (role, app, build number, groups, Beta App Review needs, locale, request budget); empty checks the key only"}),
		command.String(&o.FailOn, command.Input{Name: "fail-on", Env: "ASC_FAIL_ON", Default: FailOnBlocker, Usage: "blocker (fail only when a check finds something that stops the release) or warning (fail on warnings too)"}),
	}, o.Build.Fields(), o.TestFlight.CheckFields())
}

// Command returns the verify command.
func Command() *command.Command {
	return command.New(command.Command{
		Name:    "verify",
		Summary: "Check that the API key works and, given the release's plan, that the release can go through",
		Long: `Reports key-status valid, or invalid with the reason: key unreadable, Key ID or
Issuer ID malformed, 401 (wrong issuer, individual key used as team key or the
reverse, revoked key, clock skew with the measured skew), 403 (a role without
access, or an agreement the Account Holder must accept), rate limited, or a
network failure (key-status unknown). Exit status 1 unless the key is valid.

With --plan upload,testflight,audit it then checks, with harmless reads only, that
each step can go through: the key's role, the app, the build number (free, next
free one), the TestFlight groups and what Beta App Review needs for external
ones, whats-new-locale, and the hourly request budget. Exit status 1 on a blocker
(and on a warning with --fail-on warning).`,
		Outputs: []command.Output{
			{Name: "key-status", Usage: "valid, invalid, skipped (secrets empty) or unknown (App Store Connect unreachable)"},
			{Name: "reason", Usage: "what the verdict rests on: valid, wrong-key-type, unauthorized, clock-skew, forbidden, agreement-missing, rate-limited, network, missing-secrets, key-unreadable, ..."},
			{Name: "rate-limit-remaining", Usage: "requests left this hour for this key (X-Rate-Limit), when known"},
			{Name: OutChecks, Usage: "every check as single-line JSON: a list of {check, subject, result (ok, warning, blocker, skipped), message, fix}, the key first"},
			{Name: OutNextBuildNumber, Usage: "one more than the highest build number in use for the app, version and platform, build uploads not yet processed included (verify: with plan upload)"},
		},
		Primary: "key-status",
	}, (*Options).fields, run)
}

// verdict is the result of a verification.
type verdict struct {
	status, reason, message string
	rate                    asc.RateLimit
	skew                    time.Duration
	keyID                   string
	keyType                 token.KeyType
	fingerprint             string
	// client is the client the key was checked with, when it authenticated.
	client *asc.Client
}

func run(ctx context.Context, env *command.Env, opts *Options) error {
	rc, err := opts.readinessConfig()
	if err != nil {
		return err
	}
	v := check(ctx, env, opts, rc.BundleID)
	var rep *readiness.Report
	if !rc.Plan.Empty() && v.client != nil {
		rc.Individual = v.keyType == token.Individual
		if opts.API.Rehearsal() && rc.AppID != "" {
			env.Report.Notice("rehearsal", "app-id is ignored in a rehearsal: the emulator finds the app by its bundle ID")
			rc.AppID = ""
		}
		end := env.Report.Group("Checking readiness for plan " + rc.Plan.String())
		rep = readiness.Run(ctx, v.client, rc)
		annotate(env, rep)
		end()
		if rep.RateLimit.Known {
			v.rate = rep.RateLimit
		}
	}
	if err := setOutputs(env, v, rep); err != nil {
		return err
	}
	env.Report.Summary(summary(v))
	if !rc.Plan.Empty() {
		env.Report.Summary(readinessSummary(rc.Plan, v, rep))
	}
	if v.status == StatusValid && rep != nil {
		return verdictOfChecks(env, v, rep, opts.FailOn == FailOnWarning)
	}
	switch {
	case v.status == StatusValid:
		if v.reason == ReasonRateLimited || v.reason == ReasonSkewCorrected {
			env.Report.Warning("verify", v.message)
		} else {
			env.Report.Notice("verify", v.message)
		}
		return nil
	case v.status == StatusSkipped:
		env.Report.Notice("verify skipped", v.message)
		if opts.FailOnMissingSecrets {
			return &command.Reported{Err: errors.New(v.message)}
		}
		return nil
	}
	env.Report.Error("verify: "+v.reason, v.message)
	return &command.Reported{Err: errors.New(v.message)}
}

func check(ctx context.Context, env *command.Env, opts *Options, bundleID string) verdict {
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return inputVerdict(env, err)
	}
	v := verdict{keyID: a.Options.KeyID, keyType: a.Options.Type, fingerprint: a.Key.Fingerprint()}
	// A rehearsal holds the groups the plan names, as the rehearsed upload
	// and distribute do, so a rehearsed check of the release passes where
	// the rehearsed release does.
	if err := auth.RehearseWith(env, a, &opts.API, auth.Stage{BundleIDs: []string{bundleID}, Groups: opts.TestFlight.Groups}); err != nil {
		return verdict{status: StatusInvalid, reason: ReasonBadInput, message: err.Error()}
	}
	var skewSeen time.Duration
	client, err := auth.NewClient(env, a, opts.API, asc.WithEvents(func(e asc.Event) {
		if e.Kind == asc.EventClockSkew {
			skewSeen = e.Skew
		}
		auth.ReportEvent(env.Report, e)
	}), asc.WithRetryMax(2))
	if err != nil {
		return verdict{status: StatusInvalid, reason: ReasonBadInput, message: err.Error()}
	}
	resp, err := probe(ctx, client)
	if resp != nil {
		v.rate = resp.RateLimit
	}
	v.skew = skewSeen
	switch {
	case err == nil && skewSeen != 0:
		v.client = client
		v.status, v.reason = StatusValid, ReasonSkewCorrected
		size, direction := asc.SkewWords(skewSeen)
		v.message = fmt.Sprintf("The key works, but this machine's clock is %s App Store Connect's by %v: the first token was refused and a token minted on the server's time was accepted. Fix the runner's clock (NTP).", direction, size)
	case err == nil:
		v.client = client
		v.status, v.reason = StatusValid, ReasonValid
		v.message = fmt.Sprintf("The %s key %s authenticates with App Store Connect.", a.Options.Type, a.Options.KeyID)
	default:
		classify(ctx, env, opts, a, err, &v)
	}
	return v
}

// probe makes the cheapest authenticated call: one app, one field.
func probe(ctx context.Context, c *asc.Client) (*asc.Response, error) {
	req, err := c.NewRequest(http.MethodGet, "v1/apps?limit=1&fields[apps]=bundleId", nil)
	if err != nil {
		return nil, err
	}
	var doc struct{}
	return c.Do(ctx, req, &doc)
}

func inputVerdict(env *command.Env, err error) verdict {
	v := verdict{status: StatusInvalid, message: err.Error()}
	switch {
	case errors.Is(err, credentials.ErrEmpty):
		v.status, v.reason = StatusSkipped, ReasonMissing
		v.message = "The App Store Connect key secrets are empty, so nothing was verified. Secrets are not passed to workflows triggered by pull requests from forks; set fail-on-missing-secrets: true to fail instead."
		if env.Getenv != nil && !strings.HasPrefix(env.Getenv("GITHUB_EVENT_NAME"), "pull_request") && env.Mode == command.ModeAction {
			v.message = "The App Store Connect key secrets are empty, so nothing was verified: check that the secret names in the workflow match the repository's secrets (Settings > Secrets and variables > Actions)."
		}
	case errors.Is(err, token.ErrKeyID):
		v.reason = ReasonKeyIDMalformed
	case errors.Is(err, token.ErrIssuerID):
		v.reason = ReasonIssuerMalform
	case errors.Is(err, kms.ErrUnavailable):
		// The KMS holding the key could not be reached: nothing says the
		// key is wrong.
		v.status, v.reason = StatusUnknown, ReasonNetwork
	case isCredentialsError(err), errors.Is(err, kms.ErrWrongKeyType), errors.Is(err, kms.ErrKeyNotFound), errors.Is(err, kms.ErrKeyDisabled):
		v.reason = ReasonKeyUnreadable
	default:
		v.reason = ReasonBadInput
	}
	return v
}

func isCredentialsError(err error) bool {
	for _, e := range []error{credentials.ErrRSAKey, credentials.ErrWrongCurve, credentials.ErrOtherKeyType, credentials.ErrEncrypted,
		credentials.ErrPublicKey, credentials.ErrCertificate, credentials.ErrOpenSSH, credentials.ErrUnrecognized,
		credentials.ErrTruncated, credentials.ErrBadDER, credentials.ErrNoFile} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func classify(ctx context.Context, env *command.Env, opts *Options, a *auth.Auth, err error, v *verdict) {
	var apiErr *asc.APIError
	errors.As(err, &apiErr)
	var netErr *asc.NetworkError
	switch {
	case errors.Is(err, asc.ErrUnauthorized):
		v.status = StatusInvalid
		if apiErr != nil && apiErr.ClockSkew.Abs() > asc.SkewThreshold {
			v.skew = apiErr.ClockSkew
		}
		if alt, ok := otherKeyType(opts, a); ok && tryWith(ctx, env, opts, a, alt) {
			v.reason = ReasonWrongKeyType
			if alt == token.Individual {
				v.message = fmt.Sprintf("Key %s is an individual key but was used as a team key: App Store Connect accepted it with sub \"user\" and no issuer. Set key-type: individual (and drop issuer-id).", a.Options.KeyID)
			} else {
				v.message = fmt.Sprintf("Key %s is a team key but was used as an individual key: App Store Connect accepted it with the issuer ID. Set key-type: team.", a.Options.KeyID)
			}
			return
		}
		if v.skew != 0 {
			v.reason = ReasonClockSkew
			size, direction := asc.SkewWords(v.skew)
			v.message = fmt.Sprintf("App Store Connect refused the token (401) and this machine's clock is %s App Store Connect's by %v, even after minting on the server's time. Fix the runner's clock (NTP) and check the key as below.", direction, size)
			return
		}
		v.reason = ReasonUnauthorized
		causes := []string{
			fmt.Sprintf("the key was revoked in App Store Connect, or key-id %s is not this key's ID (compare the AuthKey_<KEYID>.p8 file name; this key's public fingerprint is %s)", a.Options.KeyID, a.Key.Fingerprint()),
		}
		if a.Options.Type == token.Team {
			causes = append([]string{fmt.Sprintf("issuer-id %s is not your team's Issuer ID (shown above the Team Keys table)", a.Options.IssuerID)}, causes...)
		}
		v.message = "App Store Connect refused the token (401). Likely causes: " + strings.Join(causes, "; or ") + "."
	case errors.Is(err, asc.ErrAgreementMissing):
		v.status, v.reason = StatusInvalid, ReasonAgreement
		v.message = auth.ExplainAgreement("verify", fmt.Sprintf("Key %s itself may be fine; nothing can be uploaded, distributed or audited until then.", a.Options.KeyID), err).Error()
	case errors.Is(err, asc.ErrForbidden):
		v.status, v.reason = StatusInvalid, ReasonForbidden
		v.message = fmt.Sprintf("The key authenticates but its role may not read apps (403): give key %s a role with access (App Manager, Admin or Developer) in Users and Access > Integrations. Detail: %v", a.Options.KeyID, err)
	case errors.Is(err, asc.ErrRateLimited):
		v.status, v.reason = StatusValid, ReasonRateLimited
		v.message = fmt.Sprintf("The key authenticated, but its hourly request budget is spent (429); other steps using key %s will wait or fail until the hour rolls over.", a.Options.KeyID)
	case errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded):
		v.status, v.reason = StatusUnknown, ReasonNetwork
		v.message = fmt.Sprintf("App Store Connect could not be reached, so the key could not be checked: %v. Check the runner's network and api-url.", err)
	default:
		v.status, v.reason = StatusUnknown, ReasonNetwork
		v.message = fmt.Sprintf("The check failed without a verdict on the key: %v", err)
	}
}

// otherKeyType returns the key type worth trying after a 401: individual
// for a team key, team for an individual key given with an issuer ID.
func otherKeyType(opts *Options, a *auth.Auth) (token.KeyType, bool) {
	if a.Options.Type == token.Team {
		return token.Individual, true
	}
	if iss, err := token.ParseIssuerID(opts.Key.IssuerID); err == nil && iss != "" {
		return token.Team, true
	}
	return "", false
}

func tryWith(ctx context.Context, env *command.Env, opts *Options, a *auth.Auth, kt token.KeyType) bool {
	topts := a.Options
	topts.Type = kt
	if kt == token.Individual {
		topts.IssuerID = ""
	} else {
		topts.IssuerID, _ = token.ParseIssuerID(opts.Key.IssuerID)
	}
	alt, err := auth.WithOptions(env, a, topts)
	if err != nil {
		return false
	}
	// A quiet client: this attempt is a diagnosis, not the user's call.
	c, err := auth.NewClient(env, alt, opts.API, asc.WithRetryMax(1), asc.WithEvents(func(asc.Event) {}))
	if err != nil {
		return false
	}
	_, err = probe(ctx, c)
	return err == nil
}

func summary(v verdict) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	icon := map[string]string{StatusValid: "✅", StatusInvalid: "❌", StatusSkipped: "⏭️", StatusUnknown: "⚠️"}[v.status]
	b.Printf("### App Store Connect key check: %s %s\n\n| | |\n|---|---|\n", icon, v.status)
	b.Printf("| Reason | %s |\n", untrusted.Code(v.reason))
	if v.keyID != "" {
		b.Printf("| Key ID | %s (%s) |\n| Public key | %s |\n", untrusted.Code(v.keyID), v.keyType, untrusted.Code(v.fingerprint))
	}
	if v.rate.Known {
		b.Printf("| Rate limit | %d of %d left this hour |\n", v.rate.Remaining, v.rate.Limit)
	}
	if v.skew != 0 {
		b.Printf("| Clock skew | %v (server minus local) |\n", v.skew.Round(time.Second))
	}
	b.Printf("\n%s\n", v.message)
	return b.Markdown()
}
