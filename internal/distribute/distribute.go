// Package distribute hands a processed build to its testers on TestFlight:
// it sends the export-compliance answer, sets the "What to Test" notes, adds
// the build to beta groups and submits it to beta app review.
//
// Every step reads before it writes, so running the same distribution twice
// (a re-run job) changes nothing the second time and succeeds. The package
// prints nothing: it reports through an Event callback and its Result.
package distribute

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/asc-action/asc-action/internal/asc"
)

// DefaultLocale is the locale of the "What to Test" notes when none is given.
const DefaultLocale = "en-US"

// MaxWhatsNew is the longest "What to Test" text App Store Connect accepts,
// in characters.
const MaxWhatsNew = 4000

// Config is one distribution, built and validated at the edge.
type Config struct {
	// BuildID is the App Store Connect ID of the build (required).
	BuildID string
	// Groups are beta group names or IDs; the build is added to each.
	Groups []string
	// WhatsNew is the "What to Test" text; empty leaves the notes alone.
	WhatsNew string
	// Locale is the notes' locale (DefaultLocale when empty).
	Locale string
	// UsesNonExemptEncryption, when set, is sent as the build's
	// export-compliance answer.
	UsesNonExemptEncryption *bool
	// SubmitBetaReview submits the build to beta app review when an
	// external group is among Groups.
	SubmitBetaReview bool
}

var localeRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// Validate checks the configuration and fills defaults; the build ID may
// still be empty (the build is often found later), Run requires it. Its
// errors name the input to fix.
func (c *Config) Validate() error {
	c.BuildID = strings.TrimSpace(c.BuildID)
	if c.Locale = strings.TrimSpace(c.Locale); c.Locale == "" {
		c.Locale = DefaultLocale
	}
	if !localeRE.MatchString(c.Locale) {
		return fmt.Errorf("%w: whats-new-locale %q is not a locale such as en-US, fr-FR or ja", ErrConfig, c.Locale)
	}
	c.WhatsNew = normalizeText(c.WhatsNew)
	if n := utf8.RuneCountInString(c.WhatsNew); n > MaxWhatsNew {
		return fmt.Errorf("%w: whats-new is %d characters long; App Store Connect accepts at most %d", ErrConfig, n, MaxWhatsNew)
	}
	var groups []string
	for _, g := range c.Groups {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	c.Groups = groups
	return nil
}

// Empty reports whether the configuration asks for nothing to be done.
func (c *Config) Empty() bool {
	return len(c.Groups) == 0 && c.WhatsNew == "" && c.UsesNonExemptEncryption == nil && !c.SubmitBetaReview
}

// normalizeText makes notes comparable: LF line ends, no trailing blanks.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, " \t\n")
}

// Errors, matched with errors.Is.
var (
	// ErrConfig is a bad input.
	ErrConfig = errors.New("invalid distribution settings")
	// ErrUnknownGroup: a group name or ID matches no beta group of the app
	// (the error is an *UnknownGroupError listing the groups that exist).
	ErrUnknownGroup = errors.New("unknown TestFlight group")
	// ErrBuildNotValid: the build has not finished processing as VALID.
	ErrBuildNotValid = errors.New("build is not VALID")
	// ErrNotPermitted: the API key's role may not manage TestFlight (403).
	ErrNotPermitted = errors.New("the API key may not manage TestFlight")
)

// UnknownGroupError names the groups that were asked for and do not exist,
// and lists those that do.
type UnknownGroupError struct {
	AppID     string
	Unknown   []string
	Ambiguous []string
	Available []asc.BetaGroup
}

// Error says which names are unknown and what the choices are.
func (e *UnknownGroupError) Error() string {
	var b strings.Builder
	b.WriteString("testflight-groups: ")
	if len(e.Unknown) > 0 {
		fmt.Fprintf(&b, "no beta group %s in app %s", quoteList(e.Unknown), e.AppID)
	}
	if len(e.Ambiguous) > 0 {
		if len(e.Unknown) > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s names more than one group; give the group's ID instead", quoteList(e.Ambiguous))
	}
	if len(e.Available) == 0 {
		b.WriteString("; the app has no beta groups yet: create one in App Store Connect > TestFlight")
		return b.String()
	}
	b.WriteString(". The groups that exist are: ")
	for i, g := range e.Available {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q (%s, id %s)", g.Attributes.Name, kind(g), g.ID)
	}
	b.WriteString(". Give names or IDs, one per line")
	return b.String()
}

