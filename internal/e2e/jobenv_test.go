package e2e

import (
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

// TestJobEnvRehearsal is a step that gives no api-url, in a job whose env:
// sets ASC_API_URL=emulator (how a workflow is rehearsed from outside, e.g.
// `act --env ASC_API_URL=emulator`): the step rehearses, nothing is sent to
// Apple. The runner passes every input, with action.yml's default where
// the step gives none, so this needs action.yml to leave api-url's default
// to the binary.
func TestJobEnvRehearsal(t *testing.T) {
	k := newKey(t)
	s := runStep(t, map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer},
		"ASC_API_URL=emulator")
	if s.code != 0 || s.outputs["key-status"] != "valid" {
		t.Fatalf("exit %d, outputs %v\n%s", s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
	}
	if !strings.Contains(s.stdout, "title=rehearsal") {
		t.Errorf("no rehearsal notice:\n%s", actionstest.Masked(s.stdout, s.stdout))
	}
	assertNoLeak(t, s, k.material())
}
