package checkexpiry

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

// readOutputs reads a GITHUB_OUTPUT file with the runner's rules, failing
// t where the runner would fail the step.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := actionstest.ParseOutputFile(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The command as a GitHub Action step runs it: INPUT_* variables in, the
// output and summary files and workflow commands out.
func TestAsActionStep(t *testing.T) {
	h := newHarness(t)
	code, log, sum, outs := stepRun(t, h.url, map[string]string{
		"private-key": h.key.pem, "warn-days": "30", "fail-days": "7", "p12-password": "unused-Pass-7",
	})
	if code != 1 {
		t.Fatalf("exit %d, want 1 (items expired)\n%s", code, log)
	}
	if outs[OutExpiringCount] != "6" {
		t.Errorf("expiring-count %q, want 6", outs[OutExpiringCount])
	}
	var rep struct{ Items []json.RawMessage }
	if err := json.Unmarshal([]byte(outs[OutReport]), &rep); err != nil || len(rep.Items) != 1+2*(4+fillers) {
		t.Errorf("report output: %d items, %v", len(rep.Items), err)
	}
	if got := strings.Count(log, "::error title="); got != 4 {
		t.Errorf("%d error annotations, want 4:\n%s", got, log)
	}
	if !strings.Contains(log, "::add-mask::unused-Pass-7") {
		t.Error("p12-password was not masked")
	}
	var printed []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			printed = append(printed, line)
		}
	}
	if strings.Contains(strings.Join(printed, "\n"), "PRIVATE KEY") {
		t.Error("the key reached the log outside its masks")
	}
	if !strings.Contains(sum, "## App Store Connect expiry audit") || !strings.Contains(sum, "| ⛔ expired | -5 |") {
		t.Errorf("summary:\n%.600s", sum)
	}
}
