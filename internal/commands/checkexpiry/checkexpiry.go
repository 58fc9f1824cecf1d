// Package checkexpiry is the `check-expiry` command: the scheduled audit of
// what expires around an App Store Connect pipeline (the API key, the age of
// the secret holding it, signing certificates, provisioning profiles, local
// .p12 and .mobileprovision files), reported as a job summary, annotations,
// the `report` and `expiring-count` outputs, an exit status by policy and,
// optionally, one tracking issue per repository.
package checkexpiry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v93/github"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/expiry"
	"github.com/asc-action/asc-action/internal/expiry/ghrepo"
	"github.com/asc-action/asc-action/internal/expiry/localfile"
	"github.com/asc-action/asc-action/internal/steps/auth"
	tok "github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Input names.
const (
	InWarnDays         = "warn-days"
	InFailDays         = "fail-days"
	InRotateDays       = "rotate-days"
	InCertificateTypes = "certificate-types"
	InProfileTypes     = "profile-types"
	InProfileName      = "profile-name"
	InP12Base64        = "p12-base64"
	InP12Password      = "p12-password"
	InMobileProvision  = "mobileprovision"
	InIPAPath          = "ipa-path"
	InGitHubToken      = "github-token"
	InGitHubRepository = "github-repository"
	InSecretName       = "secret-name"
	InIssueLabel       = "issue-label"
	InCreateIssue      = "create-issue"
	InAllowIncomplete  = "allow-incomplete"
)

// Output names.
const (
	OutReport        = "report"
	OutExpiringCount = "expiring-count"
)

// DefaultRotateDays is the rotation period the secret's age is held to.
const DefaultRotateDays = 90

// pageLimit is the page size asked of App Store Connect (Apple's maximum).
const pageLimit = 200

// Options are the check-expiry command's inputs.
type Options struct {
	Key              auth.Options
	API              auth.API
	WarnDays         int
	FailDays         int
	RotateDays       int
	CertificateTypes []string
	ProfileTypes     []string
	ProfileName      string
	P12Base64        string // as given, like the password
	P12Password      string
	MobileProvision  string
	IPAPath          string
	GitHubToken      string
	GitHubRepository string
	SecretName       string
	IssueLabel       string
	CreateIssue      bool
	// AllowIncomplete passes, with a warning, an audit that could not
	// check everything.
	AllowIncomplete bool
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), []command.Field{
		command.Int(&o.WarnDays, command.Input{Name: InWarnDays, Env: "ASC_WARN_DAYS", Default: strconv.Itoa(expiry.DefaultWarnDays), Usage: "warn about anything with fewer days left than this"}, 0, 3650),
		command.Int(&o.FailDays, command.Input{Name: InFailDays, Env: "ASC_FAIL_DAYS", Default: strconv.Itoa(expiry.DefaultFailDays), Usage: "fail the step when anything has fewer days left than this, or has expired"}, 0, 3650),
		command.Int(&o.RotateDays, command.Input{Name: InRotateDays, Env: "ASC_ROTATE_DAYS", Default: strconv.Itoa(DefaultRotateDays), Usage: "rotation period of the key: the secret named by secret-name is due this many days after its last update"}, 1, 3650),
		command.Lines(&o.CertificateTypes, command.Input{Name: InCertificateTypes, Env: "ASC_CERTIFICATE_TYPES", Usage: "audit only these certificate types, comma-separated (e.g. DISTRIBUTION,IOS_DISTRIBUTION); empty: all"}),
		command.Lines(&o.ProfileTypes, command.Input{Name: InProfileTypes, Env: "ASC_PROFILE_TYPES", Usage: "audit only these profile types, comma-separated (e.g. IOS_APP_STORE); empty: all"}),
		command.String(&o.ProfileName, command.Input{Name: InProfileName, Env: "ASC_PROFILE_NAME", Usage: "audit only profiles whose name contains this text"}),
		command.Text(&o.P12Base64, command.Input{Name: InP12Base64, Env: "ASC_P12_BASE64", Secret: true, Usage: "a .p12 signing certificate, base64, to check locally"}),
		command.Text(&o.P12Password, command.Input{Name: InP12Password, Env: "ASC_P12_PASSWORD", Secret: true, Usage: "the password of p12-base64"}),
		command.String(&o.MobileProvision, command.Input{Name: InMobileProvision, Env: "ASC_MOBILEPROVISION", Secret: true, Usage: "a .mobileprovision to check locally: a path or the file's base64"}),
		command.String(&o.IPAPath, command.Input{Name: InIPAPath, Env: "ASC_IPA_PATH", Usage: "an .ipa whose embedded provisioning profile to check"}),
		command.Text(&o.GitHubToken, command.Input{Name: InGitHubToken, Env: "GITHUB_TOKEN", ActionDefault: "${{ github.token }}", Secret: true, Usage: "GitHub token: reads the key secret's age (Secrets: read) and keeps the tracking issue (issues: write)"}),
		command.String(&o.GitHubRepository, command.Input{Name: InGitHubRepository, Env: "GITHUB_REPOSITORY", Usage: "owner/name of the repository holding the secret and the issue"}),
		command.String(&o.SecretName, command.Input{Name: InSecretName, Env: "ASC_SECRET_NAME", Usage: "name of the repository secret holding the .p8 key, whose age is checked against rotate-days (needs github-token)"}),
		command.String(&o.IssueLabel, command.Input{Name: InIssueLabel, Env: "ASC_ISSUE_LABEL", Default: ghrepo.DefaultLabel, Usage: "label of the tracking issue (created if missing)"}),
		command.Bool(&o.CreateIssue, command.Input{Name: InCreateIssue, Env: "ASC_CREATE_ISSUE", Usage: "open, update and close one tracking issue in github-repository (needs github-token with issues: write)"}),
		command.Bool(&o.AllowIncomplete, command.Input{Name: InAllowIncomplete, Env: "ASC_ALLOW_INCOMPLETE", Usage: "pass with a warning when something could not be checked (a list App Store Connect refused or failed to give, a file that could not be read); by default the audit is then incomplete and fails. For keys limited on purpose (an individual key cannot list certificates or profiles)"}),
	})
}

