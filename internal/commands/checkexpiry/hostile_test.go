package checkexpiry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions"
	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/cli"
	"github.com/asc-action/asc-action/internal/command"
)

// Strings a server answering as App Store Connect could put in a name or
// an error's detail, each trying to become a workflow command, an
// annotation property, or HTML, a mention or a broken table in Markdown.
var hostileNames = []string{
	"Dist\n::add-mask::pwned-mask",
	"Dist\r::set-output name=token::pwned-output",
	"::stop-commands::pwned-stop",
	"  ::warning file=pwned.go::pwned-indented",
	"Dist ##[add-mask]pwned-v1",
	"Dist,file=pwned.go,line=1: @octocat <img src=x onerror=alert(1)> | col",
	"\u00a0::error::pwned-nbsp\x1b[31m",
}

const hostileDetail = "quota\n::add-mask::pwned-detail\n::stop-commands::pwned-detail-stop\n<script>alert(1)</script> @everyone"

// hostileASC answers like App Store Connect: the key check succeeds;
// certificates are listed with hostile names and types; profiles fail with
// a hostile error detail. With failLists, both lists answer 500.
func hostileASC(t *testing.T, failLists bool) string {
	t.Helper()
	serverError := func(w http.ResponseWriter, detail string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
			"id": "e1", "status": "500", "code": "UNEXPECTED_ERROR", "title": "An unexpected error occurred.", "detail": detail,
		}}})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":[],"links":{"self":"/v1/apps"},"meta":{"paging":{"total":0,"limit":1}}}`)
	})
	mux.HandleFunc("GET /v1/certificates", func(w http.ResponseWriter, r *http.Request) {
		if failLists {
			serverError(w, "internal error")
			return
		}
		var data []map[string]any
		for i, name := range hostileNames {
			data = append(data, map[string]any{"type": "certificates", "id": fmt.Sprintf("C%d", i), "attributes": map[string]any{
				"name": name, "certificateType": "DISTRIBUTION,title=pwned", "serialNumber": fmt.Sprintf("S%d\n::add-mask::pwned-serial", i),
				"expirationDate": now.Add(time.Duration(i+1) * 24 * time.Hour).Format(time.RFC3339),
			}})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": data, "links": map[string]any{"self": "/v1/certificates"}})
	})
	mux.HandleFunc("GET /v1/profiles", func(w http.ResponseWriter, r *http.Request) {
		if failLists {
			serverError(w, "internal error")
			return
		}
		serverError(w, hostileDetail)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// stepRun runs check-expiry as an Action step against url, with a fresh key
// unless inputs name one, and returns the exit status, the log (stdout),
// the summary file's content and the outputs the runner would read.
func stepRun(t *testing.T, url string, inputs map[string]string) (int, string, string, map[string]string) {
	t.Helper()
	key := newKey(t)
	dir := t.TempDir()
	outFile, sumFile := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": sumFile,
		"INPUT_COMMAND": "check-expiry", "INPUT_PRIVATE-KEY": key.pem, "INPUT_KEY-ID": keyID, "INPUT_ISSUER-ID": issuer,
		"INPUT_API-URL": url,
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	var stdout bytes.Buffer
	r := &actions.Runner{
		Commands: []*command.Command{Command()}, Getenv: func(k string) string { return env[k] }, Stdout: &stdout,
		Now: func() time.Time { return now }, HTTP: &http.Client{Timeout: 10 * time.Second},
	}
	code := r.Run(context.Background())
	outs := readOutputs(t, outFile) // the runner would accept the file
	sum, err := os.ReadFile(sumFile)
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), string(sum), outs
}

// ourCommands are the workflow commands the adapter itself issues.
var ourCommands = map[string]bool{"add-mask": true, "group": true, "endgroup": true, "error": true, "warning": true, "notice": true}

// checkLog fails t if the runner would execute anything in log that is not
// one of our own commands as we meant it.
func checkLog(t *testing.T, log string) {
	t.Helper()
	for _, c := range actionstest.Commands(log) {
		if !ourCommands[c.Name] {
			t.Errorf("the runner would execute %q: %q", c.Name, c.Line)
			continue
		}
		if c.Name == "add-mask" && strings.Contains(c.Data, "pwned") {
			t.Errorf("a server string registered a mask: %q", c.Line)
		}
		for k := range c.Properties {
			if k != "title" {
				t.Errorf("annotation property %q injected: %q", k, c.Line)
			}
		}
		if strings.Contains(c.Properties["title"], "pwned") && strings.Contains(c.Properties["title"], "\n") {
			t.Errorf("annotation title holds a line break: %q", c.Line)
		}
	}
	if strings.Contains(log, "Expiry audit passed") {
		t.Error("the audit said it passed")
	}
}

// Regression (issue #14): check-expiry printed server names and error
// details raw, so a newline then ::add-mask::, ::set-output or
// ::stop-commands:: landed at the start of a log line.
func TestHostileServerStringsInjectNoWorkflowCommand(t *testing.T) {
	code, log, sum, _ := stepRun(t, hostileASC(t, false), nil)
	if code != 1 {
		t.Errorf("exit %d, want 1 (expiring certificates, profiles not listed)", code)
	}
	checkLog(t, log)
	if !strings.Contains(log, `pwned-detail\n`) {
		t.Errorf("the error detail is not shown escaped in the log:\n%s", log)
	}
	nAnn := 0
	for _, c := range actionstest.Commands(log) {
		if c.Name == "error" || c.Name == "warning" {
			nAnn++
		}
	}
	if nAnn < len(hostileNames) {
		t.Errorf("%d annotations, want at least %d (one per expiring certificate)", nAnn, len(hostileNames))
	}

	// The summary: no HTML, no mention, and every table row keeps its
	// seven cells whatever the names hold.
	for _, bad := range []string{"<script", "<img", "@octocat", "@everyone", "\x1b"} {
		if strings.Contains(sum, bad) {
			t.Errorf("summary holds %q:\n%s", bad, sum)
		}
	}
	rows := 0
	for _, line := range strings.Split(sum, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Status") || strings.HasPrefix(line, "| ---") {
			continue
		}
		rows++
		if cells := strings.Count(line, "|") - strings.Count(line, `\|`); cells != 8 {
			t.Errorf("row with %d unescaped pipes, want 8: %q", cells, line)
		}
	}
	if rows != len(hostileNames)+2 { // certificates, the profiles error, the key
		t.Errorf("%d table rows, want %d:\n%s", rows, len(hostileNames)+2, sum)
	}
}

// The CLI may run inside a workflow step too: its stderr and stdout are
// read for commands like an Action's log.
func TestHostileServerStringsCLI(t *testing.T) {
	url := hostileASC(t, false)
	key := newKey(t)
	var stdout, stderr bytes.Buffer
	env := map[string]string{"ASC_PRIVATE_KEY": key.pem, "ASC_KEY_ID": keyID, "ASC_ISSUER_ID": issuer}
	r := &cli.Runner{
		Commands: []*command.Command{Command()}, IO: cli.IO{Out: &stdout, Err: &stderr},
		Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return now }, HTTP: &http.Client{Timeout: 10 * time.Second},
	}
	if code := r.Run(context.Background(), []string{"check-expiry", "--api-url", url}); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		if cmds := actionstest.Commands(out); len(cmds) > 0 {
			t.Errorf("%s: the runner would execute %q", name, cmds[0].Line)
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("%s holds a terminal escape sequence", name)
		}
	}
	// The report on stdout is escaped for the log yet decodes to the
	// names the server sent.
	var rep reportJSON
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the report alone: %v: %q", err, stdout.String())
	}
	found := false
	for _, it := range rep.Items {
		found = found || it.Name == "Dist ##[add-mask]pwned-v1"
	}
	if !found {
		t.Errorf("the report lost a name: %+v", rep.Items)
	}
}

