// Package emulator is the `emulator` command: it runs the App Store Connect
// emulator as a process, so that any client (ours, curl, a user's pipeline)
// can be tried against it. With no key given it makes a throwaway one and
// writes it as AuthKey_<KEYID>.p8 in a fresh temporary directory, for
// `asc-action token` to sign with.
package emulator

import (
	"context"
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/credentials"
	emu "github.com/asc-action/asc-action/internal/emulator"
)

// Options are the emulator command's inputs (CLI flags only).
type Options struct {
	Addr        string
	Data        string
	Faults      string
	Agreement   string
	Processing  string
	KeyID       string
	IssuerID    string
	PublicKey   string
	Individual  bool
	Role        string
	RateLimit   int
	UploadDelay time.Duration
	BuildDelay  time.Duration
	ReviewDelay time.Duration
	Verbose     bool
	StoreDir    string
	Missing     string
	InFlight    string
	// WebhookAttempts is how often a failed webhook delivery is tried.
	WebhookAttempts int
}

func (o *Options) fields() []command.Field {
	return []command.Field{
		command.String(&o.Addr, command.Input{Name: "addr", Env: "ASC_EMULATOR_ADDR", Default: "127.0.0.1:0", Usage: "address to listen on (port 0: any free port)", CLIOnly: true}),
		command.String(&o.Data, command.Input{Name: "data", Env: "ASC_EMULATOR_DATA", Usage: "JSON file of apps, certificates, profiles and builds (default: the demo account)", CLIOnly: true}),
		command.String(&o.Faults, command.Input{Name: "faults", Env: "ASC_EMULATOR_FAULTS", Usage: "faults to inject, e.g. parts:0.2:503,commit:lose,latency:20ms", CLIOnly: true}),
		command.String(&o.Agreement, command.Input{Name: "agreement", Env: emu.EnvAgreement, Usage: "accepted, or missing / legacy: every API request gets Apple's 403 for an agreement the Account Holder has not accepted (FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED / FORBIDDEN \"Access Unavailable\")", CLIOnly: true}),
		command.String(&o.Processing, command.Input{Name: "processing", Env: emu.EnvProcessing, Usage: "how processing of uploads ends: valid, warnings, upload-failed, build-invalid or build-failed, with Apple-shaped state errors and warnings", CLIOnly: true}),
		command.String(&o.KeyID, command.Input{Name: "key-id", Env: "ASC_KEY_ID", Usage: "Key ID of the key to accept (with --public-key)", CLIOnly: true}),
		command.String(&o.IssuerID, command.Input{Name: "issuer-id", Env: "ASC_ISSUER_ID", Usage: "Issuer ID of the team key (omit with --individual)", CLIOnly: true}),
		command.String(&o.PublicKey, command.Input{Name: "public-key", Usage: "PEM file holding the key's public half (or the .p8; only the public half is kept)", CLIOnly: true}),
		command.Bool(&o.Individual, command.Input{Name: "individual", Usage: "the key is an individual key (tokens carry sub=user, no iss)", CLIOnly: true}),
		command.String(&o.Role, command.Input{Name: "role", Default: emu.RoleAdmin, Usage: "the key's role: ADMIN, APP_MANAGER, DEVELOPER, FINANCE, ...", CLIOnly: true}),
		command.Int(&o.RateLimit, command.Input{Name: "rate-limit", Default: "3500", Usage: "requests per key per rolling hour", CLIOnly: true}, 1, 1<<30),
		command.Duration(&o.UploadDelay, command.Input{Name: "upload-delay", Default: "5s", Usage: "time from commit to the upload's COMPLETE", CLIOnly: true}),
		command.Duration(&o.BuildDelay, command.Input{Name: "build-delay", Default: "10s", Usage: "time from COMPLETE to the build's VALID", CLIOnly: true}),
		command.Duration(&o.ReviewDelay, command.Input{Name: "review-delay", Default: "30s", Usage: "time from a beta review submission to APPROVED", CLIOnly: true}),
		command.Bool(&o.Verbose, command.Input{Name: "verbose", Usage: "log every request and every refused token (never the token)", CLIOnly: true}),
		command.Int(&o.WebhookAttempts, command.Input{Name: "webhook-attempts", Default: "3", Usage: "attempts of a webhook delivery whose endpoint fails (1: no retry; then FAILED, for redelivery)", CLIOnly: true}, 1, 10),
		command.String(&o.StoreDir, command.Input{Name: "store-dir", Usage: "directory for uploaded bytes (default: a temporary one, removed on exit)", CLIOnly: true}),
		command.String(&o.Missing, command.Input{Name: "missing", Env: emu.EnvMissing, Usage: "leave out of every app what external testing needs, comma-separated: beta-review-details, beta-app-localization, encryption-declaration", CLIOnly: true}),
		command.String(&o.InFlight, command.Input{Name: "uploads-in-flight", Env: emu.EnvUploadsInFlight, Usage: "build uploads another run left in flight (PROCESSING) for the first app, VERSION:BUILD comma-separated, e.g. 2.1:7", CLIOnly: true}),
	}
}

