// Package webhook is the `webhook` command: it creates or updates, so that
// running it again leaves one configuration, the App Store Connect webhook
// of an app that points at `asc-action relay`; lists its last deliveries;
// sends a ping; and redelivers the deliveries that failed.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/steps/auth"
)

// Input and output names.
const (
	InAppID      = "app-id"
	InBundleID   = "bundle-id"
	InURL        = "webhook-url"
	InEvents     = "webhook-events"
	InSecret     = "webhook-secret"
	InName       = "webhook-name"
	InPing       = "webhook-ping"
	InRedeliver  = "webhook-redeliver"
	InDeliveries = "webhook-deliveries"

	OutID          = "webhook-id"
	OutSecret      = "webhook-secret"
	OutChange      = "webhook-change"
	OutDeliveries  = "deliveries"
	OutFailed      = "failed-deliveries"
	OutRedelivered = "redelivered"
	OutPing        = "ping-id"
)

// DefaultEvents are a build upload changing state and an external beta
// build state changing (a beta review decision).
var DefaultEvents = []string{asc.EventBuildUploadStateUpdated, asc.EventBuildBetaDetailExternalStateUpdated}

// Options are the webhook command's inputs.
type Options struct {
	Key        auth.Options
	API        auth.API
	AppID      string
	BundleID   string
	URL        string
	Events     []string
	Secret     string
	Name       string
	Ping       bool
	Redeliver  bool
	Deliveries int
}

func (o *Options) fields() []command.Field {
	return command.Fields(o.Key.Fields(), o.API.Fields(), []command.Field{
		command.String(&o.AppID, command.Input{Name: InAppID, Env: "ASC_APP_ID", Usage: "App Store Connect app ID (Apple ID of the app), or give bundle-id"}),
		command.String(&o.BundleID, command.Input{Name: InBundleID, Env: "ASC_BUNDLE_ID", Usage: "bundle identifier of the app, instead of app-id"}),
		command.String(&o.URL, command.Input{Name: InURL, Env: "ASC_WEBHOOK_URL", Usage: "https URL of your `asc-action relay`; empty keeps the configured one (and only lists, pings, redelivers)"}),
		command.Lines(&o.Events, command.Input{Name: InEvents, Env: "ASC_WEBHOOK_EVENTS", Default: strings.Join(DefaultEvents, "\n"), Usage: "Apple event types to send, one per line (default: build upload state and external beta state changes)"}),
		command.String(&o.Secret, command.Input{Name: InSecret, Env: "ASC_WEBHOOK_SECRET", Secret: true, Usage: "secret Apple signs deliveries with; empty on creation: one is generated and given (masked) as output webhook-secret; empty on update: unchanged"}),
		command.String(&o.Name, command.Input{Name: InName, Default: "asc-action", Usage: "name of the configuration; the one of that name is updated, so a second run changes it instead of adding one"}),
		command.Bool(&o.Ping, command.Input{Name: InPing, Usage: "send a test notification (ping) once configured"}),
		command.Bool(&o.Redeliver, command.Input{Name: InRedeliver, Usage: "deliver again each of the last deliveries that FAILED (after a relay or GitHub outage)"}),
		command.Int(&o.Deliveries, command.Input{Name: InDeliveries, Default: "10", Usage: "how many of the last deliveries to list"}, 0, 200),
	})
}

// Command returns the webhook command.
func Command() *command.Command { return newCommand(nil) }

