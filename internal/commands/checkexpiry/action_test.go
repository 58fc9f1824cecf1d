package checkexpiry

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions"
	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/command"
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
	dir := t.TempDir()
	outFile, sumFile := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": sumFile,
		"INPUT_COMMAND": "check-expiry", "INPUT_PRIVATE-KEY": h.key.pem, "INPUT_KEY-ID": keyID, "INPUT_ISSUER-ID": issuer,
		"INPUT_API-URL": h.url, "INPUT_WARN-DAYS": "30", "INPUT_FAIL-DAYS": "7", "INPUT_P12-PASSWORD": "unused-Pass-7",
	}
	var stdout bytes.Buffer
	r := &actions.Runner{
		Commands: []*command.Command{Command()}, Getenv: func(k string) string { return env[k] }, Stdout: &stdout,
		Now: func() time.Time { return now }, HTTP: &http.Client{Timeout: 10 * time.Second},
	}
	code := r.Run(context.Background())
	if code != 1 {
		t.Fatalf("exit %d, want 1 (items expired)\n%s", code, stdout.String())
	}
	outs := readOutputs(t, outFile)
	if outs[OutExpiringCount] != "6" {
		t.Errorf("expiring-count %q, want 6", outs[OutExpiringCount])
	}
	var rep struct{ Items []json.RawMessage }
	if err := json.Unmarshal([]byte(outs[OutReport]), &rep); err != nil || len(rep.Items) != 1+2*(4+fillers) {
		t.Errorf("report output: %d items, %v", len(rep.Items), err)
	}
	log := stdout.String()
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
	sum, _ := os.ReadFile(sumFile)
	if !strings.Contains(string(sum), "## App Store Connect expiry audit") || !strings.Contains(string(sum), "| ⛔ expired | -5 |") {
		t.Errorf("summary:\n%.600s", sum)
	}
}