// Command returns the emulator command.
func Command() *command.Command { return newCommand(nil) }

// ready receives the URL once the emulator listens (tests).
type ready func(url, keyPath string)

func newCommand(onReady ready) *command.Command {
	return command.New(command.Command{
		Name:    "emulator",
		CLIOnly: true,
		Summary: "Run the App Store Connect emulator (every GET of Apple's API, uploads, TestFlight, provisioning) on a local address",
		Long: `Serves until interrupted (Ctrl-C, or SIGTERM as kill and docker stop send). Give the public half of your test key with
--public-key (a PUBLIC KEY PEM, or the .p8 itself: only its public half is used), --key-id
and --issuer-id; or give none, and a throwaway key is generated and written to
AuthKey_<KEYID>.p8 in a new temporary directory (removed on exit), whose path is printed:

  asc-action emulator --faults parts:0.2:503,commit:lose
  TOKEN=$(asc-action token --key-id KEYID --issuer-id ISSUER --private-key-path PATH)
  curl -H "Authorization: Bearer $TOKEN" URL/v1/apps

Faults (--faults), data file (--data) and behaviour: docs/emulator.md.`,
		Outputs: []command.Output{
			{Name: "url", Usage: "the emulator's base URL (give it as api-url / ASC_API_URL)"},
			{Name: "key-id", Usage: "the Key ID accepted"},
			{Name: "issuer-id", Usage: "the Issuer ID accepted (team keys)"},
			{Name: "key-path", Usage: "path of the generated AuthKey_<KEYID>.p8 (throwaway key only)"},
		},
		Primary: "url",
	}, (*Options).fields, func(ctx context.Context, env *command.Env, opts *Options) error {
		return serve(ctx, env, opts, onReady)
	})
}

// config turns the options into the emulator's configuration, keys aside.
func (o *Options) config(env *command.Env) (emu.Config, error) {
	var cfg emu.Config
	var err error
	if o.Verbose {
		// The emulator's lines hold what clients sent: all of each line is
		// escaped as untrusted text.
		cfg.Logf = func(format string, args ...any) { env.Report.Infof("%s", fmt.Sprintf(format, args...)) }
	}
	if cfg.Faults, err = emu.ParseFaults(o.Faults); err != nil {
		return cfg, command.Usagef("faults: %v", err)
	}
	if o.Data != "" {
		if cfg.Data, err = emu.LoadData(o.Data); err != nil {
			return cfg, command.Usagef("data: %v", err)
		}
	} else {
		cfg.Data = emu.DefaultData(env.Now())
	}
	if err := cfg.Data.WithoutBetaAppInfo(o.Missing); err != nil {
		return cfg, command.Usagef("missing: %v", err)
	}
	if err := cfg.Data.AddUploadsInFlight(o.InFlight, env.Now()); err != nil {
		return cfg, command.Usagef("uploads-in-flight: %v", err)
	}
	if err := cfg.Data.OverrideBlockers(o.Agreement, o.Processing); err != nil {
		return cfg, command.Usagef("%v", err)
	}
	cfg.RateLimitPerHour = o.RateLimit
	cfg.UploadProcessingDelay, cfg.BuildProcessingDelay, cfg.BetaReviewDelay = o.UploadDelay, o.BuildDelay, o.ReviewDelay
	if o.ReviewDelay == 0 {
		cfg.BetaReviewDelay = -1 // --review-delay 0: approved at once, as 0 means for the other delays
	}
	cfg.StoreDir = o.StoreDir
	cfg.Now = env.Now
	return cfg, nil
}

// key is the key the emulator accepts: the public key given, or a
// throwaway one written to keyPath in a temporary directory that cleanup
// removes.
func (o *Options) key() (key emu.Key, keyPath string, cleanup func(), err error) {
	key = emu.Key{ID: o.KeyID, IssuerID: o.IssuerID, Individual: o.Individual, Role: strings.ToUpper(o.Role)}
	cleanup = func() {}
	if key.Role != "" && !emu.KnownRole(key.Role) {
		return key, "", cleanup, command.Usagef("role: %q is not an App Store Connect role; use ADMIN, ACCOUNT_HOLDER, APP_MANAGER, DEVELOPER, FINANCE, SALES, MARKETING, CUSTOMER_SUPPORT or ACCESS_TO_REPORTS", o.Role)
	}
	switch pubPath := o.PublicKey; {
	case pubPath != "":
		if key.ID == "" {
			return key, "", cleanup, command.Usagef("key-id: give the Key ID of the key in %s", pubPath)
		}
		if !o.Individual && key.IssuerID == "" {
			return key, "", cleanup, command.Usagef("issuer-id: give the Issuer ID of the team key (or --individual for an individual key)")
		}
		if o.Individual && key.IssuerID != "" {
			return key, "", cleanup, command.Usagef("issuer-id: an individual key has no Issuer ID; drop --issuer-id or --individual")
		}
		if key.Public, err = readPublicKey(pubPath); err != nil {
			return key, "", cleanup, command.Usagef("public-key: %v", err)
		}
		return key, "", cleanup, nil
	case key.ID != "" || key.IssuerID != "":
		return key, "", cleanup, command.Usagef("public-key: --key-id and --issuer-id need --public-key (or give none of them for a throwaway key)")
	}
	dir, id, issuer, pub, err := throwawayKey(o.Individual)
	if err != nil {
		return key, "", cleanup, err
	}
	key.ID, key.Public = id, pub
	if !o.Individual {
		key.IssuerID = issuer
	}
	return key, filepath.Join(dir, "AuthKey_"+id+".p8"), func() { os.RemoveAll(dir) }, nil
}