func newCommand(clientOpts []asc.Option) *command.Command {
	return command.New(command.Command{
		Name:    "webhook",
		Summary: "Point an app's App Store Connect webhook at asc-action relay; list deliveries, ping, redeliver",
		Long: `Creates the app's webhook configuration named webhook-name, or updates it when it
exists (running it twice leaves one configuration), with webhook-url and webhook-events; a
new configuration without webhook-secret gets a generated secret, given masked as the output
webhook-secret: store it as the relay's ASC_WEBHOOK_SECRET. Then lists the last deliveries
and their states, sends a ping (webhook-ping) and delivers the failed ones again
(webhook-redeliver). The key needs the Admin or App Manager role. docs/webhooks.md.`,
		Outputs: []command.Output{
			{Name: OutID, Usage: "ID of the webhook configuration"},
			{Name: OutChange, Usage: "created, updated or unchanged"},
			{Name: OutSecret, Usage: "the generated secret (masked), only when one was generated"},
			{Name: OutDeliveries, Usage: "the last deliveries' states, newest first, e.g. SUCCEEDED,FAILED"},
			{Name: OutFailed, Usage: "how many of the last deliveries FAILED"},
			{Name: OutRedelivered, Usage: "how many failed deliveries were sent again"},
			{Name: OutPing, Usage: "ID of the ping sent"},
		},
		Primary: OutID,
	}, (*Options).fields, func(ctx context.Context, env *command.Env, opts *Options) error {
		return run(ctx, env, opts, clientOpts)
	})
}

// check refuses bad inputs before any request.
func (o *Options) check() error {
	if (o.AppID == "") == (o.BundleID == "") {
		return command.Usagef("give app-id or bundle-id (one of them) to say which app's webhook to configure")
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return command.Usagef("%s: %q is not an absolute https URL; give the relay's address, e.g. https://relay.example.com/", InURL, o.URL)
		}
		if u.User != nil {
			return command.Usagef("%s: the URL carries credentials; the relay checks Apple's signature instead, drop them", InURL)
		}
	}
	for _, e := range o.Events {
		if e != strings.ToUpper(e) || strings.ContainsAny(e, " -") {
			return command.Usagef("%s: %q is not an Apple event type such as %s", InEvents, e, asc.EventBuildUploadStateUpdated)
		}
	}
	if len(o.Events) == 0 {
		o.Events = DefaultEvents
	}
	return nil
}

func run(ctx context.Context, env *command.Env, opts *Options, clientOpts []asc.Option) error {
	env.Report.Mask(opts.Secret)
	if err := opts.check(); err != nil {
		return err
	}
	a, err := auth.Load(ctx, env, opts.Key, nil)
	if err != nil {
		return err
	}
	if err := auth.Rehearse(env, a, &opts.API); err != nil {
		return err
	}
	client, err := auth.NewClient(env, a, opts.API, clientOpts...)
	if err != nil {
		return err
	}
	appID, err := resolveApp(ctx, client, opts)
	if err != nil {
		return err
	}
	hook, err := ensure(ctx, env, client, appID, opts)
	if err != nil {
		return err
	}
	return manage(ctx, env, client, hook, opts)
}

func resolveApp(ctx context.Context, client *asc.Client, opts *Options) (string, error) {
	if opts.AppID != "" {
		return opts.AppID, nil
	}
	apps, _, err := client.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{opts.BundleID}})
	if err != nil {
		return "", err
	}
	if len(apps) == 0 {
		return "", command.Usagef("%s: no app with bundle ID %q is visible to this key; check the bundle ID or give app-id", InBundleID, opts.BundleID)
	}
	return apps[0].ID, nil
}

