// Package token is the `token` command: mint an App Store Connect JWT and
// expose it as a step output (or print it, on a terminal).
package token

import (
	"context"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/steps/auth"
	tok "github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Options are the token command's inputs.
type Options struct {
	Key       auth.Options
	Scope     string
	ExpiresIn string
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), []command.Field{
		command.Text(&o.Scope, command.Input{Name: "scope", Env: "ASC_TOKEN_SCOPE", Usage: "optional scope, one `METHOD /v1/path[?query]` per line (repeat the flag for more)"}),
		command.String(&o.ExpiresIn, command.Input{Name: "expires-in", Env: "ASC_TOKEN_EXPIRES_IN", Default: "20m", Usage: "token lifetime from iat: 15m, 900 (seconds); over 20m only for GET scopes Apple allows long-lived tokens for (up to 180d)"}),
	})
}

// Command returns the token command.
func Command() *command.Command {
	return command.New(command.Command{
		Name:    "token",
		Summary: "Mint an App Store Connect API token (ES256 JWT)",
		Long: `Prints the token alone on stdout, so it can be captured: TOKEN=$(asc-action token).
As a GitHub Action step it sets the masked output 'token'. Mint it in the job that
uses it: GitHub drops job outputs that contain secrets, and a token lives 20 minutes.`,
		Outputs: []command.Output{
			{Name: "token", Usage: "the JWT (masked in logs)"},
			{Name: "expires-at", Usage: "when the token expires (RFC 3339, UTC)"},
			{Name: "key-id", Usage: "the Key ID the token names"},
			{Name: "key-type", Usage: "team or individual"},
		},
		Primary: "token",
	}, (*Options).fields, run)
}

func run(ctx context.Context, env *command.Env, opts *Options) error {
	a, err := auth.Load(ctx, env, opts.Key, func(o *tok.Options) error {
		scope, err := tok.ParseScope(opts.Scope)
		if err != nil {
			return err
		}
		life, err := tok.ParseLifetime(opts.ExpiresIn)
		if err != nil {
			return err
		}
		o.Scope, o.Lifetime = scope, life
		return nil
	})
	if err != nil {
		return err
	}
	t, err := a.Source.Current()
	if err != nil {
		return err
	}
	outputs := [][2]string{
		{"token", t.Value},
		{"expires-at", t.ExpiresAt.UTC().Format(time.RFC3339)},
		{"key-id", a.Options.KeyID},
		{"key-type", string(a.Options.Type)},
	}
	for _, o := range outputs {
		if err := env.Report.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	env.Report.Infof("Minted a %s-key token for Key ID %s, valid until %s.", a.Options.Type, a.Options.KeyID, t.ExpiresAt.UTC().Format(time.RFC3339))
	env.Report.Summary(Summary(a, t.ExpiresAt))
	return nil
}

// Summary renders the audit lines of the job summary: never the key or the token.
func Summary(a *auth.Auth, expires time.Time) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	b.Printf("### App Store Connect token\n\n| | |\n|---|---|\n")
	b.Printf("| Key ID | %s |\n| Key type | %s |\n", untrusted.Code(a.Options.KeyID), a.Options.Type)
	if a.Options.IssuerID != "" {
		b.Printf("| Issuer ID | %s |\n", untrusted.Code(a.Options.IssuerID))
	}
	b.Printf("| Public key | %s |\n", untrusted.Code(a.Key.Fingerprint()))
	scope := untrusted.Markdownf("unrestricted")
	if len(a.Options.Scope) > 0 {
		var sb untrusted.MarkdownBuilder
		for i, s := range a.Options.Scope {
			if i > 0 {
				sb.Printf("<br>")
			}
			sb.Append(untrusted.Code(s))
		}
		scope = sb.Markdown()
	}
	b.Printf("| Scope | %s |\n| Expires | %s |\n", scope, expires.UTC().Format(time.RFC3339))
	return b.Markdown()
}