// Command returns the check-expiry command.
func Command() *command.Command {
	return command.New(command.Command{
		Name:    "check-expiry",
		Summary: "Audit the API key, certificates and profiles for expiry",
		Long: `Checks that the API key still authenticates, the age of the secret holding it,
every signing certificate and provisioning profile (all pages; team keys only), and
optionally a .p12, a .mobileprovision or the profile inside an .ipa. Prints the report
as JSON on stdout and the table on stderr. Exit status 1 when anything has expired or
has fewer than fail-days left, or when something could not be checked ("Expiry audit
incomplete: certificates could not be listed: ..."), unless allow-incomplete is set.`,
		Outputs: []command.Output{
			{Name: OutReport, Usage: "the audit as single-line JSON: thresholds, counts and every item with its days left and status"},
			{Name: OutExpiringCount, Usage: "how many items have expired or have fewer than warn-days left"},
		},
		Primary: OutReport,
	}, (*Options).fields, run)
}

// config is the command's Options with what is derived from them: the
// thresholds and filter the audit takes, the parsed repository and the
// trimmed token.
type config struct {
	*Options
	th      expiry.Thresholds
	filter  expiry.Filter
	ghToken string
	repo    ghrepo.Repo
	// rehearsal: api-url is `emulator`; nothing is sent to Apple or GitHub.
	rehearsal bool
	hasRepo   bool
}

// config checks what the edge could not check alone (thresholds against
// each other, the repository's form, create-issue's needs).
func (o *Options) config() (*config, error) {
	c := &config{
		Options: o,
		th:      expiry.Thresholds{WarnDays: o.WarnDays, FailDays: o.FailDays},
		filter: expiry.Filter{
			CertificateTypes: o.CertificateTypes,
			ProfileTypes:     o.ProfileTypes,
			ProfileName:      o.ProfileName,
		},
		ghToken: strings.TrimSpace(o.GitHubToken),
	}
	if err := c.th.Validate(); err != nil {
		return nil, command.Usagef("%v", err)
	}
	if r := o.GitHubRepository; r != "" {
		var err error
		if c.repo, err = ghrepo.ParseRepo(r); err != nil {
			return nil, command.Usagef("%v", err)
		}
		c.hasRepo = true
	}
	if c.CreateIssue && (c.ghToken == "" || !c.hasRepo) {
		return nil, command.Usagef("create-issue needs github-token and github-repository (owner/name); set both, or set create-issue: false")
	}
	return c, nil
}

