package auth

import (
	"fmt"
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

// Rehearse is the step that starts a rehearsal when api-url asks for one,
// and does nothing otherwise. The emulator it starts accepts a's key (its
// public half, Key ID, Issuer ID and type), holds the demo account plus an
// app for each bundle ID given, and processes uploads in seconds; api.URL
// is pointed at it, and it stops when the command is over (env.Close).
func Rehearse(env *command.Env, a *Auth, api *API, bundleIDs ...string) error {
	if !api.Rehearsal() {
		return nil
	}
	data := emulator.DefaultData(env.Now())
	stepApp := data.Apps[0].ID
	for i, b := range bundleIDs {
		if b == "" || b == emulator.DemoBundleID {
			continue
		}
		data.Apps = append(data.Apps, emulator.App{ID: fmt.Sprintf("%d", 2000000001+i), BundleID: b, Name: b, SKU: strings.ToUpper(strings.ReplaceAll(b, ".", "_")), PrimaryLocale: "en-US"})
		stepApp = data.Apps[len(data.Apps)-1].ID
	}
	if err := rehearsalBlockers(env, data, stepApp); err != nil {
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
	env.Report.Notice("rehearsal", "api-url is `emulator`: this step runs against the built-in App Store Connect emulator at "+url+"; nothing is sent to Apple.")
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
		env.Report.Notice("rehearsal", "the emulator plays Apple-side blockers: "+strings.Join(set, " "))
	}
	return nil
}
