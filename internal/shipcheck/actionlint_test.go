package shipcheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// actionlint returns the path of the actionlint pinned in tools/go.mod,
// built by `go tool` (cached after the first build), so these tests never
// skip. The tools live in their own module: actionlint v1.7.12 needs
// go.yaml.in/yaml/v4 v4.0.0-rc.3, whose API differs from the v4.0.0 this
// module uses.
func actionlint(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "tool", "-n", "actionlint")
	cmd.Dir = filepath.Join(root(t), "tools")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("building the pinned actionlint (cd tools && go tool -n actionlint): %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func lint(t *testing.T, bin, dir string, files ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-no-color"}, files...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func workflowFiles(t *testing.T, r string) (workflows, examples []string) {
	t.Helper()
	for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(r, pat))
		workflows = append(workflows, m...)
	}
	for _, pat := range []string{"examples/*.yml", "examples/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(r, pat))
		examples = append(examples, m...)
	}
	if len(workflows) == 0 || len(examples) == 0 {
		t.Fatalf("found %d workflows and %d examples; want some of each", len(workflows), len(examples))
	}
	return workflows, examples
}

// TestActionlintWorkflowsAndExamples lints every workflow and example as
// they are in the repository.
func TestActionlintWorkflowsAndExamples(t *testing.T) {
	bin := actionlint(t)
	r := root(t)
	wf, ex := workflowFiles(t, r)
	var rel []string
	for _, f := range append(wf, ex...) {
		p, _ := filepath.Rel(r, f)
		rel = append(rel, filepath.ToSlash(p))
	}
	if out, err := lint(t, bin, r, rel...); err != nil {
		t.Errorf("actionlint failed (%v):\n%s", err, out)
	}
}

// Published references to this action, and the local paths they stand for.
var (
	nativeRef = regexp.MustCompile(`uses:\s*asc-action/asc-action/native@\S+`)
	rootRef   = regexp.MustCompile(`uses:\s*asc-action/asc-action@\S+`)
	imageRef  = regexp.MustCompile(`uses:\s*docker://ghcr\.io/asc-action/asc-action[:@]\S+`)
)

