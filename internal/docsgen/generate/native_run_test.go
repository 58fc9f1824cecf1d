package generate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/testkeys"
)

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// composite plays the runner for native/action.yml: it evaluates the
// expressions the file uses, runs each `run:` step with bash as the
// runner does (bash --noprofile --norc -eo pipefail), gives each step its
// own GITHUB_OUTPUT file, and skips actions/setup-go (the Go running this
// test stands in for it).
type composite struct {
	t          *testing.T
	root, temp string
	inputs     map[string]string
	steps      map[string]map[string]string
	stdout     bytes.Buffer
}

func (c *composite) eval(s string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRe.FindStringSubmatch(m)[1]
		parts := strings.Split(e, ".")
		switch {
		case len(parts) == 2 && parts[0] == "inputs":
			return c.inputs[parts[1]]
		case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
			return c.steps[parts[1]][parts[3]]
		case e == "github.action_ref", e == "github.action_repository", e == "github.token":
			return ""
		case e == "github.action_path":
			return filepath.Join(c.root, "native")
		}
		c.t.Fatalf("native/action.yml uses the expression %q, which this test does not evaluate", e)
		return ""
	})
}

func (c *composite) run(a *actionFile, extraEnv ...string) (outputs map[string]string, exitErr error) {
	t := c.t
	ws := t.TempDir()
	summary := filepath.Join(c.temp, "summary")
	if err := os.WriteFile(summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	gopath, _ := exec.Command("go", "env", "GOPATH", "GOCACHE", "GOMODCACHE").Output()
	gov := strings.Fields(string(gopath))
	for i, s := range a.Runs.Steps {
		if s.Uses != "" {
			continue
		}
		out := filepath.Join(c.temp, "output-"+s.ID+"-"+string(rune('a'+i)))
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", c.eval(s.Run))
		cmd.Dir = ws
		if s.WorkingDirectory != "" {
			cmd.Dir = c.eval(s.WorkingDirectory)
		}
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
			"GITHUB_ACTIONS=true", "CI=true", "GITHUB_WORKSPACE=" + ws,
			"GITHUB_ACTION_PATH=" + filepath.Join(c.root, "native"),
			"RUNNER_TEMP=" + c.temp, "GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + summary,
		}
		if len(gov) == 3 {
			cmd.Env = append(cmd.Env, "GOPATH="+gov[0], "GOCACHE="+gov[1], "GOMODCACHE="+gov[2])
		}
		cmd.Env = append(cmd.Env, extraEnv...)
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+c.eval(v))
		}
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &c.stdout, &stderr
		err := cmd.Run()
		b, _ := os.ReadFile(out)
		parsed, perr := actionstest.ParseOutputFile(string(b))
		if perr != nil {
			t.Fatalf("step %q: %v", s.Name, perr)
		}
		if s.ID != "" {
			c.steps[s.ID] = parsed
		}
		if err != nil {
			if s.ID != runStepID {
				t.Fatalf("step %q failed: %v\n%s", s.Name, err, stderr.String())
			}
			return nil, err
		}
	}
	outputs = map[string]string{}
	for n, o := range a.Outputs {
		outputs[n] = c.eval(o.Value)
	}
	return outputs, nil
}

