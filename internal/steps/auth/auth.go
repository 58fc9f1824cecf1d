// Package auth is the key handling every command shares: the key inputs,
// reading and masking the key, and a refreshing token source whose new
// tokens are masked as soon as they exist.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/credentials"
	"github.com/asc-action/asc-action/internal/token"
)

// Input names shared by every command that authenticates.
const (
	InPrivateKey     = "private-key"
	InPrivateKeyPath = "private-key-path"
	InKeyID          = "key-id"
	InIssuerID       = "issuer-id"
	InKeyType        = "key-type"
	InAPIURL         = "api-url"
)

// DefaultAPIURL is App Store Connect's production base URL.
const DefaultAPIURL = "https://api.appstoreconnect.apple.com"

// Options are the key inputs every command that authenticates reads.
type Options struct {
	PrivateKey     string // as given: its form is for credentials to read
	PrivateKeyPath string
	KeyID          string
	IssuerID       string
	KeyType        string
}

// Fields binds the key inputs to o, in the order --help lists them.
func (o *Options) Fields() []command.Field {
	return []command.Field{
		command.Text(&o.PrivateKey, command.Input{Name: InPrivateKey, Env: "ASC_PRIVATE_KEY", Secret: true, Usage: "the .p8 private key: PEM, PEM with \\n escapes, base64 of the PEM or of the DER, the PEM body alone, or a path to the file; or the URI of the key held in a KMS (awskms://, gcpkms://, azurekms://, hashivault://; docs/key-custody.md)"}),
		command.String(&o.PrivateKeyPath, command.Input{Name: InPrivateKeyPath, Env: "ASC_PRIVATE_KEY_PATH", Usage: "path to the .p8 file (an AuthKey_<KEYID>.p8 name also gives the Key ID)"}),
		command.String(&o.KeyID, command.Input{Name: InKeyID, Env: "ASC_KEY_ID", Usage: "the 10-character Key ID (App Store Connect > Users and Access > Integrations)"}),
		command.String(&o.IssuerID, command.Input{Name: InIssuerID, Env: "ASC_ISSUER_ID", Usage: "the Issuer ID (a UUID) of team keys; leave empty for individual keys"}),
		command.String(&o.KeyType, command.Input{Name: InKeyType, Env: "ASC_KEY_TYPE", Usage: "team or individual (default: team when issuer-id is set, else individual)"}),
	}
}

// API is the base URL input of commands that call App Store Connect.
type API struct {
	// URL is api-url as given: a URL, empty for Apple's, or RehearseURL
	// until Rehearse has pointed it at the emulator it started.
	URL string
}

// Fields binds api-url to a.
func (a *API) Fields() []command.Field {
	return []command.Field{
		command.String(&a.URL, command.Input{Name: InAPIURL, Env: "ASC_API_URL", Default: DefaultAPIURL, Usage: "App Store Connect API base URL; `emulator` rehearses the step against the built-in emulator (nothing is sent to Apple), or give the URL of `asc-action emulator`"}),
	}
}

// Auth is a loaded key with the options its tokens are minted with.
type Auth struct {
	Key     *credentials.Key
	Options token.Options
	Minter  *token.Minter
	Source  *token.Source
}

// ErrMissing is returned when no key input is set at all, which on a pull
// request from a fork means the repository's secrets were withheld.
var ErrMissing = credentials.ErrEmpty

// Configure lets a command adjust the token options (scope, lifetime)
// before the Minter is built.
type Configure func(*token.Options) error

// Load reads the key inputs, masks the raw key and every form derived from
// it before anything else is printed, validates the IDs and builds a token
// source whose every new token is masked too. A key held in a KMS is opened
// within ctx, so a cancelled step stops waiting for the KMS.
func Load(ctx context.Context, env *command.Env, o Options, configure Configure) (*Auth, error) {
	raw := o.PrivateKey
	// A KMS key URI names the key without giving access to it: only the
	// tokens are secret then, unless the URI carries credentials.
	env.Report.Mask(credentials.MaskFirst(raw)...)
	key, err := credentials.Load(ctx, raw, o.PrivateKeyPath)
	if err != nil {
		src := InPrivateKey
		if strings.TrimSpace(raw) == "" && o.PrivateKeyPath != "" {
			src = InPrivateKeyPath
		}
		if errors.Is(err, credentials.ErrEmpty) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	env.Report.Mask(key.Secrets()...)

	keyID := o.KeyID
	if keyID == "" {
		keyID = key.KeyIDFromFileName
	}
	if keyID, err = token.ParseKeyID(keyID); err != nil {
		return nil, err
	}
	if key.KeyIDFromFileName != "" && key.KeyIDFromFileName != keyID {
		env.Report.Warning("key-id", fmt.Sprintf("key-id %s differs from the Key ID in the key file's name (%s); App Store Connect will refuse the token if the key-id is wrong", keyID, key.KeyIDFromFileName))
	}
	issuer, err := token.ParseIssuerID(o.IssuerID)
	if err != nil {
		return nil, err
	}
	kt, err := token.ParseKeyType(o.KeyType, issuer)
	if err != nil {
		return nil, err
	}
	if kt == token.Individual && issuer != "" {
		// Individual keys carry no issuer; sending one makes Apple refuse them.
		issuer = ""
	}
	topts := token.Options{KeyID: keyID, IssuerID: issuer, Type: kt}
	if configure != nil {
		if err := configure(&topts); err != nil {
			return nil, err
		}
	}
	m, err := token.NewMinter(key.Signer(), topts, env.Now)
	if err != nil {
		return nil, err
	}
	src := token.NewSource(m, 0, func(t token.Token) { env.Report.Mask(t.Value) })
	return &Auth{Key: key, Options: m.Options(), Minter: m, Source: src}, nil
}

// WithOptions returns an Auth for the same key minting with other options
// (another key type, say), on the same corrected clock, its tokens masked
// as they are minted.
func WithOptions(env *command.Env, a *Auth, opts token.Options) (*Auth, error) {
	m, err := token.NewMinter(a.Key.Signer(), opts, env.Now)
	if err != nil {
		return nil, err
	}
	m.SetClockOffset(a.Minter.ClockOffset())
	src := token.NewSource(m, 0, func(t token.Token) { env.Report.Mask(t.Value) })
	return &Auth{Key: a.Key, Options: m.Options(), Minter: m, Source: src}, nil
}