// Is makes errors.Is(err, ErrUnknownGroup) true.
func (e *UnknownGroupError) Is(target error) bool { return target == ErrUnknownGroup }

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// BuildStateError is a build whose processing did not end VALID.
type BuildStateError struct {
	BuildID, Version, State string
}

// Error says what happened to the build and what to do.
func (e *BuildStateError) Error() string {
	what := "has not finished processing"
	switch e.State {
	case asc.ProcessingStateInvalid:
		what = "was processed as INVALID: App Store Connect refused the binary (see the email Apple sent, or the build in App Store Connect > TestFlight); fix it and upload a new build number"
	case asc.ProcessingStateFailed:
		what = "FAILED processing at App Store Connect; upload it again with a new build number"
	}
	v := ""
	if e.Version != "" {
		v = " (build number " + e.Version + ")"
	}
	return fmt.Sprintf("build %s%s %s", e.BuildID, v, what)
}

// Is makes errors.Is(err, ErrBuildNotValid) true.
func (e *BuildStateError) Is(target error) bool { return target == ErrBuildNotValid }

// Steps, as Events name them.
const (
	StepBuild      = "build"
	StepCompliance = "export-compliance"
	StepNotes      = "whats-new"
	StepGroups     = "testflight-groups"
	StepReview     = "beta-review"
)

// Event tells what a step found or did. Changed is false when the step found
// everything as asked and sent nothing.
type Event struct {
	Step    string
	Changed bool
	Message string
}

// Group is one requested beta group and what happened to it.
type Group struct {
	ID       string
	Name     string
	Internal bool
	// Requested is the name or ID as given.
	Requested string
	// Added is true when this run added the build; false when it was in
	// the group already.
	Added bool
}

// Notes is what became of the "What to Test" text.
type Notes struct {
	Locale, Text string
	// Action is "created", "updated" or "unchanged".
	Action string
}

// Result is what the distribution did and found.
type Result struct {
	BuildID      string
	BuildVersion string
	AppID        string
	// Groups are the requested groups, in the order given, the build being
	// in each of them once Run returns.
	Groups []Group
	// Notes is nil when no "What to Test" text was given.
	Notes *Notes
	// Compliance is "sent", "unchanged" or "" (not asked), and
	// UsesNonExemptEncryption the answer asked for.
	Compliance              string
	UsesNonExemptEncryption *bool
	// BetaReviewState is the submission's state (WAITING_FOR_REVIEW, ...),
	// or "" when no review was asked for or none was needed.
	BetaReviewState string
	// BetaReviewSubmitted is true when this run created the submission.
	BetaReviewSubmitted bool
	// Changes counts the requests that changed something in App Store Connect.
	Changes int
}

// Added returns the groups this run added the build to.
func (r *Result) Added() []Group {
	var out []Group
	for _, g := range r.Groups {
		if g.Added {
			out = append(out, g)
		}
	}
	return out
}

// GroupNames returns the names of the requested groups (the build is in
// all of them once Run has succeeded).
func (r *Result) GroupNames() []string {
	out := make([]string, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = g.Name
	}
	return out
}

func kind(g asc.BetaGroup) string {
	if g.Attributes.IsInternalGroup {
		return "internal"
	}
	return "external"
}

