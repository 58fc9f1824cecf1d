package shipcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v4"
)

// distEnv names the directory of a GoReleaser snapshot (dist/), which
// .ci/run makes with `goreleaser release --snapshot` before the tests: the
// image and the installer are then tested with the release's own binaries
// and checksums.txt.
const distEnv = "ASC_RELEASE_DIST"

// artifact is an entry of GoReleaser's dist/artifacts.json.
type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

func distArtifacts(t *testing.T, dist string) []artifact {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, "artifacts.json"))
	if err != nil {
		t.Fatalf("%s=%s: %v (run `goreleaser release --snapshot --clean` first, as .ci/run does)", distEnv, dist, err)
	}
	var arts []artifact
	if err := json.Unmarshal(b, &arts); err != nil {
		t.Fatal(err)
	}
	for i := range arts {
		if !filepath.IsAbs(arts[i].Path) {
			// Paths in artifacts.json are relative to the project root, above dist/.
			arts[i].Path = filepath.Join(filepath.Dir(dist), arts[i].Path)
		}
	}
	return arts
}

var (
	builtOnce sync.Map // "goos/goarch" -> *builtBinary
	// builtDir holds the binaries built here; TestMain removes it.
	builtDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shipcheck-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	builtDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type builtBinary struct {
	once sync.Once
	path string
	err  error
}

// releaseBinary is the release's asc-action for goos/goarch: from the
// snapshot in $ASC_RELEASE_DIST, or else built here with the release's
// flags (.goreleaser.yaml: CGO_ENABLED=0, -trimpath, -s -w, version
// stamped), once per test binary.
func releaseBinary(t *testing.T, goos, goarch string) string {
	t.Helper()
	if dist := os.Getenv(distEnv); dist != "" {
		for _, a := range distArtifacts(t, dist) {
			// The built binary; the bare binary asset has the same type and a versioned name.
			if a.Type == "Binary" && a.Name == "asc-action" && a.Goos == goos && a.Goarch == goarch {
				return a.Path
			}
		}
		t.Fatalf("%s has no %s/%s binary", os.Getenv(distEnv), goos, goarch)
	}
	r := root(t)
	v, _ := builtOnce.LoadOrStore(goos+"/"+goarch, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		b.path = filepath.Join(builtDir, goos+"_"+goarch, "asc-action")
		if b.err = os.MkdirAll(filepath.Dir(b.path), 0o755); b.err != nil {
			return
		}
		b.err = GoBuild(context.Background(), r, b.path, testVersion, "GOOS="+goos, "GOARCH="+goarch)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	t.Logf("%s not set: testing a binary built here with the release flags", distEnv)
	return b.path
}

// testVersion is stamped into binaries built by the tests.
const testVersion = "v9.8.7"

// root is the module root, above the test's working directory.
func root(t *testing.T) string {
	t.Helper()
	r, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// copyFromRoot copies the given slash-separated paths of this checkout into
// a fresh directory, each written with perm, and returns that directory.
func copyFromRoot(t *testing.T, perm os.FileMode, paths ...string) string {
	t.Helper()
	r := root(t)
	dir := t.TempDir()
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(r, p))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, perm); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPlatformsAreTheReleases: Platforms, .goreleaser.yaml's goos × goarch
// and the assets .github/release-pin.sh insists on name the same six.
func TestPlatformsAreTheReleases(t *testing.T) {
	var want []string
	for _, p := range Platforms {
		want = append(want, p.GOOS+"_"+p.GOARCH)
	}
	slices.Sort(want)

	var gr struct {
		Builds []struct {
			ID     string   `yaml:"id"`
			Goos   []string `yaml:"goos"`
			Goarch []string `yaml:"goarch"`
		} `yaml:"builds"`
	}
	if err := yaml.Unmarshal(readRoot(t, ".goreleaser.yaml"), &gr); err != nil || len(gr.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %v; want one build (%d found)", err, len(gr.Builds))
	}
	var built []string
	for _, goos := range gr.Builds[0].Goos {
		for _, goarch := range gr.Builds[0].Goarch {
			built = append(built, goos+"_"+goarch)
		}
	}
	slices.Sort(built)
	if !slices.Equal(built, want) {
		t.Errorf(".goreleaser.yaml builds %v; Platforms are %v", built, want)
	}

	m := regexp.MustCompile(`(?m)^for p in ([a-z0-9_. ]+); do$`).FindSubmatch(readRoot(t, ".github/release-pin.sh"))
	if m == nil {
		t.Fatal(".github/release-pin.sh: no `for p in ...; do` line listing the assets")
	}
	var pinned []string
	for _, p := range strings.Fields(string(m[1])) {
		pinned = append(pinned, strings.TrimSuffix(p, ".exe"))
	}
	slices.Sort(pinned)
	if !slices.Equal(pinned, want) {
		t.Errorf(".github/release-pin.sh checks %v; Platforms are %v", pinned, want)
	}
}

// readRoot reads a file of the checkout by its slash-separated path.
func readRoot(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
