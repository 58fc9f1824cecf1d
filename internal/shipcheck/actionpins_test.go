package shipcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// usesLine is a `uses:` of a third-party action: anything but this
// repository's own action (local, or published as asc-action/asc-action)
// and docker:// images.
var (
	usesLine   = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedRef  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versionTag = regexp.MustCompile(`^\s+#\s+v\d+\.\d+\.\d+\s*$`)
)

// TestThirdPartyActionsArePinnedBySHA: every third-party action in the
// workflows, the examples and the native action is pinned by a full commit
// SHA, with the version it is as a comment (`@<sha> # v1.2.3`): a tag can be
// moved to other code, a commit cannot.
func TestThirdPartyActionsArePinnedBySHA(t *testing.T) {
	r := root(t)
	wf, ex := workflowFiles(t, r)
	files := append(append(wf, ex...), filepath.Join(r, "native", "action.yml"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(r, f)
		for _, m := range usesLine.FindAllStringSubmatch(string(b), -1) {
			ref, rest := m[1], m[2]
			if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "docker://") || strings.HasPrefix(ref, "asc-action/asc-action") {
				continue
			}
			n++
			if !pinnedRef.MatchString(ref) || !versionTag.MatchString(rest) {
				t.Errorf("%s: uses: %s%s; pin it as owner/repo@<40-hex commit> # vX.Y.Z", rel, ref, rest)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d third-party uses:; the pattern no longer matches the files", n)
	}
}

// TestReleaseWorkflowRestoresNoCache: no job of the release workflow
// restores a cache (ci.yml saves the Go cache after running third-party npm
// code, and what a release builds must not start from it).
func TestReleaseWorkflowRestoresNoCache(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for job, j := range wf.Jobs {
		for _, s := range j.Steps {
			switch {
			case strings.HasPrefix(s.Uses, "actions/setup-go@"):
				seen++
				if s.With["cache"] != "false" {
					t.Errorf("job %s: actions/setup-go restores the Go cache; give it cache: false", job)
				}
			case strings.HasPrefix(s.Uses, "actions/cache"):
				t.Errorf("job %s uses %s", job, s.Uses)
			}
		}
	}
	if seen == 0 {
		t.Error("release.yml has no actions/setup-go step; this test no longer looks at the right thing")
	}
}
