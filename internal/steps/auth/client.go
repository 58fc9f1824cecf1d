package auth

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
)

// BaseURL checks api-url and returns it without a trailing slash; empty
// is Apple's production URL. A rehearsal's `emulator` is refused: Rehearse
// replaces it with the emulator's URL first.
func (a API) BaseURL() (string, error) {
	raw := a.URL
	if raw == "" {
		raw = DefaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", command.Usagef("api-url %q is not an http(s) URL; leave it empty for %s, give an emulator's URL, or `emulator` to rehearse against the built-in one", raw, DefaultAPIURL)
	}
	return strings.TrimRight(raw, "/"), nil
}

// NewClient builds the App Store Connect client for a command: base URL
// from api-url, tokens from a's refreshing source, and the client's events
// (retries, clock skew, rate limit) reported as log lines and warnings. It
// only builds a client: a rehearsal's emulator is started by Rehearse.
func NewClient(env *command.Env, a *Auth, api API, opts ...asc.Option) (*asc.Client, error) {
	base, err := api.BaseURL()
	if err != nil {
		return nil, err
	}
	all := []asc.Option{asc.WithEvents(func(e asc.Event) { ReportEvent(env.Report, e) })}
	if env.HTTP != nil {
		all = append(all, asc.WithHTTPClient(env.HTTP))
	}
	if env.Now != nil {
		all = append(all, asc.WithClock(env.Now))
	}
	return asc.New(base, a.Source, append(all, opts...)...)
}

// ReportEvent turns a client event into a log line or an annotation.
func ReportEvent(r command.Reporter, e asc.Event) {
	switch e.Kind {
	case asc.EventRetry:
		why := fmt.Sprintf("HTTP %d", e.Status)
		if e.Status == 0 && e.Err != nil {
			why = e.Err.Error()
		}
		r.Infof("%s %s: attempt %d failed (%s); retrying in %v", e.Method, e.Path, e.Attempt, why, e.Wait.Round(time.Millisecond))
	case asc.EventClockSkew:
		msg := fmt.Sprintf("this machine's clock differs from App Store Connect's by %v (server minus local)", e.Skew.Round(time.Second))
		if e.Corrected {
			msg += "; tokens are now minted on the server's time. Fix the runner's clock (NTP) to avoid this."
		}
		r.Warning("clock skew", msg)
	case asc.EventRateLimited:
		r.Warning("rate limit", fmt.Sprintf("App Store Connect's hourly request budget for this key is spent (%s %s); waiting as it asks", e.Method, e.Path))
	case asc.EventRateLimitLow:
		r.Warning("rate limit", fmt.Sprintf("only %d of %d requests left this hour for this key", e.RateLimit.Remaining, e.RateLimit.Limit))
	case asc.EventTokenRenewed:
		r.Infof("%s %s: token refused; minted a new one and retrying once", e.Method, e.Path)
	}
}
