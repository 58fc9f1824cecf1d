package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions"
	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/command"
)

// TestJobEnvSteersEveryInput runs each command of each action form the way
// a runner (GitHub's or act) starts the step: every input action.yml
// declares is passed, with its action.yml default where the step gives
// none; the composite action (native/action.yml) hands them on unchanged.
// With only `command` given and each input's environment variable set in
// the job's env:, the command must see the variable's value: an action.yml
// default would win over it (as api-url's Apple URL once won over
// ASC_API_URL=emulator).
func TestJobEnvSteersEveryInput(t *testing.T) {
	for _, rel := range []string{"action.yml", "native/action.yml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", rel))
		if err != nil {
			t.Fatal(err)
		}
		declared, err := actionstest.ActionInputs(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range Commands() {
			if cmd.CLIOnly {
				continue
			}
			for _, in := range cmd.Inputs {
				if in.Env == "" || in.CLIOnly {
					continue
				}
				t.Run(rel+"/"+cmd.Name+"/"+in.Env, func(t *testing.T) {
					env, err := actionstest.InputEnv(declared, map[string]string{"command": cmd.Name})
					if err != nil {
						t.Fatal(err)
					}
					want := "from-the-job-env"
					got, ok := resolvedInput(t, cmd, in.Name, append(env, in.Env+"="+want))
					if !ok || got != want {
						t.Errorf("input %s with %s=%s in the job's env: the command sees %q (set %v)", in.Name, in.Env, want, got, ok)
					}
				})
			}
		}
	}
}

// resolvedInput runs a copy of cmd through the Actions front end with the
// environment env and returns what the copy's Run sees for input name.
func resolvedInput(t *testing.T, cmd *command.Command, name string, env []string) (string, bool) {
	t.Helper()
	vars := map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "out")}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var got string
	var ok bool
	probe := *cmd
	probe.Run = func(_ context.Context, e *command.Env) error {
		got, ok = e.Inputs.Lookup(name)
		return nil
	}
	var out bytes.Buffer
	r := &actions.Runner{Commands: []*command.Command{&probe}, Getenv: func(k string) string { return vars[k] }, Stdout: &out}
	if code := r.Run(context.Background()); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	return got, ok
}

// TestReadmeEnvVariablesAreInputs: every ASC_* variable the README names
// is an input's environment variable (so TestJobEnvSteersEveryInput covers
// it), or one of the native installer's own.
func TestReadmeEnvVariablesAreInputs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The native installer's own variables: those native/install.sh names.
	installer, err := os.ReadFile(filepath.Join("..", "..", "native", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for _, v := range regexp.MustCompile(`\b(ASC_ACTION_[A-Z0-9_]+)`).FindAllSubmatch(installer, -1) {
		known = append(known, string(v[1]))
	}
	if !slices.Contains(known, "ASC_ACTION_DOWNLOAD_URL") {
		t.Fatalf("native/install.sh reads none of its ASC_ACTION_* variables as expected: %q", known)
	}
	for _, cmd := range Commands() {
		for _, in := range cmd.Inputs {
			if in.Env != "" {
				known = append(known, in.Env)
			}
		}
	}
	seen := 0
	for _, v := range regexp.MustCompile("`(ASC_[A-Z0-9_]+)`").FindAllSubmatch(b, -1) {
		seen++
		if !slices.Contains(known, string(v[1])) {
			t.Errorf("README names %s, which no input reads", v[1])
		}
	}
	if seen < 10 {
		t.Errorf("found %d ASC_* variables in the README; the pattern no longer matches", seen)
	}
}
