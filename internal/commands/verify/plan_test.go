package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/emulator"
)

// A misspelt plan, fail-on or platform is bad usage, refused before any
// request, naming the input.
func TestPlanUsageErrors(t *testing.T) {
	for in, v := range map[string]string{"plan": "upload,release", "fail-on": "never", "platform": "android"} {
		rec := commandtest.NewRecorder()
		inputs := map[string]string{"plan": "upload", "api-url": "http://127.0.0.1:1", in: v}
		err := Command().Run(context.Background(), rec.Env(inputs, nil))
		if command.ExitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), in) {
			t.Errorf("%s: %q gave %v; want a usage error naming %s", in, v, err, in)
		}
	}
}

// The checks output starts with the key's verdict; a key that does not
// authenticate leaves the plan unchecked, and a fork's pull request (no
// secrets) skips both without failing.
func TestPlanFollowsTheKeyCheck(t *testing.T) {
	f := newFixture(t)
	url := serve(t, emulator.Key{ID: keyID, IssuerID: issuer, Public: &f.priv.PublicKey}, emulator.Config{}, nil)
	for _, tc := range []struct {
		name    string
		inputs  map[string]string
		exit    int
		first   string
		n       int
		summary string
	}{
		{"ready", map[string]string{"issuer-id": issuer}, 0, "ok", 6, "✅ ready"},
		{"wrong issuer", map[string]string{"issuer-id": other}, 1, "blocker", 1, "not checked: the key check did not pass"},
		{"no secrets", map[string]string{"private-key": "", "key-id": "", "issuer-id": ""}, 0, "skipped", 1, "not checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]string{"private-key": f.pem, "key-id": keyID, "api-url": url, "plan": "upload", "bundle-id": emulator.DemoBundleID, "build-version": "5"}
			for k, v := range tc.inputs {
				in[k] = v
			}
			rec := commandtest.NewRecorder()
			env := rec.Env(in, nil)
			env.HTTP = &http.Client{Timeout: 5 * time.Second}
			err := Command().Run(context.Background(), env)
			if command.ExitCode(err) != tc.exit {
				t.Errorf("exit %d; want %d (%v)", command.ExitCode(err), tc.exit, err)
			}
			var checks []struct{ Check, Result string }
			if err := json.Unmarshal([]byte(rec.Outputs[OutChecks]), &checks); err != nil {
				t.Fatalf("checks %q: %v", rec.Outputs[OutChecks], err)
			}
			if len(checks) != tc.n || checks[0].Check != "key" || checks[0].Result != tc.first {
				t.Errorf("checks %+v; want %d, the key's %s first", checks, tc.n, tc.first)
			}
			if !strings.Contains(rec.Text(), tc.summary) {
				t.Errorf("summary lacks %q:\n%s", tc.summary, rec.Text())
			}
		})
	}
}
