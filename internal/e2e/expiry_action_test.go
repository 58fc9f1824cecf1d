package e2e

import (
	"encoding/json"
	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/emulator"
	"strconv"
	"strings"
	"testing"
)

// TestCheckExpiryStep runs the nightly audit as a container-action step
// against the emulator's demo account: one certificate and one profile
// expired 5 days ago, one of each with 12 days left, one of each with 300.
func TestCheckExpiryStep(t *testing.T) {
	k := newKey(t)
	_, url := emulatorFor(t, k, emulator.Config{})
	cases := []struct {
		name           string
		warn, fail     string
		code, expiring int
	}{
		{"defaults: expired items fail", "30", "7", 1, 4},
		{"warn 10: only the expired ones count", "10", "0", 1, 2},
		{"warn 400: everything is expiring", "400", "0", 1, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := runStep(t, map[string]string{"command": "check-expiry", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer,
				"api-url": url, "warn-days": tc.warn, "fail-days": tc.fail})
			if s.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", s.code, tc.code, actionstest.Masked(s.stdout, s.stdout))
			}
			if n, err := strconv.Atoi(s.outputs["expiring-count"]); err != nil || n != tc.expiring {
				t.Errorf("expiring-count %q, want %d", s.outputs["expiring-count"], tc.expiring)
			}
			var report map[string]any
			if err := json.Unmarshal([]byte(s.outputs["report"]), &report); err != nil {
				t.Fatalf("report is not JSON: %v", err)
			}
			if strings.ContainsAny(s.outputs["report"], "\n\r") {
				t.Error("report is not a single line")
			}
			if !strings.Contains(s.summary, "iOS Distribution: Example Ltd (old)") || !strings.Contains(s.summary, "|") {
				t.Errorf("summary lacks the table:\n%s", s.summary)
			}
			if !strings.Contains(s.stdout, "::error") && tc.code != 0 {
				t.Error("no error annotation for the expired items")
			}
			assertNoLeak(t, s, k.material())
		})
	}
}
