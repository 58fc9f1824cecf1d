package e2e

import (
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

// TestDemoStep runs `command: demo` as a step: the whole job against the
// built-in emulator, with a throwaway key that is masked and never printed.
func TestDemoStep(t *testing.T) {
	s := runStep(t, map[string]string{"command": "demo"})
	if s.code != 0 || s.outputs["result"] != "ok" {
		t.Fatalf("exit %d outputs %v\n%s", s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
	}
	for _, step := range []string{"| token | ok |", "| verify | ok |", "| upload | ok |", "processing-state=VALID", "beta-review-state=WAITING_FOR_REVIEW",
		"| webhook | ok |", "| relay → GitHub | ok | repository_dispatch asc-build-upload-state-updated", "new_state=COMPLETE", "| distribute | ok |"} {
		if !strings.Contains(s.summary, step) {
			t.Errorf("summary lacks %q:\n%s", step, s.summary)
		}
	}
	if !strings.Contains(s.stdout, "::add-mask::") {
		t.Error("the throwaway key was not masked")
	}
	for _, line := range strings.Split(s.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") && (strings.Contains(line, "PRIVATE KEY") || strings.Count(line, ".") == 2 && strings.HasPrefix(strings.TrimSpace(line), "ey")) {
			t.Errorf("stdout line shows key or token material: %.40q", line)
		}
	}
	if _, ok := s.outputs["token"]; ok {
		t.Error("the demo exposed its token as an output")
	}
}
