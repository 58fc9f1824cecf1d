package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// TestEmulatorProcessAnswersCurl runs `asc-action emulator` as its own
// process and talks to it with curl, a client that is not ours, using a
// token minted by `asc-action token` from the key file the emulator wrote.
func TestEmulatorProcessAnswersCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed for this test (apt-get install curl): %v", err)
	}
	emu := emulatortest.Start(t, binary)
	url, kid, iss, path, stop := emu.URL, emu.KeyID, emu.IssuerID, emu.KeyPath, emu.Stop

	out, err := exec.Command(binary, "token", "--private-key-path", path, "--key-id", kid, "--issuer-id", iss, "--quiet").Output()
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(out))

	get := func(auth string, path string) (int, map[string]any, string) {
		args := []string{"-g", "-sS", "-o", "-", "-w", "\n%{http_code}", url + path}
		if auth != "" {
			args = append([]string{"-H", "Authorization: Bearer " + auth}, args...)
		}
		b, err := exec.Command(curl, args...).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		s := string(b)
		i := strings.LastIndexByte(s, '\n')
		var code int
		if _, err := fmtSscan(s[i+1:], &code); err != nil {
			t.Fatalf("curl status %q", s[i+1:])
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(s[:i]), &doc); err != nil {
			t.Fatalf("body is not JSON: %q", s[:i])
		}
		return code, doc, s[:i]
	}

	code, doc, _ := get(tok, "/v1/apps?filter[bundleId]=com.example.demo")
	if code != 200 {
		t.Fatalf("GET /v1/apps with the token: %d %v", code, doc)
	}
	data, _ := doc["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["type"] != "apps" {
		t.Errorf("apps document = %v", doc)
	}
	code, doc, body := get("", "/v1/apps")
	errs, _ := doc["errors"].([]any)
	if code != 401 || len(errs) != 1 || errs[0].(map[string]any)["status"] != "401" || errs[0].(map[string]any)["code"] != "NOT_AUTHORIZED" {
		t.Errorf("without a token: %d %s", code, body)
	}
	code, _, body = get(tok+"x", "/v1/apps")
	if code != 401 {
		t.Errorf("with a tampered token: %d %s", code, body)
	}

	// On Ctrl-C the emulator stops and removes the throwaway key it wrote.
	stop()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("the throwaway key folder %s is still there after the emulator stopped (%v)", filepath.Dir(path), err)
	}
}

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(strings.TrimSpace(s), v) }