// TestNativeActionRuns runs native/action.yml's steps the way the runner
// runs a composite action on macOS or Windows: the binary is built from
// the checkout, the inputs reach it (hyphenated names included, through
// bash) and its outputs come back as the composite action's outputs.
func TestNativeActionRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: the composite action's steps need it (every hosted runner has it)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the simulation runs bash scripts with POSIX paths")
	}
	a := readAction(t, "native/action.yml")
	keyPEM := testkeys.New(t).PEM

	withDefaults := func(in map[string]string) map[string]string {
		out := map[string]string{}
		for n, i := range a.Inputs {
			if i.Default != nil {
				out[n] = *i.Default
			}
		}
		for n, v := range in {
			out[n] = v
		}
		return out
	}
	tests := []struct {
		name     string
		inputs   map[string]string
		env      []string
		wantFail bool
		check    func(t *testing.T, out map[string]string, log string)
	}{
		{
			name: "token from inputs",
			inputs: map[string]string{
				"private-key": keyPEM, "key-id": "ABCDE12345",
				"issuer-id": "69a6de70-03db-47e3-e053-5b8c7c11a4d1", "expires-in": "10m",
			},
			check: func(t *testing.T, out map[string]string, log string) {
				if strings.Count(out["token"], ".") != 2 {
					t.Errorf("token output is not a JWT (%d chars)", len(out["token"]))
				}
				if out["key-id"] != "ABCDE12345" || out["key-type"] != "team" {
					t.Errorf("key-id %q key-type %q", out["key-id"], out["key-type"])
				}
				exp, err := time.Parse(time.RFC3339, out["expires-at"])
				if err != nil || time.Until(exp) > 11*time.Minute || time.Until(exp) < 5*time.Minute {
					t.Errorf("expires-at %q does not reflect expires-in 10m (%v)", out["expires-at"], err)
				}
				masked := false
				for _, l := range strings.Split(log, "\n") {
					if strings.HasPrefix(l, "::add-mask::") {
						masked = masked || strings.TrimPrefix(l, "::add-mask::") == out["token"]
					} else if strings.Contains(l, out["token"]) {
						t.Errorf("a log line holds the token")
					}
				}
				if !masked {
					t.Errorf("the token was not masked")
				}
			},
		},
		{
			name:   "the job's ASC_* environment is a fallback",
			inputs: map[string]string{"key-id": "ZYXWV98765"},
			env:    []string{"ASC_PRIVATE_KEY=" + keyPEM},
			check: func(t *testing.T, out map[string]string, log string) {
				if out["key-id"] != "ZYXWV98765" || out["key-type"] != "individual" || out["token"] == "" {
					t.Errorf("outputs %v", keys(out))
				}
			},
		},
		{
			// A rehearsal switched on from outside the workflow (`act --env
			// ASC_API_URL=emulator`): api-url is not given, and action.yml
			// has no default for it that would win over the job's env.
			name:   "a job env of ASC_API_URL emulator rehearses verify",
			inputs: map[string]string{"command": "verify", "private-key": keyPEM, "key-id": "ABCDE12345", "issuer-id": "69a6de70-03db-47e3-e053-5b8c7c11a4d1"},
			env:    []string{"ASC_API_URL=emulator"},
			check: func(t *testing.T, out map[string]string, log string) {
				if out["key-status"] != "valid" || !strings.Contains(log, "title=rehearsal") {
					t.Errorf("key-status %q, want valid from the emulator; log:\n%s", out["key-status"], log)
				}
			},
		},
		{
			name:   "verify with empty secrets, as on a fork's pull request",
			inputs: map[string]string{"command": "verify", "private-key": "", "key-id": ""},
			env:    []string{"GITHUB_EVENT_NAME=pull_request"},
			check: func(t *testing.T, out map[string]string, log string) {
				if out["key-status"] != "skipped" || out["reason"] != "missing-secrets" {
					t.Errorf("key-status %q reason %q, want skipped / missing-secrets", out["key-status"], out["reason"])
				}
				if out["token"] != "" {
					t.Errorf("verify set the token output")
				}
			},
		},
		{
			name:     "an unknown command fails the step",
			inputs:   map[string]string{"command": "no-such-command"},
			wantFail: true,
			check: func(t *testing.T, out map[string]string, log string) {
				if !strings.Contains(log, "no-such-command") {
					t.Errorf("the log does not name the unknown command:\n%s", log)
				}
			},
		},
	}
	root := repoRoot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &composite{t: t, root: root, temp: t.TempDir(), inputs: withDefaults(tt.inputs), steps: map[string]map[string]string{}}
			out, err := c.run(a, tt.env...)
			if (err != nil) != tt.wantFail {
				t.Fatalf("run step error %v, want failure %v\n%s", err, tt.wantFail, c.stdout.String())
			}
			tt.check(t, out, c.stdout.String())
		})
	}
}

// TestNativeActionScriptsShellcheck runs shellcheck over the composite
// action's bash steps (actionlint checks workflows, not action metadata).
func TestNativeActionScriptsShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck; .ci/run installs it); the composite action's scripts are not linted here")
	}
	a := readAction(t, "native/action.yml")
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "step.sh")
			script := "#!/usr/bin/env bash\nset -eo pipefail\n" + exprRe.ReplaceAllString(s.Run, "EXPR")
			if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(sc, f).CombinedOutput()
			if err != nil {
				t.Errorf("shellcheck: %v\n%s", err, out)
			}
		})
	}
}
