package acttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/shipcheck"
)

// standIns are the third-party actions act takes from .ci/act/stubs (by
// the exact reference the files pin, as act's --local-repository matches).
var standIns = map[string]string{
	setupGoRef: "setup-go",
	"actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02":   "upload-artifact",
	"actions/download-artifact@634f93cb2916e3fdff6788551b99b062d0335ce0": "download-artifact",
}

// TestStandInsMatchThePins: every reference of a stood-in action in the
// files act runs is one TestWorkflowsUnderAct replaces (a new pin would
// otherwise make act fetch from GitHub, which CI cannot reach), and each
// stand-in exists. Runs everywhere: it needs no act.
func TestStandInsMatchThePins(t *testing.T) {
	root, err := shipcheck.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(root, "native", "action.yml"), filepath.Join(root, ".github", "workflows", "self-test.yml")}
	ex, _ := filepath.Glob(filepath.Join(root, "examples", "*.yml"))
	files = append(files, ex...)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			_, ref, ok := strings.Cut(line, "uses: ")
			if !ok {
				continue
			}
			ref, _, _ = strings.Cut(strings.TrimSpace(ref), " ")
			name, _, _ := strings.Cut(ref, "@")
			for pin := range standIns {
				if p, _, _ := strings.Cut(pin, "@"); p == name {
					seen[pin] = true
					if ref != pin {
						t.Errorf("%s uses %s; the act test stands in for %s: update standIns and the --local-repository flags", f, ref, pin)
					}
				}
			}
		}
	}
	for pin, dir := range standIns {
		if !seen[pin] {
			t.Errorf("no file uses %s any more; drop its stand-in", pin)
		}
		if _, err := os.Stat(filepath.Join(root, ".ci", "act", "stubs", dir, "action.yml")); err != nil {
			t.Errorf("stand-in of %s: %v", pin, err)
		}
	}
}

func TestBuildFailed(t *testing.T) {
	failed := "[w/j] ⭐ Run Main Mint a token\n[w/j]   🐳  docker build -t act-dockeraction:latest /src\n[w/j]   ❌  Failure - Main Mint a token [30s]\n"
	later := "[w/j]   🐳  docker build -t act-dockeraction:latest /src\n[w/j] token\n[w/j]   ❌  Failure - Main Check [1s]\n"
	if !buildFailed(failed) || buildFailed(later) || buildFailed("[w/j] 🏁  Job succeeded\n") {
		t.Errorf("buildFailed: %v %v", buildFailed(failed), buildFailed(later))
	}
}
