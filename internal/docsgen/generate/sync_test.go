package generate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/asc-action/asc-action/internal/app"
)

// TestDocumentsInStep is the drift test: action.yml, native/action.yml and
// README.md's tables must be exactly what the registered commands render.
func TestDocumentsInStep(t *testing.T) {
	m, err := Collect(app.Commands())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Run(repoRoot(t), m, false) {
		t.Run(r.Path, func(t *testing.T) {
			switch {
			case r.Err != nil:
				t.Errorf("%v\n(README.md needs the lines %s / %s around the inputs table and %s / %s around the outputs table; then run `go run ./internal/docsgen -write`)",
					r.Err, ReadmeInputsBegin, ReadmeInputsEnd, ReadmeOutputsBegin, ReadmeOutputsEnd)
			case r.Stale:
				t.Errorf("%s has drifted from the commands' declarations at %s\nRun `go run ./internal/docsgen -write` and commit the result.", r.Path, r.Diff)
			}
		})
	}
}

// actionFile is the part of an action.yml these tests read.
type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using      string `yaml:"using"`
		Image      string `yaml:"image"`
		Entrypoint string `yaml:"entrypoint"`
		Steps      []struct {
			ID               string            `yaml:"id"`
			Name             string            `yaml:"name"`
			Uses             string            `yaml:"uses"`
			With             map[string]string `yaml:"with"`
			Run              string            `yaml:"run"`
			Shell            string            `yaml:"shell"`
			Env              map[string]string `yaml:"env"`
			WorkingDirectory string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T, rel string) *actionFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s is not valid YAML: %v", rel, err)
	}
	return &a
}

// expected lists the input and output names the commands declare, with
// `command` first.
func expected(t *testing.T) (*Model, []string, []string) {
	t.Helper()
	m, err := Collect(app.Commands())
	if err != nil {
		t.Fatal(err)
	}
	ins := []string{commandInput}
	for _, d := range m.Inputs {
		ins = append(ins, d.Name)
	}
	var outs []string
	for _, d := range m.Outputs {
		outs = append(outs, d.Name)
	}
	return m, ins, outs
}

func keys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestActionsDeclareEveryInputAndOutput reads both action.yml files as
// YAML (not as text) and checks them against the commands: the same input
// and output names, a description for each, defaults that match the
// commands', and the metadata the Marketplace needs.
func TestActionsDeclareEveryInputAndOutput(t *testing.T) {
	m, ins, outs := expected(t)
	for _, rel := range []string{"action.yml", "native/action.yml"} {
		t.Run(rel, func(t *testing.T) {
			a := readAction(t, rel)
			if a.Name == "" || a.Description == "" || a.Branding.Icon == "" || a.Branding.Color == "" {
				t.Errorf("name, description and branding (icon, color) are required for the Marketplace")
			}
			if got, want := keys(a.Inputs), sorted(ins); !slices.Equal(got, want) {
				t.Errorf("inputs %v, want %v", got, want)
			}
			if got, want := keys(a.Outputs), sorted(outs); !slices.Equal(got, want) {
				t.Errorf("outputs %v, want %v", got, want)
			}
			for n, in := range a.Inputs {
				if strings.TrimSpace(in.Description) == "" {
					t.Errorf("input %s has no description", n)
				}
				if in.Required {
					t.Errorf("input %s is required; which inputs a step needs depends on the command, so none is", n)
				}
			}
			// A runner passes every input, with action.yml's default where
			// the step gives none, and an input given wins over its
			// environment variable: a default here would hide ASC_API_URL
			// and every other variable a job's env: sets. The binary knows
			// the defaults; the descriptions name them.
			for n, in := range a.Inputs {
				if in.Default != nil {
					t.Errorf("input %s: default %q in %s; leave it to the binary and name it in the description", n, *in.Default, rel)
				}
			}
			if !strings.Contains(a.Inputs[commandInput].Description, "Default: "+defaultCommand+".") {
				t.Errorf("input command: the description does not name the default %q", defaultCommand)
			}
			for _, d := range m.Inputs {
				if d.Default != "" && !strings.Contains(a.Inputs[d.Name].Description, "efault: "+d.Default+".") {
					t.Errorf("input %s: the description does not name the default %q", d.Name, d.Default)
				}
			}
			for _, n := range m.CommandNames {
				if !strings.Contains(a.Inputs[commandInput].Description, n) {
					t.Errorf("the command input's description does not name %s", n)
				}
			}
		})
	}
}