func run(ctx context.Context, env *command.Env, opts *Options) error {
	// Mask what may be secret before anything is printed.
	env.Report.Mask(opts.P12Password, opts.GitHubToken)
	if strings.TrimSpace(opts.P12Base64) != "" {
		env.Report.Mask(opts.P12Base64)
	}
	c, err := opts.config()
	if err != nil {
		return err
	}
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return err
	}
	c.rehearsal = opts.API.Rehearsal() // before Rehearse points api-url at its emulator
	if err := auth.Rehearse(env, a, &opts.API); err != nil {
		return err
	}
	client, err := auth.NewClient(env, a, opts.API)
	if err != nil {
		return err
	}
	items := apiItems(ctx, env, client, a, c.filter)
	fileItems, inputErrs := localItems(c)
	items = append(items, fileItems...)
	gh, err := githubClient(env, c)
	if err != nil {
		return err
	}
	if c.rehearsal {
		// A rehearsal touches nothing real: no GitHub call either (a
		// check-expiry against the URL of a running `asc-action emulator`
		// is a real run and does keep the issue).
		gh = nil
	}
	if c.SecretName != "" {
		if c.rehearsal {
			env.Report.Notice("rehearsal", "rehearsal: the age of secret "+c.SecretName+" is not read from GitHub")
		} else if gh == nil {
			env.Report.Warning("secret-name", "the age of secret "+c.SecretName+" is not checked: it needs github-token and github-repository")
		} else {
			items = append(items, ghrepo.SecretAge(ctx, gh.c, c.repo, c.SecretName, c.RotateDays))
		}
	}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	r := expiry.NewReport(items, c.th, now())
	r.AllowIncomplete = c.AllowIncomplete
	return publish(ctx, env, c, gh, r, inputErrs)
}

// apiItems checks the key, then lists the certificates and profiles it may
// read; a refused key leaves those two as errors, unchecked.
func apiItems(ctx context.Context, env *command.Env, client *asc.Client, a *auth.Auth, filter expiry.Filter) []expiry.Item {
	key := checkKey(ctx, client, a.Options.KeyID)
	items := []expiry.Item{expiry.APIKeyItem(key)}
	if errors.Is(key.Err, asc.ErrAgreementMissing) {
		for _, k := range []expiry.Kind{expiry.KindCertificate, expiry.KindProfile} {
			items = append(items, expiry.Item{Kind: k, Name: string(k) + "s", Status: expiry.StatusError,
				Detail: string(k) + "s not checked: the account is blocked until the Account Holder accepts the agreement (see the API key's line)"})
		}
		return items
	}
	if !key.Authenticated && key.Err == nil {
		for _, k := range []expiry.Kind{expiry.KindCertificate, expiry.KindProfile} {
			items = append(items, expiry.Item{Kind: k, Name: string(k) + "s", Status: expiry.StatusError,
				Detail: string(k) + "s not checked: App Store Connect refused the API key"})
		}
		return items
	}
	col := expiry.Collector{Filter: filter, Notef: func(format string, args ...any) {
		env.Report.Warning("filter", fmt.Sprintf(format, args...))
	}}
	if a.Options.Type == tok.Individual {
		col.Certificates = expiry.CertificateListerFunc(func(context.Context) ([]expiry.Certificate, error) { return nil, expiry.ErrIndividualKey })
		col.Profiles = expiry.ProfileListerFunc(func(context.Context) ([]expiry.Profile, error) { return nil, expiry.ErrIndividualKey })
	} else {
		col.Certificates = certificateLister{client}
		col.Profiles = profileLister{client}
	}
	got, err := col.Collect(ctx)
	if err != nil {
		env.Report.Infof("%v", err)
	}
	return append(items, got...)
}

// localItems checks the files named in inputs. A bad one is an error item
// and an error returned, which fails the step: the workflow asked for a
// check that could not be made.
func localItems(c *config) (items []expiry.Item, inputErrs []error) {
	checks := []struct {
		kind  expiry.Kind
		input string
		given bool
		read  func() ([]expiry.Item, error)
	}{
		{expiry.KindP12, InP12Base64, strings.TrimSpace(c.P12Base64) != "", func() ([]expiry.Item, error) {
			return itemsOf(localfile.ReadP12Base64(c.P12Base64, c.P12Password))
		}},
		{expiry.KindMobileProvision, InMobileProvision, c.MobileProvision != "", func() ([]expiry.Item, error) {
			return itemsOf(localfile.ReadMobileProvision(c.MobileProvision))
		}},
		{expiry.KindMobileProvision, InIPAPath, c.IPAPath != "", func() ([]expiry.Item, error) {
			return itemsOf(localfile.ReadIPAProfile(c.IPAPath))
		}},
	}
	for _, ch := range checks {
		if !ch.given {
			continue
		}
		got, err := ch.read()
		if err != nil {
			inputErrs = append(inputErrs, err)
			items = append(items, expiry.ErrorItem(ch.kind, ch.input, err))
			continue
		}
		items = append(items, got...)
	}
	return items, inputErrs
}

