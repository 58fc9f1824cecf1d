package verify

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/kms"
	"github.com/asc-action/asc-action/internal/testkeys"
)

const (
	keyID  = "VERIFY1234"
	issuer = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
	other  = "11111111-2222-3333-4444-555555555555"
)

type fixture struct {
	priv *ecdsa.PrivateKey
	pem  string
}

func newFixture(t *testing.T) fixture {
	k := testkeys.New(t)
	return fixture{priv: k.Private, pem: k.PEM}
}

// serve starts the emulator with key registered; wrap may alter responses.
func serve(t *testing.T, key emulator.Key, cfg emulator.Config, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	cfg.Keys = []emulator.Key{key}
	if cfg.Data == nil {
		cfg.Data = emulator.DefaultData(time.Now())
	}
	srv := emulator.New(cfg)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

func TestVerdicts(t *testing.T) {
	f := newFixture(t)
	team := emulator.Key{ID: keyID, IssuerID: issuer, Public: &f.priv.PublicKey}
	individual := emulator.Key{ID: keyID, Individual: true, Public: &f.priv.PublicKey}
	forbid := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"id":"1","status":"403","code":"FORBIDDEN_ERROR","title":"This request is forbidden for security reasons","detail":"The API key in use does not allow this request"}]}`))
		})
	}
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()
	cases := []struct {
		name     string
		key      emulator.Key
		cfg      emulator.Config
		wrap     func(http.Handler) http.Handler
		inputs   map[string]string
		url      string
		status   string
		reason   string
		exit     int
		contains string
	}{
		{name: "valid team key", key: team, inputs: map[string]string{"issuer-id": issuer}, status: StatusValid, reason: ReasonValid},
		{name: "valid individual key", key: individual, inputs: map[string]string{"key-type": "individual"}, status: StatusValid, reason: ReasonValid},
		{name: "wrong issuer", key: team, inputs: map[string]string{"issuer-id": other}, status: StatusInvalid, reason: ReasonUnauthorized, exit: 1, contains: "is not your team's Issuer ID"},
		{name: "individual key used as team key", key: individual, inputs: map[string]string{"issuer-id": issuer}, status: StatusInvalid, reason: ReasonWrongKeyType, exit: 1, contains: "Set key-type: individual"},
		{name: "team key used as individual key", key: team, inputs: map[string]string{"issuer-id": issuer, "key-type": "individual"}, status: StatusInvalid, reason: ReasonWrongKeyType, exit: 1, contains: "Set key-type: team"},
		{name: "revoked key", key: emulator.Key{ID: keyID, IssuerID: issuer, Public: &f.priv.PublicKey, Revoked: true}, inputs: map[string]string{"issuer-id": issuer}, status: StatusInvalid, reason: ReasonUnauthorized, exit: 1, contains: "revoked"},
		{name: "local clock five minutes ahead of the server", key: team, cfg: emulator.Config{Now: func() time.Time { return time.Now().Add(-5 * time.Minute) }}, inputs: map[string]string{"issuer-id": issuer}, status: StatusValid, reason: ReasonSkewCorrected, contains: "ahead of App Store Connect's by 5m"},
		{name: "role lacks access", key: team, wrap: forbid, inputs: map[string]string{"issuer-id": issuer}, status: StatusInvalid, reason: ReasonForbidden, exit: 1, contains: "403"},
		{name: "rate limited", key: team, cfg: emulator.Config{RateLimitPerHour: 1}, inputs: map[string]string{"issuer-id": issuer, "prime": "1"}, status: StatusValid, reason: ReasonRateLimited},
		{name: "network failure", key: team, url: closed, inputs: map[string]string{"issuer-id": issuer}, status: StatusUnknown, reason: ReasonNetwork, exit: 1, contains: "could not be reached"},
		{name: "malformed key id", key: team, inputs: map[string]string{"issuer-id": issuer, "key-id": "short"}, status: StatusInvalid, reason: ReasonKeyIDMalformed, exit: 1, contains: "Users and Access"},
		{name: "malformed issuer", key: team, inputs: map[string]string{"issuer-id": "nope"}, status: StatusInvalid, reason: ReasonIssuerMalform, exit: 1},
		{name: "unreadable key", key: team, inputs: map[string]string{"issuer-id": issuer, "private-key": "-----BEGIN PRIVATE KEY-----\nAAAA"}, status: StatusInvalid, reason: ReasonKeyUnreadable, exit: 1},
		{name: "missing secrets", key: team, inputs: map[string]string{"private-key": "", "key-id": "", "issuer-id": ""}, status: StatusSkipped, reason: ReasonMissing},
		{name: "missing secrets, required", key: team, inputs: map[string]string{"private-key": "", "key-id": "", "fail-on-missing-secrets": "true"}, status: StatusSkipped, reason: ReasonMissing, exit: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = serve(t, tc.key, tc.cfg, tc.wrap)
			}
			in := map[string]string{"private-key": f.pem, "key-id": keyID, "api-url": url}
			for k, v := range tc.inputs {
				in[k] = v
			}
			rec := commandtest.NewRecorder()
			env := rec.Env(in, nil)
			env.HTTP = &http.Client{Timeout: 5 * time.Second}
			if in["prime"] != "" {
				// Spend the one request of the hour.
				first := commandtest.NewRecorder()
				fe := first.Env(in, nil)
				fe.HTTP = env.HTTP
				_ = Command().Run(context.Background(), fe)
			}
			err := Command().Run(context.Background(), env)
			if got := command.ExitCode(err); got != tc.exit {
				t.Errorf("exit %d, want %d (%v)", got, tc.exit, err)
			}
			if rec.Outputs["key-status"] != tc.status || rec.Outputs["reason"] != tc.reason {
				t.Fatalf("key-status %q reason %q, want %q %q\n%s", rec.Outputs["key-status"], rec.Outputs["reason"], tc.status, tc.reason, rec.Text())
			}
			if tc.contains != "" && !strings.Contains(rec.Text(), tc.contains) {
				t.Errorf("report lacks %q:\n%s", tc.contains, rec.Text())
			}
			if tc.status == StatusValid && tc.reason == ReasonValid && rec.Outputs["rate-limit-remaining"] == "" {
				t.Error("no rate-limit-remaining output")
			}
			body := strings.Split(strings.TrimSpace(f.pem), "\n")[1]
			if strings.Contains(rec.Text(), body) {
				t.Error("report contains key material")
			}
			if err != nil {
				var rep *command.Reported
				if !errors.As(err, &rep) && command.ExitCode(err) != command.ExitUsage {
					t.Errorf("error not reported as annotation: %v", err)
				}
			}
		})
	}
}

// A key held in a KMS: a KMS out of reach leaves the key's state unknown
// (network), a KMS key that cannot sign ES256 tokens is unreadable.
func TestKMSInputVerdicts(t *testing.T) {
	env := commandtest.NewRecorder().Env(nil, nil)
	for _, tc := range []struct {
		kind           error
		status, reason string
	}{
		{kms.ErrUnavailable, StatusUnknown, ReasonNetwork},
		{kms.ErrWrongKeyType, StatusInvalid, ReasonKeyUnreadable},
		{kms.ErrKeyNotFound, StatusInvalid, ReasonKeyUnreadable},
		{kms.ErrKeyDisabled, StatusInvalid, ReasonKeyUnreadable},
		{kms.ErrAccessDenied, StatusInvalid, ReasonBadInput},
	} {
		v := inputVerdict(env, fmt.Errorf("private-key: %w", tc.kind))
		if v.status != tc.status || v.reason != tc.reason {
			t.Errorf("%v: %s/%s; want %s/%s", tc.kind, v.status, v.reason, tc.status, tc.reason)
		}
	}
}