// Regression (issue #14): with both lists answering 500 the audit said
// "Expiry audit passed" and exited 0.
func TestUnlistableItemsMakeTheAuditIncomplete(t *testing.T) {
	url := hostileASC(t, true)
	code, log, sum, _ := stepRun(t, url, nil)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	checkLog(t, log)
	const head = "Expiry audit incomplete: certificates could not be listed: "
	if !strings.Contains(log, head) || !strings.Contains(log, "profiles could not be listed: ") {
		t.Errorf("log does not say the audit is incomplete:\n%s", log)
	}
	if !strings.Contains(log, "::error title=expiry audit incomplete::"+head) {
		t.Errorf("no error annotation for the incomplete audit:\n%s", log)
	}
	if !strings.Contains(sum, "**"+head) {
		t.Errorf("summary does not lead with the incomplete audit:\n%s", sum)
	}

	code, log, _, _ = stepRun(t, url, map[string]string{InAllowIncomplete: "true"})
	if code != 0 {
		t.Errorf("allow-incomplete: exit %d, want 0", code)
	}
	if !strings.Contains(log, "::warning title=expiry audit incomplete::"+head) || strings.Contains(log, "::error") {
		t.Errorf("allow-incomplete: want the incomplete audit as a warning, no error:\n%s", log)
	}
}