// itemsOf returns the items of a local file that was read, or why it could
// not be.
func itemsOf[F interface{ Items() []expiry.Item }](f F, err error) ([]expiry.Item, error) {
	if err != nil {
		return nil, err
	}
	return f.Items(), nil
}

// githubClient is the GitHub client for the secret's age and the issue,
// or nil without a token and a repository.
func githubClient(env *command.Env, c *config) (*ghClient, error) {
	if c.ghToken == "" || !c.hasRepo {
		return nil, nil
	}
	g, err := ghrepo.NewClient(c.ghToken, githubAPIURL(env), env.HTTP)
	if err != nil {
		return nil, command.Usagef("%v", err)
	}
	return &ghClient{g}, nil
}

type ghClient struct{ c *github.Client }

func publish(ctx context.Context, env *command.Env, c *config, gh *ghClient, r *expiry.Report, inputErrs []error) error {
	js, err := r.JSON()
	if err != nil {
		return err
	}
	if err := env.Report.SetOutput(OutReport, js); err != nil {
		return err
	}
	if err := env.Report.SetOutput(OutExpiringCount, strconv.Itoa(r.ExpiringCount())); err != nil {
		return err
	}
	end := env.Report.Group(fmt.Sprintf("Expiry audit: %d item(s), %d expiring", len(r.Items), r.ExpiringCount()))
	for _, it := range r.Items {
		days := "-"
		if it.DaysLeft != nil {
			days = strconv.Itoa(*it.DaysLeft)
		}
		line := fmt.Sprintf("%-8s %6s days  %s %s", it.Status, days, it.Kind, it.Name)
		if it.Detail != "" {
			line += ": " + it.Detail
		}
		env.Report.Infof("%s", line)
	}
	end()
	annotate(env.Report, r.Annotations())
	env.Report.Summary(r.Markdown())

	var issueErr error
	if c.rehearsal {
		rehearsalSummary(env, c, r)
	} else if c.CreateIssue {
		res, err := ghrepo.SyncIssue(ctx, gh.c, ghrepo.IssueOptions{Repo: c.repo, Label: c.IssueLabel}, r)
		if err != nil {
			issueErr = err
			env.Report.Error("tracking issue", err.Error())
		} else if res.Action == ghrepo.IssueNone {
			env.Report.Infof("Tracking issue: nothing is expiring and no issue is open.")
		} else {
			env.Report.Infof("Tracking issue #%d %s: %s", res.Number, res.Action, res.URL)
		}
	}

	headline := r.Headline()
	env.Report.Infof("%s.", headline)
	if r.Incomplete() {
		if r.AllowIncomplete {
			if !r.ShouldFail() {
				headline += " (passed anyway: allow-incomplete is set)"
			}
			env.Report.Warning("expiry audit incomplete", headline)
		} else {
			env.Report.Error("expiry audit incomplete", headline+". Fix what is named, or set allow-incomplete: true for a key limited on purpose.")
		}
	}
	var fails []error
	if r.ShouldFail() {
		// An unreadable file made the audit incomplete; with
		// allow-incomplete it is a warning like any other gap.
		fails = append(fails, errors.New(headline))
		fails = append(fails, inputErrs...)
	}
	if issueErr != nil {
		fails = append(fails, issueErr)
	}
	if len(fails) == 0 {
		return nil
	}
	// Everything above was already annotated; only the exit status remains.
	return &command.Reported{Err: errors.Join(fails...)}
}

// MaxAnnotations is how many annotations of one level a step gets: GitHub
// shows at most 10 errors and 10 warnings per step, so past 9 the rest are
// counted in one last annotation pointing at the job summary.
const MaxAnnotations = 10

func annotate(rep command.Reporter, anns []expiry.Annotation) {
	emit := map[string]func(title, msg string){expiry.LevelError: rep.Error, expiry.LevelWarning: rep.Warning}
	count := map[string]int{}
	for _, an := range anns {
		count[an.Level]++
	}
	shown := map[string]int{}
	for _, an := range anns {
		if count[an.Level] > MaxAnnotations && shown[an.Level] == MaxAnnotations-1 {
			continue
		}
		emit[an.Level](an.Title, an.Message)
		shown[an.Level]++
	}
	for _, level := range []string{expiry.LevelError, expiry.LevelWarning} {
		if more := count[level] - shown[level]; more > 0 {
			emit[level]("expiry audit", fmt.Sprintf("%d more item(s) at this level; the job summary and the report output list them all", more))
		}
	}
}