// project lays out a throwaway repository: this checkout's action.yml and
// native/action.yml, and the given workflows in .github/workflows.
func project(t *testing.T, workflows map[string]string) string {
	t.Helper()
	dir := copyFromRoot(t, 0o644, "action.yml", "native/action.yml", "Dockerfile")
	// actionlint finds the project (and local actions) by its .git.
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	wfDir := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range workflows {
		if err := os.WriteFile(filepath.Join(wfDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestActionlintExamplesAgainstThisAction lints the examples with their
// `uses: asc-action/asc-action[/native]@v1` (and the published image,
// docker://ghcr.io/asc-action/asc-action:<tag>, which takes the same
// inputs) pointed at this checkout, so
// actionlint checks every input they pass and every output they read
// against action.yml and native/action.yml.
func TestActionlintExamplesAgainstThisAction(t *testing.T) {
	bin := actionlint(t)
	_, ex := workflowFiles(t, root(t))
	files := map[string]string{}
	for _, f := range ex {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := nativeRef.ReplaceAllString(string(b), "uses: ./native")
		s = rootRef.ReplaceAllString(s, "uses: ./")
		s = imageRef.ReplaceAllString(s, "uses: ./")
		if s == string(b) {
			t.Errorf("%s uses neither asc-action/asc-action@<version>, its native action, nor its image", filepath.Base(f))
		}
		files[filepath.Base(f)] = s
	}
	dir := project(t, files)
	if out, err := lint(t, bin, dir); err != nil {
		t.Errorf("actionlint found problems in the examples against this checkout's action.yml (%v):\n%s", err, out)
	}
}

// TestActionlintCatchesWrongNames shows the check has teeth: a workflow
// with a misspelt input or output of this action must fail actionlint.
func TestActionlintCatchesWrongNames(t *testing.T) {
	bin := actionlint(t)
	const head = "name: wrong\non: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
	tests := []struct {
		name, steps, want string
	}{
		{
			name:  "misspelt input, container action",
			steps: "      - uses: ./\n        with:\n          command: token\n          privte-key: x\n",
			want:  `input "privte-key" is not defined`,
		},
		{
			name:  "misspelt input, native action",
			steps: "      - uses: ./native\n        with:\n          comand: verify\n",
			want:  `input "comand" is not defined`,
		},
		{
			name:  "misspelt output",
			steps: "      - id: t\n        uses: ./\n      - run: echo \"${{ steps.t.outputs.tokn }}\"\n",
			want:  `property "tokn" is not defined`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := project(t, map[string]string{"wrong.yml": head + tt.steps})
			out, err := lint(t, bin, dir)
			if err == nil {
				t.Fatalf("actionlint passed a workflow with a wrong name:\n%s", head+tt.steps)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("actionlint output does not say %q:\n%s", tt.want, out)
			}
		})
	}
	// The same workflow with the right names passes: the failures above
	// come from the names alone.
	right := "      - id: t\n        uses: ./\n        with:\n          command: token\n          private-key: x\n      - uses: ./native\n        with:\n          command: verify\n      - run: echo \"${{ steps.t.outputs.token }}\"\n"
	if out, err := lint(t, bin, project(t, map[string]string{"right.yml": head + right})); err != nil {
		t.Errorf("actionlint failed the corrected workflow (%v):\n%s", err, out)
	}
}

var yamlBlockRe = regexp.MustCompile("(?ms)^```ya?ml\n(.*?)^```")

// snippetWorkflow turns a YAML snippet from the docs into a workflow
// actionlint can check: a list of steps or a job body is wrapped in a job,
// a workflow without `on:` gets one. It returns "" for snippets that do
// not use this action.
func snippetWorkflow(snippet string) string {
	uses := nativeRef.MatchString(snippet) || rootRef.MatchString(snippet) || imageRef.MatchString(snippet)
	if !uses {
		return ""
	}
	s := nativeRef.ReplaceAllString(snippet, "uses: ./native")
	s = rootRef.ReplaceAllString(s, "uses: ./")
	s = imageRef.ReplaceAllString(s, "uses: ./")
	indent := func(text, pad string) string {
		var b strings.Builder
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if l != "" {
				b.WriteString(pad)
			}
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	// A snippet cut from inside a job keeps its indentation: remove it.
	pad := -1
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimLeft(l, " "); t != "" && (pad < 0 || len(l)-len(t) < pad) {
			pad = len(l) - len(t)
		}
	}
	if pad > 0 {
		s = regexp.MustCompile(`(?m)^ {`+fmt.Sprint(pad)+`}`).ReplaceAllString(s, "")
	}
	const head = "name: snippet\non: push\n"
	switch {
	case strings.HasPrefix(s, "- "):
		return head + "jobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n" + indent(s, "      ")
	case strings.HasPrefix(s, "runs-on:"):
		return head + "jobs:\n  snippet:\n" + indent(s, "    ")
	case !regexp.MustCompile(`(?m)^jobs:`).MatchString(s) && regexp.MustCompile(`(?m)^steps:`).MatchString(s):
		if !regexp.MustCompile(`(?m)^runs-on:`).MatchString(s) {
			s = "runs-on: ubuntu-latest\n" + s
		}
		return head + "jobs:\n  snippet:\n" + indent(s, "    ")
	case !regexp.MustCompile(`(?m)^on:`).MatchString(s):
		return head + s
	}
	return s
}

// TestActionlintDocSnippets lints every YAML snippet in README.md and
// docs/*.md that uses this action, against this checkout's action.yml: a
// copy-paste example with a misspelt or removed input fails here.
func TestActionlintDocSnippets(t *testing.T) {
	bin := actionlint(t)
	r := root(t)
	docs, _ := filepath.Glob(filepath.Join(r, "docs", "*.md"))
	docs = append([]string{filepath.Join(r, "README.md")}, docs...)
	files := map[string]string{}
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range yamlBlockRe.FindAllStringSubmatch(string(b), -1) {
			if wf := snippetWorkflow(m[1]); wf != "" {
				files[fmt.Sprintf("%s-%d.yml", strings.TrimSuffix(filepath.Base(doc), ".md"), i+1)] = wf
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no YAML snippet in the docs uses this action")
	}
	dir := project(t, files)
	if out, err := lint(t, bin, dir); err != nil {
		t.Errorf("actionlint found problems in the docs' YAML snippets (%v); file names are <doc>-<n-th yaml block>.yml:\n%s", err, out)
	}
	t.Logf("%d snippets linted", len(files))
}