// ensure creates the configuration named opts.Name, or brings the existing
// one to the inputs.
func ensure(ctx context.Context, env *command.Env, client *asc.Client, appID string, opts *Options) (*asc.Webhook, error) {
	hooks, _, err := client.ListAppWebhooks(ctx, appID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(hooks, func(h asc.Webhook) bool { return h.Attributes.Name == opts.Name })
	if i < 0 {
		return create(ctx, env, client, appID, opts)
	}
	h := &hooks[i]
	var u asc.WebhookUpdate
	changed := false
	if opts.URL != "" && opts.URL != h.Attributes.URL {
		u.URL, changed = &opts.URL, true
	}
	if !sameSet(opts.Events, h.Attributes.EventTypes) {
		u.EventTypes, changed = opts.Events, true
	}
	if !h.Attributes.Enabled {
		on := true
		u.Enabled, changed = &on, true
	}
	if opts.Secret != "" { // Apple never shows the secret: a given one is always sent
		u.Secret, changed = &opts.Secret, true
	}
	state := "unchanged"
	if changed {
		if h, _, err = client.UpdateWebhook(ctx, h.ID, u); err != nil {
			return nil, err
		}
		state = "updated"
	}
	env.Report.Infof("webhook %s (%s) %s: %s", h.ID, opts.Name, state, h.Attributes.URL)
	return h, setOutputs(env, [2]string{OutID, h.ID}, [2]string{OutChange, state})
}

func create(ctx context.Context, env *command.Env, client *asc.Client, appID string, opts *Options) (*asc.Webhook, error) {
	if opts.URL == "" {
		return nil, command.Usagef("%s: the app has no webhook named %q yet; give the relay's URL to create it", InURL, opts.Name)
	}
	secret, generated := opts.Secret, false
	if secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		secret, generated = hex.EncodeToString(b), true
		env.Report.Mask(secret)
	}
	h, _, err := client.CreateWebhook(ctx, appID, asc.WebhookCreate{Enabled: true, EventTypes: opts.Events, Name: opts.Name, Secret: secret, URL: opts.URL})
	if err != nil {
		return nil, err
	}
	env.Report.Infof("webhook %s (%s) created: %s, events %s", h.ID, opts.Name, opts.URL, strings.Join(opts.Events, ", "))
	outs := [][2]string{{OutID, h.ID}, {OutChange, "created"}}
	if generated {
		env.Report.Notice("Webhook secret generated", "Store the output webhook-secret as the relay's ASC_WEBHOOK_SECRET; App Store Connect never shows it again.")
		outs = append(outs, [2]string{OutSecret, secret})
	}
	return h, setOutputs(env, outs...)
}

// manage lists the last deliveries, redelivers the failed ones and pings.
func manage(ctx context.Context, env *command.Env, client *asc.Client, h *asc.Webhook, opts *Options) error {
	var states []string
	failed, redelivered := 0, 0
	if opts.Deliveries > 0 || opts.Redeliver {
		n := max(opts.Deliveries, 1)
		ds, _, err := client.ListWebhookDeliveries(ctx, h.ID, &asc.ListWebhookDeliveriesOptions{ListOptions: asc.ListOptions{Limit: n, MaxPages: 1}})
		if err != nil {
			return err
		}
		for _, d := range ds[:min(len(ds), n)] {
			states = append(states, d.Attributes.DeliveryState)
			env.Report.Infof("delivery %s %s: %s %s", d.ID, d.Attributes.CreatedDate.Format("2006-01-02 15:04:05Z07:00"), d.Attributes.DeliveryState, deliveryDetail(d))
			if d.Attributes.DeliveryState != "FAILED" {
				continue
			}
			failed++
			if opts.Redeliver {
				nd, _, err := client.RedeliverWebhook(ctx, d.ID)
				if err != nil {
					return err
				}
				redelivered++
				env.Report.Infof("delivery %s sent again as %s", d.ID, nd.ID)
			}
		}
	}
	outs := [][2]string{{OutDeliveries, strings.Join(states, ",")}, {OutFailed, strconv.Itoa(failed)}, {OutRedelivered, strconv.Itoa(redelivered)}}
	if opts.Ping {
		p, _, err := client.PingWebhook(ctx, h.ID)
		if err != nil {
			return err
		}
		env.Report.Infof("ping %s sent", p.ID)
		outs = append(outs, [2]string{OutPing, p.ID})
	}
	return setOutputs(env, outs...)
}

func deliveryDetail(d asc.WebhookDelivery) string {
	parts := []string{}
	if d.Attributes.Redelivery {
		parts = append(parts, "(redelivery)")
	}
	if r := d.Attributes.Response; r != nil && r.HTTPStatusCode != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", r.HTTPStatusCode))
	}
	if d.Attributes.ErrorMessage != "" {
		parts = append(parts, d.Attributes.ErrorMessage)
	}
	return strings.Join(parts, " ")
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func setOutputs(env *command.Env, outs ...[2]string) error {
	for _, o := range outs {
		if err := env.Report.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}