func TestContainerActionRunsTheDockerfile(t *testing.T) {
	a := readAction(t, "action.yml")
	// On branches the runner builds the Dockerfile; at a release tag the
	// release process (.github/release-pin.sh) pins the published image.
	pinned := regexp.MustCompile(`^docker://ghcr\.io/[a-z0-9._-]+/[a-z0-9._-]+:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$`)
	if a.Runs.Using != "docker" || (a.Runs.Image != "Dockerfile" && !pinned.MatchString(a.Runs.Image)) {
		t.Errorf("runs: using %q image %q, want docker / Dockerfile (or the release's pinned image)", a.Runs.Using, a.Runs.Image)
	}
	if a.Runs.Entrypoint != "" {
		t.Errorf("runs.entrypoint %q overrides the image's ENTRYPOINT", a.Runs.Entrypoint)
	}
	for n, o := range a.Outputs {
		if o.Value != "" {
			t.Errorf("output %s: a container action's outputs take no value", n)
		}
	}
}

// TestNativeActionPassesEverythingThrough checks the composite action's
// wiring: Go set up from the action's own go.mod, the binary built from the
// action's checkout, every input handed to it as the INPUT_* variable a
// container action gets, and every output read from the step that ran it.
func TestNativeActionPassesEverythingThrough(t *testing.T) {
	_, ins, outs := expected(t)
	a := readAction(t, "native/action.yml")
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	ids := map[string]int{}
	var setupGo, build bool
	runIdx := -1
	for i, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = i
		}
		if s.Run != "" && s.Shell != "bash" {
			t.Errorf("step %q: shell %q; use bash, which every hosted runner OS has", s.Name, s.Shell)
		}
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			setupGo = true
			if v := s.With["go-version-file"]; !strings.Contains(v, "go.mod") && !strings.Contains(v, "go-mod") {
				t.Errorf("setup-go must take the Go version from the action's go.mod, not %q", s.With["go-version-file"])
			}
		} else if s.Uses != "" {
			t.Errorf("step %q uses %s: the native action needs nothing but setup-go", s.Name, s.Uses)
		}
		if strings.Contains(s.Run, "go build") {
			build = true
			for _, flag := range []string{"-trimpath", "-s -w", "internal/app.Version="} {
				if !strings.Contains(s.Run, flag) {
					t.Errorf("the build step lacks %s (the Dockerfile builds with it)", flag)
				}
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("the build script interpolates ${{ }} expressions; pass them through env instead")
			}
		}
		if s.ID == runStepID {
			runIdx = i
		}
	}
	if !setupGo || !build {
		t.Errorf("setup-go step present: %v, go build step present: %v; want both", setupGo, build)
	}
	if runIdx < 0 {
		t.Fatalf("no step with id %q runs the binary", runStepID)
	}
	run := a.Runs.Steps[runIdx]
	if strings.Contains(run.Run, "${{") {
		t.Errorf("the run step interpolates ${{ }} into the script: %q", run.Run)
	}
	for _, n := range ins {
		if got, want := run.Env[stepEnvName(n)], fmt.Sprintf("${{ inputs.%s }}", n); got != want {
			t.Errorf("run step env %s = %q, want %q", stepEnvName(n), got, want)
		}
		if want := fmt.Sprintf(`"%s=$%s"`, envName(n), stepEnvName(n)); !strings.Contains(run.Run, want) {
			t.Errorf("the run script does not hand input %s to the binary as %s", n, want)
		}
	}
	for k := range run.Env {
		if strings.HasPrefix(k, "ASC_ACTION_INPUT_") && !slices.ContainsFunc(ins, func(n string) bool { return stepEnvName(n) == k }) {
			t.Errorf("run step sets %s, which is no input", k)
		}
	}
	for _, n := range outs {
		if got, want := a.Outputs[n].Value, fmt.Sprintf("${{ steps.%s.outputs.%s }}", runStepID, n); got != want {
			t.Errorf("output %s value %q, want %q", n, got, want)
		}
	}
	// Descriptions and defaults are the container action's, word for word.
	c := readAction(t, "action.yml")
	for n, in := range a.Inputs {
		if c.Inputs[n].Description != in.Description {
			t.Errorf("input %s: native and container descriptions differ", n)
		}
	}
}