// Run distributes the build cfg.BuildID of app appID (read from the build
// when empty): export compliance, notes, groups, beta review, in that order
// (Apple wants the compliance answer before testers can get a build). Each
// step is skipped when App Store Connect already holds what it would write.
// The build must be VALID (see Wait). report, if not nil, hears each step.
func Run(ctx context.Context, client *asc.Client, appID string, cfg Config, report func(Event)) (Result, error) {
	if report == nil {
		report = func(Event) {}
	}
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.BuildID == "" {
		return Result{}, fmt.Errorf("%w: build-id: no build to distribute; give build-id, or app-id and build-version", ErrConfig)
	}
	d := &distribution{client: client, cfg: cfg, report: report, res: Result{BuildID: cfg.BuildID, AppID: appID}}
	build, err := d.readBuild(ctx)
	if err != nil {
		return d.res, err
	}
	// Resolve the groups first, so that an unknown name stops the run
	// before anything is changed.
	groups, err := d.resolveGroups(ctx)
	if err != nil {
		return d.res, err
	}
	for _, step := range []func() error{
		func() error { return d.compliance(ctx, build) },
		func() error { return d.notes(ctx) },
		func() error { return d.groups(ctx, groups) },
		func() error { return d.review(ctx, groups) },
	} {
		if err := step(); err != nil {
			return d.res, err
		}
	}
	return d.res, nil
}

// distribution is one Run: its inputs and the result so far.
type distribution struct {
	client *asc.Client
	cfg    Config
	report func(Event)
	res    Result
}

// readBuild reads the build, which must have processed, and its app.
func (d *distribution) readBuild(ctx context.Context) (*asc.Build, error) {
	build, _, err := d.client.GetBuild(ctx, d.cfg.BuildID)
	if err != nil {
		return nil, explain(StepBuild, "reading build "+d.cfg.BuildID, err)
	}
	d.res.BuildVersion = build.Attributes.Version
	if st := build.Attributes.ProcessingState; st != asc.ProcessingStateValid {
		return nil, &BuildStateError{BuildID: build.ID, Version: build.Attributes.Version, State: st}
	}
	if d.res.AppID == "" && build.Relationships != nil {
		d.res.AppID = build.Relationships.App.ID()
	}
	if d.res.AppID == "" && len(d.cfg.Groups) > 0 {
		app, _, err := d.client.GetBuildApp(ctx, d.cfg.BuildID)
		if err != nil {
			return nil, explain(StepBuild, "reading the app of build "+d.cfg.BuildID, err)
		}
		d.res.AppID = app.ID
	}
	return build, nil
}

