package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// npmDir holds the npm clients, pinned by package-lock.json; `npm ci` there
// installs them (.ci/run does, and TestNpmClients does when they are absent).
const npmDir = "testdata/npm"

// TestNpmClients rehearses a TestFlight step with two App Store Connect
// clients from npm that were not written here, each against its own
// `asc-action emulator` process and signing its own tokens with the key the
// emulator generated for the run: list apps, builds, pre-release versions,
// beta groups and testers, answer export compliance, add the newest build
// to the external group and write its "What to Test" notes, then read them
// back.
func TestNpmClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not installed (apt-get install nodejs npm)")
	}
	installNpmClients(t)
	for _, script := range []string{"sdk.mjs", "nasc.mjs"} {
		t.Run(script, func(t *testing.T) {
			emu := emulatortest.Start(t, binary, "--data", "../emulator/testdata/account.json")
			whatsNew := "Rehearsed with " + script
			cmd := exec.Command(node, script)
			cmd.Dir = npmDir
			cmd.Env = append(os.Environ(), "ASC_URL="+emu.URL, "ASC_KEY_ID="+emu.KeyID, "ASC_ISSUER_ID="+emu.IssuerID,
				"ASC_KEY_PATH="+emu.KeyPath, "ASC_BUNDLE_ID=com.example.demo", "ASC_WHATS_NEW="+whatsNew)
			out, err := cmd.Output()
			if err != nil {
				stderr := ""
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("node %s: %v\n%s%s", script, err, out, stderr)
			}
			var got struct {
				App                string
				Builds             []string
				PreReleaseVersions []string
				BetaGroups         []string
				BetaTesters        []string
				Build, Group       string
				GroupBuilds        []string
				WhatsNew           []string
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node %s printed %q: %v", script, out, err)
			}
			// What testdata/account.json seeds.
			if got.App != "1000000001" || len(got.Builds) == 0 || got.Builds[0] != "42" {
				t.Errorf("app %s, builds %v: want app 1000000001, newest build 42 first", got.App, got.Builds)
			}
			if strings.Join(got.PreReleaseVersions, ",") != "1.0,1.1" {
				t.Errorf("pre-release versions %v", got.PreReleaseVersions)
			}
			if strings.Join(got.BetaGroups, ",") != "Internal Testers,Public Beta" {
				t.Errorf("beta groups %v", got.BetaGroups)
			}
			if strings.Join(got.BetaTesters, ",") != "jane@example.com,sam@example.com" {
				t.Errorf("beta testers %v", got.BetaTesters)
			}
			if got.Build != "BUILD00002" || got.Group != "GROUP00002" || !slices.Contains(got.GroupBuilds, "BUILD00002") {
				t.Errorf("build %s added to group %s; the group's builds are %v", got.Build, got.Group, got.GroupBuilds)
			}
			if !slices.Equal(got.WhatsNew, []string{whatsNew}) {
				t.Errorf("What to Test read back %q, want %q", got.WhatsNew, whatsNew)
			}
		})
	}
}

// installNpmClients runs `npm ci` in npmDir when its node_modules is absent
// (a fresh clone), so that the test runs wherever npm is, as it does in CI.
// The versions come from package-lock.json, and npm checks each package
// against the lock file's integrity hash.
func installNpmClients(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(npmDir, "node_modules")); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing(t, "npm is not installed (apt-get install npm), so the npm clients in internal/e2e/"+npmDir+" cannot be installed")
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = npmDir
	if out, err := cmd.CombinedOutput(); err != nil {
		// Only the registry being out of reach is a reason to go on without
		// the clients, and only outside CI; missing says so.
		missing(t, fmt.Sprintf("npm ci in internal/e2e/%s failed (is the npm registry reachable?): %v\n%s", npmDir, err, out))
	}
}

// missing fails under CI (where .ci/run installs the clients) and skips
// elsewhere, saying how to install what is missing.
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
