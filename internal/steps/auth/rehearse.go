package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/token"
)

// RehearseURL is the api-url value that runs a command against an
// in-process App Store Connect emulator instead of Apple: a rehearsal of
// the real step, with the real key and file, that touches nothing outside
// the runner.
const RehearseURL = "emulator"

// Rehearsal reports whether api-url asks for a rehearsal.
func (a API) Rehearsal() bool {
	return strings.EqualFold(a.URL, RehearseURL)
}

// Stage is what a rehearsal's emulator holds besides the demo account: an
// app for each bundle ID (with the demo app's beta groups), and the beta
// groups a step names, in every app, so that the rehearsal of a real
// release finds them as it would in the user's account.
type Stage struct {
	BundleIDs []string
	Groups    []string // names or IDs; an ID of an existing group is left alone
}

// app is the ID of the step's app in data: the app of the first bundle ID
// given, else the demo app.
func (s Stage) app(data *emulator.Data) string {
	for _, b := range s.BundleIDs {
		for _, a := range data.Apps {
			if b != "" && a.BundleID == b {
				return a.ID
			}
		}
	}
	return data.Apps[0].ID
}

// Rehearse is RehearseWith for an app for each of bundleIDs.
func Rehearse(env *command.Env, a *Auth, api *API, bundleIDs ...string) error {
	return RehearseWith(env, a, api, Stage{BundleIDs: bundleIDs})
}

// RehearseWith is the step that starts a rehearsal when api-url asks for
// one, and does nothing otherwise. The emulator it starts accepts a's key
// (its public half, Key ID, Issuer ID and type), holds RehearsalData, and
// processes uploads in seconds; api.URL is pointed at it, and it stops
// when the command is over (env.Close).
func RehearseWith(env *command.Env, a *Auth, api *API, stage Stage) error {
	if !api.Rehearsal() {
		return nil
	}
	data := RehearsalData(env.Now(), stage)
	if err := rehearsalBlockers(env, data, stage.app(data)); err != nil {
		return err
	}
	srv := emulator.New(emulator.Config{
		Keys: []emulator.Key{{
			ID: a.Options.KeyID, IssuerID: a.Options.IssuerID, Individual: a.Options.Type == token.Individual,
			Public: a.Key.Public(),
		}},
		Data:                  data,
		UploadProcessingDelay: 2 * time.Second,
		BuildProcessingDelay:  3 * time.Second,
	})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the emulator for the rehearsal: %w", err)
	}
	env.OnClose(func() { _ = srv.Close() })
	api.URL = url
	env.Report.Notice("rehearsal", "rehearsal: api-url is `emulator`: this step runs against the built-in App Store Connect emulator at "+url+"; nothing is sent to Apple.")
	return nil
}

// rehearsalBlockers applies the blockers the emulator command's variables
// ask for (ASC_EMULATOR_AGREEMENT, ASC_EMULATOR_PROCESSING,
// ASC_EMULATOR_MISSING, ASC_EMULATOR_UPLOADS_IN_FLIGHT; uploads in flight
// are the step's app's), so a rehearsal shows the messages a blocked
// release gets.
func rehearsalBlockers(env *command.Env, data *emulator.Data, stepApp string) error {
	if env.Getenv == nil {
		return nil
	}
	vars := []string{emulator.EnvAgreement, emulator.EnvProcessing, emulator.EnvMissing, emulator.EnvUploadsInFlight}
	var set []string
	for _, name := range vars {
		if v := env.Getenv(name); v != "" {
			set = append(set, fmt.Sprintf("%s=%q", name, v))
		}
	}
	if err := data.OverrideBlockers(env.Getenv(emulator.EnvAgreement), env.Getenv(emulator.EnvProcessing)); err != nil {
		return command.Usagef("%s / %s: %v", emulator.EnvAgreement, emulator.EnvProcessing, err)
	}
	if err := data.WithoutBetaAppInfo(env.Getenv(emulator.EnvMissing)); err != nil {
		return command.Usagef("%s: %v", emulator.EnvMissing, err)
	}
	if err := data.AddUploadsInFlightFor(stepApp, env.Getenv(emulator.EnvUploadsInFlight), env.Now()); err != nil {
		return command.Usagef("%s: %v", emulator.EnvUploadsInFlight, err)
	}
	if len(set) > 0 {
		env.Report.Notice("rehearsal", "rehearsal: the emulator plays Apple-side blockers: "+strings.Join(set, " "))
	}
	return nil
}

// RehearsalData is the account a rehearsal runs against: the emulator's
// demo account (every date relative to now) without what has already
// expired, so that a rehearsed audit with the usual thresholds passes
// and still warns of what expires soon; plus stage's apps and groups.
func RehearsalData(now time.Time, stage Stage) *emulator.Data {
	data := emulator.DefaultData(now)
	data.Certificates = slices.DeleteFunc(data.Certificates, func(c emulator.Certificate) bool { return !c.ExpirationDate.After(now) })
	data.Profiles = slices.DeleteFunc(data.Profiles, func(p emulator.Profile) bool { return !p.ExpirationDate.After(now) })
	demoGroups := slices.Clone(data.BetaGroups)
	for i, b := range stage.BundleIDs {
		if b == "" || b == emulator.DemoBundleID || slices.ContainsFunc(data.Apps, func(a emulator.App) bool { return a.BundleID == b }) {
			continue
		}
		app := emulator.App{ID: fmt.Sprintf("%d", 2000000001+i), BundleID: b, Name: b, SKU: strings.ToUpper(strings.ReplaceAll(b, ".", "_")), PrimaryLocale: "en-US"}
		data.Apps = append(data.Apps, app)
		for _, g := range demoGroups {
			g.ID = fmt.Sprintf("%s-%s", g.ID, app.ID)
			g.App, g.Builds = app.ID, nil
			data.BetaGroups = append(data.BetaGroups, g)
		}
	}
	for _, app := range data.Apps {
		for _, name := range stage.Groups {
			name = strings.TrimSpace(name)
			known := slices.ContainsFunc(data.BetaGroups, func(g emulator.BetaGroup) bool {
				return g.ID == name || (g.App == app.ID && g.Name == name)
			})
			if name == "" || known {
				continue
			}
			data.BetaGroups = append(data.BetaGroups, emulator.BetaGroup{
				ID: fmt.Sprintf("REHEARSAL%03d-%s", len(data.BetaGroups)+1, app.ID), App: app.ID, Name: name,
				IsInternalGroup: true, FeedbackEnabled: true, CreatedDate: now.Add(-24 * time.Hour),
			})
		}
	}
	return data
}