// resolveGroups finds the app's groups the configuration names.
func (d *distribution) resolveGroups(ctx context.Context) ([]resolved, error) {
	if len(d.cfg.Groups) == 0 {
		return nil, nil
	}
	all, _, err := d.client.ListBetaGroups(ctx, &asc.ListBetaGroupsOptions{AppID: []string{d.res.AppID}, ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		return nil, explain(StepGroups, "listing the app's beta groups", err)
	}
	return resolveGroups(d.res.AppID, d.cfg.Groups, all)
}

// compliance sends the export-compliance answer unless the build holds it.
func (d *distribution) compliance(ctx context.Context, build *asc.Build) error {
	if d.cfg.UsesNonExemptEncryption == nil {
		return nil
	}
	want := *d.cfg.UsesNonExemptEncryption
	d.res.UsesNonExemptEncryption = &want
	if have := build.Attributes.UsesNonExemptEncryption; have != nil && *have == want {
		d.res.Compliance = "unchanged"
		d.report(Event{Step: StepCompliance, Message: fmt.Sprintf("export compliance already answered: usesNonExemptEncryption=%t", want)})
		return nil
	}
	if _, _, err := d.client.UpdateBuild(ctx, d.cfg.BuildID, asc.BuildUpdate{UsesNonExemptEncryption: &want}); err != nil {
		return explain(StepCompliance, "sending the export-compliance answer", err)
	}
	d.res.Compliance = "sent"
	d.res.Changes++
	d.report(Event{Step: StepCompliance, Changed: true, Message: fmt.Sprintf("export compliance answered: usesNonExemptEncryption=%t", want)})
	return nil
}

// notes creates or updates the "What to Test" notes.
func (d *distribution) notes(ctx context.Context) error {
	if d.cfg.WhatsNew == "" {
		return nil
	}
	n, changed, err := setNotes(ctx, d.client, d.cfg)
	if err != nil {
		return err
	}
	d.res.Notes = n
	if changed {
		d.res.Changes++
		d.report(Event{Step: StepNotes, Changed: true, Message: fmt.Sprintf("%s the %s \"What to Test\" notes", n.Action, n.Locale)})
	} else {
		d.report(Event{Step: StepNotes, Message: fmt.Sprintf("the %s \"What to Test\" notes are already as given", n.Locale)})
	}
	return nil
}

// groups adds the build to the groups it is not in yet.
func (d *distribution) groups(ctx context.Context, groups []resolved) error {
	if len(groups) == 0 {
		return nil
	}
	added, err := addToGroups(ctx, d.client, d.res.AppID, d.cfg, groups, d.report)
	if err != nil {
		return err
	}
	d.res.Groups = added
	if slices.ContainsFunc(added, func(g Group) bool { return g.Added }) {
		d.res.Changes++
	}
	return nil
}

// review submits the build to beta app review when an external group is
// among the groups and it was not submitted yet.
func (d *distribution) review(ctx context.Context, groups []resolved) error {
	if !d.cfg.SubmitBetaReview {
		return nil
	}
	if !slices.ContainsFunc(groups, func(r resolved) bool { return !r.g.Attributes.IsInternalGroup }) {
		d.report(Event{Step: StepReview, Message: "no external group among testflight-groups: internal testers need no beta app review, so none was submitted"})
		return nil
	}
	state, submitted, err := submitReview(ctx, d.client, d.cfg.BuildID)
	if err != nil {
		return err
	}
	d.res.BetaReviewState, d.res.BetaReviewSubmitted = state, submitted
	if submitted {
		d.res.Changes++
		d.report(Event{Step: StepReview, Changed: true, Message: "submitted for beta app review: " + state})
	} else {
		d.report(Event{Step: StepReview, Message: "already submitted for beta app review: " + state})
	}
	return nil
}

// resolveGroups matches each requested entry against the app's groups: by
// ID, then by exact name, then by name ignoring case when that is unique.
func resolveGroups(appID string, want []string, all []asc.BetaGroup) ([]resolved, error) {
	var out []resolved
	var unknown, ambiguous []string
	for _, w := range want {
		hit := MatchGroup(w, all)
		switch len(hit) {
		case 0:
			unknown = append(unknown, w)
		case 1:
			out = append(out, resolved{hit[0], w})
		default:
			ambiguous = append(ambiguous, w)
		}
	}
	if len(unknown) > 0 || len(ambiguous) > 0 {
		return nil, &UnknownGroupError{AppID: appID, Unknown: unknown, Ambiguous: ambiguous, Available: all}
	}
	// Two entries (a name and an ID) may name the same group.
	var dedup []resolved
	for _, r := range out {
		if !slices.ContainsFunc(dedup, func(d resolved) bool { return d.g.ID == r.g.ID }) {
			dedup = append(dedup, r)
		}
	}
	return dedup, nil
}

// MatchGroup returns the groups of all that the testflight-groups entry w
// names: the group with that ID, else those with that exact name, else
// those with that name ignoring case. One group is a match; none or
// several are not.
func MatchGroup(w string, all []asc.BetaGroup) []asc.BetaGroup {
	for _, g := range all {
		if g.ID == w {
			return []asc.BetaGroup{g}
		}
	}
	var hit []asc.BetaGroup
	for _, g := range all {
		if g.Attributes.Name == w {
			hit = append(hit, g)
		}
	}
	if len(hit) > 0 {
		return hit
	}
	for _, g := range all {
		if strings.EqualFold(g.Attributes.Name, w) {
			hit = append(hit, g)
		}
	}
	return hit
}

// resolved is a beta group with the entry that named it.
type resolved struct {
	g         asc.BetaGroup
	requested string
}

func addToGroups(ctx context.Context, client *asc.Client, appID string, cfg Config, groups []resolved, report func(Event)) ([]Group, error) {
	in, _, err := client.ListBetaGroups(ctx, &asc.ListBetaGroupsOptions{AppID: []string{appID}, BuildID: []string{cfg.BuildID}, ListOptions: asc.ListOptions{Limit: 200}})
	if err != nil {
		return nil, explain(StepGroups, "listing the groups build "+cfg.BuildID+" is in", err)
	}
	member := map[string]bool{}
	for _, g := range in {
		member[g.ID] = true
	}
	var out []Group
	var missing []string
	for _, rg := range groups {
		g := rg.g
		r := Group{ID: g.ID, Name: g.Attributes.Name, Internal: g.Attributes.IsInternalGroup, Requested: rg.requested}
		switch {
		case member[g.ID]:
			report(Event{Step: StepGroups, Message: fmt.Sprintf("build is already in %q (%s)", r.Name, kind(g))})
		case g.Attributes.HasAccessToAllBuilds:
			report(Event{Step: StepGroups, Message: fmt.Sprintf("%q (%s) gets every build automatically", r.Name, kind(g))})
		default:
			r.Added = true
			missing = append(missing, g.ID)
		}
		out = append(out, r)
	}
	if len(missing) == 0 {
		return out, nil
	}
	if _, err := client.AddBuildToBetaGroups(ctx, cfg.BuildID, missing...); err != nil {
		return nil, explain(StepGroups, "adding build "+cfg.BuildID+" to "+strings.Join(missing, ", "), err)
	}
	for i, g := range out {
		if g.Added {
			report(Event{Step: StepGroups, Changed: true, Message: fmt.Sprintf("added the build to %q (%s)", g.Name, kind(groups[i].g))})
		}
	}
	return out, nil
}

func setNotes(ctx context.Context, client *asc.Client, cfg Config) (*Notes, bool, error) {
	n := &Notes{Locale: cfg.Locale, Text: cfg.WhatsNew}
	locs, _, err := client.ListBuildBetaBuildLocalizations(ctx, cfg.BuildID)
	if err != nil {
		return nil, false, explain(StepNotes, "reading the build's beta localizations", err)
	}
	for _, l := range locs {
		if !strings.EqualFold(l.Attributes.Locale, cfg.Locale) {
			continue
		}
		if normalizeText(l.Attributes.WhatsNew) == cfg.WhatsNew {
			n.Action = "unchanged"
			return n, false, nil
		}
		if _, _, err := client.UpdateBetaBuildLocalization(ctx, l.ID, cfg.WhatsNew); err != nil {
			return nil, false, explain(StepNotes, "updating the "+cfg.Locale+" notes", err)
		}
		n.Action = "updated"
		return n, true, nil
	}
	if _, _, err := client.CreateBetaBuildLocalization(ctx, cfg.BuildID, cfg.Locale, cfg.WhatsNew); err != nil {
		return nil, false, explain(StepNotes, "creating the "+cfg.Locale+" notes", err)
	}
	n.Action = "created"
	return n, true, nil
}

func submitReview(ctx context.Context, client *asc.Client, buildID string) (string, bool, error) {
	subs, _, err := client.ListBetaAppReviewSubmissions(ctx, &asc.ListBetaAppReviewSubmissionsOptions{BuildID: []string{buildID}})
	if err != nil {
		return "", false, explain(StepReview, "reading the build's beta review submission", err)
	}
	if len(subs) > 0 {
		return subs[0].Attributes.BetaReviewState, false, nil
	}
	s, _, err := client.CreateBetaAppReviewSubmission(ctx, buildID)
	if err != nil {
		return "", false, explain(StepReview, "submitting the build for beta app review", err)
	}
	state := s.Attributes.BetaReviewState
	if state == "" {
		state = asc.BetaReviewStateWaitingForReview
	}
	return state, true, nil
}

// explain adds the step and, for a 403 of the key's role, what to do about
// it (a 403 for a missing agreement is no matter of roles). The cause stays
// reachable with errors.Is / errors.As.
func explain(step, doing string, err error) error {
	if errors.Is(err, asc.ErrForbidden) && !errors.Is(err, asc.ErrAgreementMissing) {
		return fmt.Errorf("%s: %s: %w: give the key the Admin or App Manager role (App Store Connect > Users and Access > Integrations), or use a key that has it: %w", step, doing, ErrNotPermitted, err)
	}
	return fmt.Errorf("%s: %s: %w", step, doing, err)
}
