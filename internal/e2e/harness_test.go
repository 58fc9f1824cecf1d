package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/testkeys"
)

var binary string

func TestMain(m *testing.M) {
	if os.Getenv(standInEnv) != "" { // this binary re-executed as GitHub's API (webhook_relay_test.go)
		os.Exit(serveGitHubStandIn())
	}
	dir, err := os.MkdirTemp("", "asc-action-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "asc-action")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, "../..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building asc-action:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testKey is a key generated for one test, with its secret forms.
type testKey struct {
	priv *ecdsa.PrivateKey
	pem  string
	der  []byte
}

func newKey(t testing.TB) testKey {
	t.Helper()
	k := testkeys.New(t)
	return testKey{priv: k.Private, der: k.DER, pem: k.PEM}
}

// material lists the strings that must never appear unmasked.
func (k testKey) material() []string {
	out := []string{base64.StdEncoding.EncodeToString(k.der), base64.StdEncoding.EncodeToString([]byte(k.pem))}
	for _, l := range strings.Split(strings.TrimSpace(k.pem), "\n") {
		if !strings.HasPrefix(l, "-----") && len(l) >= 8 {
			out = append(out, l)
		}
	}
	return out
}

// step is one run of the binary as a container action step.
type step struct {
	stdout, stderr, summary string
	outputs                 map[string]string
	outputErr               error
	code                    int
}

// runStep runs the binary as the runner runs a container action: every
// input action.yml declares as INPUT_<NAME> with hyphens kept (the step's
// value, else action.yml's default, else empty, as GitHub's runner and act
// pass them), GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY files, the
// workspace as working directory.
func runStep(t *testing.T, inputs map[string]string, extraEnv ...string) step {
	t.Helper()
	ws := t.TempDir()
	files := t.TempDir()
	out := filepath.Join(files, "output")
	sum := filepath.Join(files, "summary")
	envf := filepath.Join(files, "env")
	for _, f := range []string{out, sum, envf} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(binary)
	cmd.Dir = ws
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + sum, "GITHUB_ENV=" + envf,
		"RUNNER_TEMP=" + files,
	}
	inputEnv, err := actionstest.InputEnv(actionInputs(t), inputs)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(cmd.Env, inputEnv...)
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	s := step{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		s.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(sum)
	s.summary = string(b)
	b, _ = os.ReadFile(out)
	s.outputs, s.outputErr = actionstest.ParseOutputFile(string(b))
	if ws, _ := os.ReadDir(ws); len(ws) != 0 {
		t.Errorf("the step wrote %d entries into the workspace", len(ws))
	}
	return s
}

// actionInputs returns the inputs the repository's action.yml declares, with
// their defaults.
func actionInputs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := actionstest.ActionInputs(b)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// assertNoLeak fails when any printed line other than an ::add-mask:: command,
// the summary, or any output but allowed contains one of the secrets.
func assertNoLeak(t *testing.T, s step, secrets []string, allowedOutputs ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, a := range allowedOutputs {
		allowed[a] = true
	}
	check := func(where, text string) {
		for _, sec := range secrets {
			if sec != "" && strings.Contains(text, sec) {
				t.Errorf("%s contains secret material (%d chars)", where, len(sec))
			}
		}
	}
	for _, line := range strings.Split(s.stdout, "\n") {
		if strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		check("stdout", line)
	}
	check("stderr", s.stderr)
	check("job summary", s.summary)
	for k, v := range s.outputs {
		if !allowed[k] {
			check("output "+k, v)
		}
	}
}

// masks returns the values of ::add-mask:: lines, and the index of the
// first stdout line that is not one.
func masks(stdout string) (vals []string, firstOther int) {
	firstOther = -1
	for i, line := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			vals = append(vals, v)
		} else if firstOther < 0 && line != "" {
			firstOther = i
		}
	}
	return vals, firstOther
}
