// Package relay is the `relay` command: an HTTP server that receives App
// Store Connect's webhook deliveries, verifies their signature and starts
// GitHub workflows through repository_dispatch (internal/relay does the
// work). It runs until interrupted, from the same binary and image as the
// action; docs/webhooks.md shows how to deploy it.
package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/relay"
)

// Options are the relay command's inputs (CLI flags and environment).
type Options struct {
	Addr           string
	Secret         string
	PreviousSecret string
	Repository     string
	Token          string
	APIURL         string
	AppID          string
	InstallationID string
	AppKey         string
}

func (o *Options) fields() []command.Field {
	return []command.Field{
		command.String(&o.Addr, command.Input{Name: "addr", Usage: "address to listen on (default 0.0.0.0:$PORT when PORT is set, as container platforms set it, else 127.0.0.1:8080)", CLIOnly: true}),
		command.String(&o.Secret, command.Input{Name: "webhook-secret", Env: "ASC_WEBHOOK_SECRET", Secret: true, Usage: "the secret App Store Connect signs deliveries with (the webhook configuration's secret)", CLIOnly: true}),
		command.String(&o.PreviousSecret, command.Input{Name: "webhook-secret-previous", Env: "ASC_WEBHOOK_SECRET_PREVIOUS", Secret: true, Usage: "the secret being replaced, also accepted while a rotation is under way", CLIOnly: true}),
		command.String(&o.Repository, command.Input{Name: "github-repository", Env: "GITHUB_REPOSITORY", Usage: "owner/name of the repository whose workflows are started", CLIOnly: true}),
		command.String(&o.Token, command.Input{Name: "github-token", Env: "GITHUB_TOKEN", Secret: true, Usage: "token allowed to create repository_dispatch events (fine-grained: that repository, contents: write)", CLIOnly: true}),
		command.String(&o.AppID, command.Input{Name: "github-app-id", Env: "GITHUB_APP_ID", Usage: "a GitHub App's ID, to dispatch with its installation tokens instead of github-token", CLIOnly: true}),
		command.String(&o.InstallationID, command.Input{Name: "github-app-installation-id", Env: "GITHUB_APP_INSTALLATION_ID", Usage: "the App's installation on the repository (with github-app-id)", CLIOnly: true}),
		command.Text(&o.AppKey, command.Input{Name: "github-app-private-key", Env: "GITHUB_APP_PRIVATE_KEY", Secret: true, Usage: "the App's private key, PEM (with github-app-id)", CLIOnly: true}),
		command.String(&o.APIURL, command.Input{Name: "github-api-url", Env: "GITHUB_API_URL", Default: relay.DefaultGitHubAPIURL, Usage: "GitHub's REST API (GitHub Enterprise Server: https://HOST/api/v3)", CLIOnly: true}),
	}
}

// Command returns the relay command.
func Command() *command.Command { return newCommand(nil) }

// ready receives the URL once the relay listens (tests).
type ready func(url string)

func newCommand(onReady ready) *command.Command {
	return command.New(command.Command{
		Name:    "relay",
		CLIOnly: true,
		Summary: "Receive App Store Connect webhooks, verify their signature and start GitHub workflows (repository_dispatch)",
		Long: `Serves until interrupted. Each POST is one delivery: its x-apple-signature is checked
over the raw body with the webhook secret before anything else (401 and nothing more when it is
missing or wrong); pings are answered 200; every other notification becomes one repository_dispatch
event, asc-<event-type> in lower case with hyphens (asc-build-upload-state-updated), whose
client_payload holds Apple's event type, IDs and states. The answer is 200 once GitHub accepted the
dispatch and 502 when it did not, so that App Store Connect delivers again. GET /healthz answers 200.
Stateless: run as many instances as you like.

  ASC_WEBHOOK_SECRET=... GITHUB_REPOSITORY=owner/app GITHUB_TOKEN=... asc-action relay

Deployment (Cloud Run, App Runner, Lambda function URL, any host): docs/webhooks.md.`,
		Outputs: []command.Output{{Name: "url", Usage: "the address the relay listens on"}},
		Primary: "url",
	}, (*Options).fields, func(ctx context.Context, env *command.Env, opts *Options) error {
		return serve(ctx, env, opts, onReady)
	})
}

// handler builds the relay's handler from the options.
func (o *Options) handler(env *command.Env) (*relay.Handler, error) {
	if o.Secret == "" {
		return nil, command.Usagef("webhook-secret: empty; set ASC_WEBHOOK_SECRET to the secret of the App Store Connect webhook (asc-action webhook prints a new one)")
	}
	secrets := [][]byte{[]byte(o.Secret)}
	if o.PreviousSecret != "" {
		secrets = append(secrets, []byte(o.PreviousSecret))
	}
	gh, err := o.dispatcher(env)
	if err != nil {
		return nil, command.Usagef("%v", err)
	}
	return relay.New(relay.Config{Secrets: secrets, Dispatcher: gh,
		Logf: func(format string, args ...any) { env.Report.Infof("%s", fmt.Sprintf(format, args...)) }})
}

// dispatcher is the GitHub App's when github-app-id is given, else the
// token's.
func (o *Options) dispatcher(env *command.Env) (*relay.GitHub, error) {
	if o.AppID == "" {
		return relay.NewGitHub(o.Repository, o.Token, o.APIURL, env.HTTP)
	}
	if o.Token != "" {
		return nil, fmt.Errorf("github-token and github-app-id are both set; keep one (GitHub Actions sets GITHUB_TOKEN only inside a job)")
	}
	tokens, err := relay.NewAppTokens(o.AppID, o.InstallationID, o.AppKey, o.APIURL, env.HTTP, env.Now)
	if err != nil {
		return nil, err
	}
	return relay.NewGitHubApp(o.Repository, tokens, o.APIURL, env.HTTP)
}

// addr is --addr, else 0.0.0.0:$PORT, else 127.0.0.1:8080.
func (o *Options) addr(getenv func(string) string) string {
	if o.Addr != "" {
		return o.Addr
	}
	if port := getenv("PORT"); port != "" {
		return net.JoinHostPort("0.0.0.0", port)
	}
	return "127.0.0.1:8080"
}

func serve(ctx context.Context, env *command.Env, opts *Options, onReady ready) error {
	env.Report.Mask(opts.Secret, opts.PreviousSecret, opts.Token, opts.AppKey)
	h, err := opts.handler(env)
	if err != nil {
		return err
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ln, err := net.Listen("tcp", opts.addr(getenv))
	if err != nil {
		return command.Usagef("addr: %v", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: relay.DispatchTimeout + 15*time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	if err := env.Report.SetOutput("url", url); err != nil {
		return err
	}
	env.Report.Infof("Relay listening on %s, dispatching to %s", url, opts.Repository)
	if onReady != nil {
		onReady(url)
	}
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