// rehearsalSummary says, in the log and the job summary, that the audit was
// a rehearsal, and what a real run would have done with the tracking issue.
func rehearsalSummary(env *command.Env, c *config, r *expiry.Report) {
	var mb untrusted.MarkdownBuilder
	mb.Printf("\n**Rehearsal**: this audit ran against the built-in App Store Connect emulator (api-url `emulator`); its certificates and profiles are the emulator's, and nothing was sent to Apple or GitHub.\n")
	if c.CreateIssue {
		what := "close the open tracking issue, if any"
		if r.ExpiringCount() > 0 {
			what = fmt.Sprintf("open or update one tracking issue listing %d item(s)", r.ExpiringCount())
		}
		msg := fmt.Sprintf("rehearsal: create-issue is set, but a rehearsal leaves GitHub alone; a real run would %s in %s (label %s)", what, c.repo, c.IssueLabel)
		env.Report.Notice("rehearsal", msg)
		mb.Printf("\nA real run would %s in %s (label %s).\n", what, untrusted.Code(c.repo.String()), untrusted.Code(c.IssueLabel))
	}
	env.Report.Summary(mb.Markdown())
}

// githubAPIURL is GITHUB_API_URL (set on GitHub Enterprise runners).
func githubAPIURL(env *command.Env) string {
	if env.Getenv != nil {
		return env.Getenv("GITHUB_API_URL")
	}
	return ""
}

// checkKey makes one cheap request any key may make and reads the answer:
// a 401 means the key is refused (revoked, or IDs that do not match it).
func checkKey(ctx context.Context, c *asc.Client, keyID string) expiry.KeyCheck {
	k := expiry.KeyCheck{KeyID: keyID}
	req, err := c.NewRequest(http.MethodGet, "v1/apps?limit=1", nil)
	if err != nil {
		k.Err = err
		return k
	}
	_, err = c.Do(ctx, req, nil)
	switch {
	case errors.Is(err, asc.ErrAgreementMissing):
		k.Err = auth.ExplainAgreement("check-expiry", "Certificates and profiles could not be audited; the local files given were.", err)
	case err == nil, errors.Is(err, asc.ErrForbidden):
		// A 403 is a role without access to apps: the key itself authenticated.
		k.Authenticated = true
	case errors.Is(err, asc.ErrUnauthorized):
	default:
		k.Err = err
	}
	return k
}

// certificateLister adapts the App Store Connect client to the audit. The
// type filter is applied by the Collector, not sent to Apple, which refuses
// an unknown type with a 400 where a typo should simply match nothing.
type certificateLister struct{ c *asc.Client }

func (l certificateLister) ListCertificates(ctx context.Context) ([]expiry.Certificate, error) {
	certs, _, err := l.c.ListCertificates(ctx, &asc.ListCertificatesOptions{ListOptions: asc.ListOptions{Limit: pageLimit}, Fields: asc.CertificateSummaryFields})
	return convert(certs, err, func(c asc.Certificate) expiry.Certificate {
		name := c.Attributes.Name
		if name == "" {
			name = c.Attributes.DisplayName
		}
		return expiry.Certificate{ID: c.ID, Type: c.Attributes.CertificateType, Name: name,
			SerialNumber: c.Attributes.SerialNumber, ExpirationDate: c.Attributes.ExpirationDate.Time}
	})
}

// profileLister adapts the App Store Connect client to the audit.
type profileLister struct{ c *asc.Client }

func (l profileLister) ListProfiles(ctx context.Context) ([]expiry.Profile, error) {
	profs, _, err := l.c.ListProfiles(ctx, &asc.ListProfilesOptions{ListOptions: asc.ListOptions{Limit: pageLimit}, Fields: asc.ProfileSummaryFields})
	return convert(profs, err, func(p asc.Profile) expiry.Profile {
		return expiry.Profile{ID: p.ID, Name: p.Attributes.Name, Type: p.Attributes.ProfileType,
			State: p.Attributes.ProfileState, UUID: p.Attributes.UUID, ExpirationDate: p.Attributes.ExpirationDate.Time}
	})
}

// convert turns what App Store Connect listed into what the audit reads,
// or says which role a refused list needs.
func convert[A, E any](listed []A, err error, conv func(A) E) ([]E, error) {
	if err != nil {
		return nil, roleError(err)
	}
	out := make([]E, 0, len(listed))
	for _, a := range listed {
		out = append(out, conv(a))
	}
	return out, nil
}

func roleError(err error) error {
	if errors.Is(err, asc.ErrForbidden) && !errors.Is(err, asc.ErrAgreementMissing) {
		return fmt.Errorf("the key's role cannot read provisioning resources; give it the Admin, App Manager or Developer role: %w", err)
	}
	return err
}
