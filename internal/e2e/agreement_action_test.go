package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// appleAgreementServer answers every request exactly as App Store Connect
// answers an account whose Account Holder has not accepted a required
// agreement, in one of its two forms.
func appleAgreementServer(t *testing.T, legacy bool) string {
	t.Helper()
	item := map[string]string{"id": "5d6cbd6a-29b6-4a6e-a4a2-0c5b8b0e2c11", "status": "403",
		"code": "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", "title": "A required agreement is missing or has expired.",
		"detail": "This request requires an in-effect agreement that has not been signed or has expired."}
	if legacy {
		item["code"], item["title"] = "FORBIDDEN", "Access Unavailable"
		item["detail"] = "You currently don't have access to this resource. To resolve this issue, the Account Holder must agree to the latest Program License Agreement in their account on the Apple Developer website. https://developer.apple.com/account"
	}
	body, _ := json.Marshal(map[string]any{"errors": []any{item}})
	// Held to Apple's document, as the emulator is: this server is no
	// looser about the contract than Apple.
	ts := httptest.NewServer(contract.ForTest(t).Middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:3499;")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(body)
	})))
	t.Cleanup(ts.Close)
	return ts.URL
}

// agreementSteps are the steps of every command that calls App Store
// Connect, for the key k against url.
func agreementSteps(t *testing.T, k testKey, url string) map[string]map[string]string {
	path, _ := writeIPA(t, "777", 2000)
	base := func(cmd string) map[string]string {
		return map[string]string{"command": cmd, "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url}
	}
	steps := map[string]map[string]string{"verify": base("verify"), "upload": base("upload"), "distribute": base("distribute"), "check-expiry": base("check-expiry")}
	steps["upload"]["app-path"] = path
	steps["distribute"]["build-id"] = "BUILD00001"
	steps["distribute"]["testflight-groups"] = "Internal Testers"
	return steps
}

// assertAgreementMessage checks that a step stopped by the agreement says
// so in its own words: who fixes it, where, and that no key or role helps.
func assertAgreementMessage(t *testing.T, cmd string, s step, code string) {
	t.Helper()
	out := actionstest.Masked(s.stdout, s.stdout)
	if s.code != 1 {
		t.Errorf("%s: exit %d, want 1\n%s", cmd, s.code, out)
	}
	for _, want := range []string{"::error", "Account Holder", "developer.apple.com/account", "Agreements", "No new API key", code} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("%s: the log lacks %q:\n%s", cmd, want, out)
		}
	}
	for _, wrong := range []string{"role may not read apps", "Admin or App Manager role", "give it the Admin"} {
		if strings.Contains(s.stdout, wrong) {
			t.Errorf("%s: the log sends the user to key roles (%q):\n%s", cmd, wrong, out)
		}
	}
}

// TestAgreementBlockedSteps: every command that calls App Store Connect,
// run as a step against a plain server answering Apple's 403 in each form
// and against the emulator playing the same blocker, says the account is
// blocked until the Account Holder accepts the agreement.
func TestAgreementBlockedSteps(t *testing.T) {
	k := newKey(t)
	forms := []struct {
		name, emu, code string
		legacy          bool
	}{
		{"required-agreements code", emulator.AgreementMissing, "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", false},
		{"Access Unavailable", emulator.AgreementLegacy, "FORBIDDEN", true},
	}
	for _, f := range forms {
		data := emulator.DefaultData(time.Now())
		data.Blockers = &emulator.Blockers{Agreement: f.emu}
		srv, emuURL := emulatorFor(t, k, emulator.Config{Data: data})
		servers := map[string]string{"apple": appleAgreementServer(t, f.legacy), "emulator": emuURL}
		for where, url := range servers {
			for cmd, in := range agreementSteps(t, k, url) {
				t.Run(f.name+"/"+where+"/"+cmd, func(t *testing.T) {
					s := runStep(t, in)
					assertAgreementMessage(t, cmd, s, f.code)
					if cmd == "verify" && (s.outputs["reason"] != "agreement-missing" || s.outputs["key-status"] != "invalid") {
						t.Errorf("verify outputs %v", s.outputs)
					}
					if cmd == "verify" && !strings.Contains(s.summary, "agreement-missing") {
						t.Errorf("verify summary:\n%s", s.summary)
					}
					assertNoLeak(t, s, k.material())
				})
			}
		}
		if n := srv.Requests()["buildUploads_createInstance"]; n != 0 {
			t.Errorf("%s: %d build uploads created on a blocked account", f.name, n)
		}
	}
}

// TestAgreementRehearsal: api-url: emulator with ASC_EMULATOR_AGREEMENT
// shows the message before the real account meets it; the emulator
// command's --agreement flag serves the same blocker to any client.
func TestAgreementRehearsal(t *testing.T) {
	k := newKey(t)
	for _, form := range []string{"missing", "legacy"} {
		s := runStep(t, map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": "emulator"},
			emulator.EnvAgreement+"="+form)
		assertAgreementMessage(t, "verify rehearsal "+form, s, "FORBIDDEN")
		if s.outputs["reason"] != "agreement-missing" || !strings.Contains(s.stdout, emulator.EnvAgreement) {
			t.Errorf("rehearsal %s: outputs %v\n%s", form, s.outputs, s.stdout)
		}
	}
	s := runStep(t, map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": "emulator"},
		emulator.EnvAgreement+"=signed")
	if s.code == 0 || !strings.Contains(s.stdout, "missing or legacy") {
		t.Errorf("a bad %s: exit %d\n%s", emulator.EnvAgreement, s.code, s.stdout)
	}

	emu := emulatortest.Start(t, binary, "--agreement", "legacy")
	s = runStep(t, map[string]string{"command": "check-expiry", "private-key-path": emu.KeyPath, "key-id": emu.KeyID, "issuer-id": emu.IssuerID, "api-url": emu.URL})
	assertAgreementMessage(t, "check-expiry against `asc-action emulator --agreement legacy`", s, "FORBIDDEN")
}