func serve(ctx context.Context, env *command.Env, opts *Options, onReady ready) error {
	cfg, err := opts.config(env)
	if err != nil {
		return err
	}
	key, keyPath, cleanup, err := opts.key()
	defer cleanup()
	if err != nil {
		return err
	}
	cfg.Keys = []emu.Key{key}

	srv := emu.New(cfg)
	srv.SetWebhookRetries(webhookWaits(opts.WebhookAttempts))
	url, err := srv.Start(opts.Addr)
	if err != nil {
		srv.Close()
		return command.Usagef("addr: %v", err)
	}
	defer srv.Close()

	outs := [][2]string{{"url", url}, {"key-id", key.ID}, {"issuer-id", key.IssuerID}, {"key-path", keyPath}}
	for _, o := range outs {
		if err := env.Report.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	env.Report.Infof("App Store Connect emulator listening on %s", url)
	if keyPath != "" {
		kind := "team"
		if opts.Individual {
			kind = "individual"
		}
		env.Report.Infof("Throwaway %s key: Key ID %s, Issuer ID %s, private key written to %s (removed on exit)", kind, key.ID, key.IssuerID, keyPath)
	} else {
		env.Report.Infof("Accepting Key ID %s (issuer %q, role %s)", key.ID, key.IssuerID, key.Role)
	}
	if f := cfg.Faults.String(); f != "" {
		env.Report.Infof("Injecting faults: %s", f)
	}
	reportBlockers(env, cfg.Data.Blockers)
	env.Report.Infof("Serving until interrupted.")
	if onReady != nil {
		onReady(url, keyPath)
	}
	<-ctx.Done()
	return nil
}

// webhookWaits are the waits between n attempts of a webhook delivery:
// the emulator's defaults, then a minute each.
func webhookWaits(n int) []time.Duration {
	var waits []time.Duration
	for i := 0; i < n-1; i++ {
		if i < len(emu.DefaultWebhookRetries) {
			waits = append(waits, emu.DefaultWebhookRetries[i])
		} else {
			waits = append(waits, time.Minute)
		}
	}
	return waits
}

// readPublicKey reads an EC P-256 public key from a PUBLIC KEY PEM, or the
// public half of a private key file in any form credentials reads.
func readPublicKey(path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil && blk.Type == "PUBLIC KEY" {
		pub, err := emu.ParsePublicKeyPEM(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return pub, nil
	}
	k, err := credentials.Load(context.Background(), "", path) // a file: no KMS is reached
	if err != nil {
		return nil, fmt.Errorf("%s is neither a PUBLIC KEY PEM nor a readable .p8: %w", path, err)
	}
	return &k.Private.PublicKey, nil
}

// throwawayKey generates a key, writes it as AuthKey_<KEYID>.p8 (0600) in a
// new temporary directory, and returns the directory, Key ID, an issuer ID
// and the public half.
func throwawayKey(individual bool) (dir, keyID, issuer string, pub *ecdsa.PublicKey, err error) {
	k, err := emu.NewThrowawayKey()
	if err != nil {
		return "", "", "", nil, err
	}
	dir, err = os.MkdirTemp("", "asc-emulator-key-")
	if err != nil {
		return "", "", "", nil, err
	}
	p := filepath.Join(dir, "AuthKey_"+k.KeyID+".p8")
	if err := os.WriteFile(p, k.PEM(), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", "", "", nil, errors.New("could not write the throwaway key file in " + dir)
	}
	return dir, k.KeyID, k.IssuerID, &k.Private.PublicKey, nil
}

// reportBlockers says which Apple-side blockers the emulator plays.
func reportBlockers(env *command.Env, b *emu.Blockers) {
	if b == nil {
		return
	}
	if b.Agreement != "" {
		env.Report.Infof("Blocker: the agreement is %s: every API request is answered 403 until the Account Holder accepts it", b.Agreement)
	}
	if p := b.Processing; p != nil && p.Outcome != "" {
		env.Report.Infof("Blocker: processing ends %s (%d error(s), %d warning(s) given)", p.Outcome, len(p.Errors), len(p.Warnings))
	}
}
