package shipcheck

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestExampleRunStepsFailOnErrors: a run: step of the examples (what users
// copy) that pipes a command into another runs with `shell: bash` (the
// runner then adds -o pipefail; its default shell has none, so `curl ... |
// jq` passes when curl fails), and a curl URL holding [ or ] is given with
// -g (--globoff), or curl exits 3 before any request.
func TestExampleRunStepsFailOnErrors(t *testing.T) {
	_, ex := workflowFiles(t, root(t))
	pipe := regexp.MustCompile(`[^|]\|[^|]`)
	curlURLWithBrackets := regexp.MustCompile(`curl\b[^\n]*(?:\\\n[^\n]*)*["'][^"'\s]*\[[^"'\s]*["']`)
	n := 0
	for _, f := range ex {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Defaults struct {
				Run struct {
					Shell string `yaml:"shell"`
				} `yaml:"run"`
			} `yaml:"defaults"`
			Jobs map[string]struct {
				Steps []struct {
					Name  string `yaml:"name"`
					Run   string `yaml:"run"`
					Shell string `yaml:"shell"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				shell := s.Shell
				if shell == "" {
					shell = w.Defaults.Run.Shell
				}
				if pipe.MatchString(stripComments(s.Run)) {
					n++
					if shell != "bash" && !strings.Contains(s.Run, "pipefail") {
						t.Errorf("%s job %s step %q pipes without pipefail: give it shell: bash", f, job, s.Name)
					}
				}
				for _, m := range curlURLWithBrackets.FindAllString(s.Run, -1) {
					if !regexp.MustCompile(`curl\s+(-[A-Za-z]*g|--globoff)|\s(-[A-Za-z]*g|--globoff)\s`).MatchString(m) {
						t.Errorf("%s job %s step %q: curl on a URL with [ ] needs -g (--globoff): %s", f, job, s.Name, m)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no run: step pipes; this test no longer looks at the right thing")
	}
}

func stripComments(script string) string {
	var out []string
	for _, l := range strings.Split(script, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
