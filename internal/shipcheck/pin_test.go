package shipcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// pinCopy copies action.yml, native/ and .github/release-pin.sh into a
// fresh directory, as the pin job's checkout has them.
func pinCopy(t *testing.T) string {
	t.Helper()
	return copyFromRoot(t, 0o755, "action.yml", "native/action.yml", "native/install.sh", ".github/release-pin.sh")
}

func runPin(dir string, args ...string) (string, error) {
	out, err := exec.Command("bash", append([]string{filepath.Join(dir, ".github", "release-pin.sh")}, args...)...).CombinedOutput()
	return string(out), err
}

// TestReleasePin runs the release's pin step on a copy of the action: the
// container action then runs the published image by digest, the native
// action holds the release's checksums, and the installer finds its asset
// there.
func TestReleasePin(t *testing.T) {
	const version, image = "v1.2.3", "ghcr.io/asc-action/asc-action"
	digest := "sha256:" + strings.Repeat("ab", 32)
	var sums strings.Builder
	for _, p := range Platforms {
		for _, name := range []string{AssetName("1.2.3", p.GOOS, p.GOARCH), fmt.Sprintf("asc-action_1.2.3_%s_%s.tar.gz", p.GOOS, p.GOARCH)} {
			s := sha256.Sum256([]byte(name))
			fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(s[:]), name)
		}
	}
	checksums := filepath.Join(t.TempDir(), "checksums.txt")
	if err := os.WriteFile(checksums, []byte(sums.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := pinCopy(t)
	before, _ := os.ReadFile(filepath.Join(dir, "action.yml"))
	if out, err := runPin(dir, version, image, digest, checksums); err != nil {
		t.Fatalf("release-pin.sh: %v\n%s", err, out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "action.yml"))
	var a struct {
		Runs struct{ Using, Image string }
	}
	if err := yaml.Unmarshal(after, &a); err != nil {
		t.Fatal(err)
	}
	if want := "docker://" + image + ":" + version + "@" + digest; a.Runs.Using != "docker" || a.Runs.Image != want {
		t.Errorf("runs %+v, want docker / %s", a.Runs, want)
	}
	// Only the image line changed.
	if strings.Replace(string(before), "  image: Dockerfile\n", "  image: docker://"+image+":"+version+"@"+digest+"\n", 1) != string(after) {
		t.Errorf("release-pin.sh changed more of action.yml than the image line")
	}
	got, _ := os.ReadFile(filepath.Join(dir, "native", "checksums.txt"))
	if string(got) != sums.String() {
		t.Errorf("native/checksums.txt is not the release's checksums.txt")
	}

	t.Run("refuses to pin twice or bad values", func(t *testing.T) {
		if out, err := runPin(dir, version, image, digest, checksums); err == nil || !strings.Contains(out, "already pinned") {
			t.Errorf("a second pin: %v %s", err, out)
		}
		fresh := pinCopy(t)
		for _, args := range [][]string{
			{"1.2.3", image, digest, checksums},
			{version, image, "sha256:1234", checksums},
			{version, "ghcr.io/Bad Name", digest, checksums},
		} {
			if out, err := runPin(fresh, args...); err == nil {
				t.Errorf("release-pin.sh %q accepted: %s", args, out)
			}
		}
		short := filepath.Join(t.TempDir(), "checksums.txt")
		if err := os.WriteFile(short, []byte(strings.SplitN(sums.String(), "\n", 2)[1]), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := runPin(fresh, version, image, digest, short); err == nil || !strings.Contains(out, "want once") {
			t.Errorf("checksums missing an asset accepted: %v %s", err, out)
		}
	})
}
