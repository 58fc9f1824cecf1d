package shipcheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// testRelease is the snapshot's release ($ASC_RELEASE_DIST: its bare
// binaries and its checksums.txt, archives and SBOMs included), or else a
// release made here: this machine's binary for its own platform and
// stand-in bytes for the others.
func testRelease(t *testing.T) Release {
	t.Helper()
	r := Release{Assets: map[string][]byte{}}
	if dist := os.Getenv(distEnv); dist != "" {
		sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
		if err != nil {
			t.Fatal(err)
		}
		r.Checksums = string(sums)
		for _, a := range distArtifacts(t, dist) {
			bare := a.Type == "Binary" && strings.HasPrefix(a.Name, "asc-action_")
			if a.Type != "Archive" && !bare {
				continue
			}
			b, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			r.Assets[a.Name] = b
			if bare && a.Goos == "linux" && a.Goarch == "amd64" {
				r.Version = strings.TrimSuffix(strings.TrimPrefix(a.Name, "asc-action_"), "_linux_amd64")
			}
		}
		if r.Version == "" {
			t.Fatalf("%s holds no bare linux/amd64 binary (archives id binaries)", dist)
		}
		return r
	}
	r.Version = strings.TrimPrefix(testVersion, "v")
	for _, p := range Platforms {
		name := AssetName(r.Version, p.GOOS, p.GOARCH)
		b := []byte("stand-in for " + name)
		if p.GOOS == runtime.GOOS && p.GOARCH == runtime.GOARCH {
			var err error
			if b, err = os.ReadFile(releaseBinary(t, p.GOOS, p.GOARCH)); err != nil {
				t.Fatal(err)
			}
		}
		r.Add(name, b)
	}
	return r
}

func newServer(t *testing.T, r Release) *ReleaseServer {
	s := NewReleaseServer(r)
	t.Cleanup(s.Close)
	return s
}

// installer is a copy of the native action's folder with the release's
// checksums.txt, and the runner's folders to run install.sh with.
type installer struct {
	Installer
	t *testing.T
}

func newInstaller(t *testing.T, checksums string) *installer {
	t.Helper()
	in := &installer{Installer: Installer{Action: t.TempDir(), ToolCache: t.TempDir(), Temp: t.TempDir()}, t: t}
	if err := CopyInstaller(root(t), in.Action, checksums); err != nil {
		t.Fatal(err)
	}
	return in
}

// run runs install.sh as the composite action's first step does.
func (in *installer) run(runnerOS, runnerArch string, env ...string) InstallResult {
	t := in.t
	t.Helper()
	res, err := in.Run(filepath.Join(t.TempDir(), "output"), runnerOS, runnerArch, env...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// noDownloadsLeft fails when a download is left in RUNNER_TEMP.
func (in *installer) noDownloadsLeft() {
	in.t.Helper()
	ents, _ := os.ReadDir(in.Temp)
	for _, e := range ents {
		in.t.Errorf("RUNNER_TEMP still holds %s", e.Name())
	}
}

func TestNativeInstallPicksTheRunnersAsset(t *testing.T) {
	r := testRelease(t)
	srv := newServer(t, r)
	for _, p := range Platforms {
		t.Run(p.RunnerOS+"/"+p.RunnerArch, func(t *testing.T) {
			in := newInstaller(t, r.Checksums) // a runner: its own tool cache
			before := len(srv.Paths())
			res := in.run(p.RunnerOS, p.RunnerArch, "ASC_ACTION_DOWNLOAD_URL="+srv.URL+"/")
			if res.Err != nil {
				t.Fatalf("install.sh failed: %v\n%s", res.Err, res.Log)
			}
			name := AssetName(r.Version, p.GOOS, p.GOARCH)
			if got := srv.Paths()[before:]; !slices.Equal(got, []string{"/v" + r.Version + "/" + name}) {
				t.Errorf("requested %q, want only /v%s/%s", got, r.Version, name)
			}
			want := filepath.Join(in.ToolCache, "asc-action", r.Version, strings.ToLower(p.RunnerArch), "asc-action")
			if p.GOOS == "windows" {
				want += ".exe"
			}
			if res.Outputs["bin"] != want || res.Outputs["build"] != "" {
				t.Errorf("outputs %v, want bin=%s", res.Outputs, want)
			}
			b, err := os.ReadFile(want)
			if err != nil || !bytes.Equal(b, r.Assets[name]) {
				t.Errorf("the tool cache does not hold %s as served (%v)", name, err)
			}
			if st, err := os.Stat(want); err == nil && st.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s is not executable", want)
			}
			if _, err := os.Stat(filepath.Dir(want) + ".complete"); err != nil {
				t.Errorf("no tool-cache completion marker: %v", err)
			}
			if !strings.Contains(res.Log, "matches native/checksums.txt") {
				t.Errorf("the log does not say the checksum was checked:\n%s", res.Log)
			}
			in.noDownloadsLeft()
			if p.GOOS == runtime.GOOS && p.GOARCH == runtime.GOARCH {
				out, err := exec.Command(want, "--version").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "asc-action v"+r.Version+" (commit ") {
					t.Errorf("%s --version: %v %q", want, err, out)
				}
				if os.Getenv(distEnv) != "" && strings.Contains(string(out), "unknown") {
					t.Errorf("the release binary does not know its commit and date: %q", out)
				}
			}
		})
	}

	in := newInstaller(t, r.Checksums)
	if res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+srv.URL); res.Err != nil {
		t.Fatalf("install.sh: %v\n%s", res.Err, res.Log)
	}
	t.Run("second run uses the tool cache", func(t *testing.T) {
		before := len(srv.Paths())
		res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+srv.URL)
		if res.Err != nil || res.Outputs["bin"] == "" {
			t.Fatalf("install.sh: %v %v\n%s", res.Err, res.Outputs, res.Log)
		}
		if got := srv.Paths()[before:]; len(got) != 0 {
			t.Errorf("downloaded again: %q", got)
		}
		if !strings.Contains(res.Log, "from the tool cache") {
			t.Errorf("the log does not say the tool cache was used:\n%s", res.Log)
		}
	})

	t.Run("a tampered tool cache is not trusted", func(t *testing.T) {
		bin := filepath.Join(in.ToolCache, "asc-action", r.Version, "x64", "asc-action")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho tampered\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		before := len(srv.Paths())
		res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+srv.URL)
		if res.Err != nil || len(srv.Paths()) != before+1 {
			t.Fatalf("install.sh did not download a fresh copy: %v, %d requests\n%s", res.Err, len(srv.Paths())-before, res.Log)
		}
		b, _ := os.ReadFile(bin)
		if !bytes.Equal(b, r.Assets[AssetName(r.Version, "linux", "amd64")]) {
			t.Errorf("the tool cache still holds the tampered binary")
		}
	})
}

func TestNativeInstallRefusesATamperedAsset(t *testing.T) {
	r := testRelease(t)
	srv := newServer(t, r)
	srv.Tamper = true
	in := newInstaller(t, r.Checksums)
	for _, p := range []struct{ os, arch string }{{"Linux", "X64"}, {"Windows", "X64"}, {"macOS", "ARM64"}} {
		res := in.run(p.os, p.arch, "ASC_ACTION_DOWNLOAD_URL="+srv.URL)
		if res.Err == nil {
			t.Fatalf("%s/%s: install.sh accepted a tampered asset\n%s", p.os, p.arch, res.Log)
		}
		if !strings.Contains(res.Log, "::error title=asc-action checksum mismatch::") || !strings.Contains(res.Log, "was deleted and not run") {
			t.Errorf("%s/%s: the error does not say what happened:\n%s", p.os, p.arch, res.Log)
		}
		if len(res.Outputs) != 0 {
			t.Errorf("%s/%s: outputs %v; the run step must get no binary and no source build", p.os, p.arch, res.Outputs)
		}
	}
	if ents, _ := os.ReadDir(in.ToolCache); len(ents) != 0 {
		t.Errorf("the tool cache holds %d entries after a refused download", len(ents))
	}
	in.noDownloadsLeft()
}

func TestNativeInstallFallsBackToTheSourceBuild(t *testing.T) {
	r := testRelease(t)
	tests := []struct {
		name      string
		checksums string
		missing   bool
		os, arch  string
		want      string // in the notice
	}{
		{name: "no release at this ref", os: "Linux", arch: "X64", want: "this ref of the action has no release"},
		{name: "release assets missing on the server", checksums: r.Checksums, missing: true, os: "macOS", arch: "ARM64", want: "(HTTP status 404)"},
		{name: "runner architecture without a release binary", checksums: r.Checksums, os: "Linux", arch: "ARM", want: "no release binary for runner architecture 'ARM'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, r)
			srv.Missing = tt.missing
			in := newInstaller(t, tt.checksums)
			res := in.run(tt.os, tt.arch, "ASC_ACTION_DOWNLOAD_URL="+srv.URL)
			if res.Err != nil {
				t.Fatalf("install.sh failed instead of falling back: %v\n%s", res.Err, res.Log)
			}
			if res.Outputs["build"] != "true" || res.Outputs["bin"] != "" {
				t.Errorf("outputs %v, want build=true and no bin", res.Outputs)
			}
			if !strings.Contains(res.Log, "::notice title=asc-action::") || !strings.Contains(res.Log, tt.want) || !strings.Contains(res.Log, "building asc-action from source") {
				t.Errorf("the notice does not say %q and that it builds from source:\n%s", tt.want, res.Log)
			}
			in.noDownloadsLeft()
		})
	}
}

// TestNativeInstallChecksTheAttestation puts a stand-in gh on PATH that
// records its arguments: gh attestation verify runs on the downloaded file
// before it is installed, and its failure stops the step.
func TestNativeInstallChecksTheAttestation(t *testing.T) {
	r := testRelease(t)
	srv := newServer(t, r)
	for _, tt := range []struct {
		name string
		exit int
	}{{"provenance verified", 0}, {"no valid provenance", 1}} {
		t.Run(tt.name, func(t *testing.T) {
			bin := t.TempDir()
			argsFile := filepath.Join(t.TempDir(), "gh-args")
			gh := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %q\nexit %d\n", argsFile, tt.exit)
			if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(gh), 0o755); err != nil {
				t.Fatal(err)
			}
			in := newInstaller(t, r.Checksums)
			res := in.run("Linux", "X64", "PATH="+bin+":"+os.Getenv("PATH"),
				"ASC_ACTION_DOWNLOAD_URL="+srv.URL, "ASC_ACTION_ATTESTATION=require", "ASC_ACTION_REPOSITORY=owner/fork")
			args, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatalf("gh was not run: %v\n%s", err, res.Log)
			}
			f := strings.Fields(string(args))
			if len(f) != 5 || f[0] != "attestation" || f[1] != "verify" || filepath.Base(f[2]) != AssetName(r.Version, "linux", "amd64") || f[3] != "--repo" || f[4] != "owner/fork" {
				t.Errorf("gh %q, want attestation verify <asset> --repo owner/fork", f)
			}
			if tt.exit == 0 {
				if res.Err != nil || res.Outputs["bin"] == "" {
					t.Errorf("install.sh: %v %v\n%s", res.Err, res.Outputs, res.Log)
				}
				return
			}
			if res.Err == nil || len(res.Outputs) != 0 || !strings.Contains(res.Log, "no valid build provenance") {
				t.Errorf("a failed attestation did not stop the step: %v %v\n%s", res.Err, res.Outputs, res.Log)
			}
			if ents, _ := os.ReadDir(in.ToolCache); len(ents) != 0 {
				t.Errorf("installed despite the failed attestation")
			}
		})
	}
	t.Run("required without gh", func(t *testing.T) {
		if _, err := exec.LookPath("gh"); err == nil {
			t.Skip("gh is installed here; the case needs a PATH without it") // not the case on CI's machines
		}
		in := newInstaller(t, r.Checksums)
		res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+srv.URL, "ASC_ACTION_ATTESTATION=require")
		if res.Err == nil || !strings.Contains(res.Log, "gh is not on PATH") {
			t.Errorf("ASC_ACTION_ATTESTATION=require without gh: %v\n%s", res.Err, res.Log)
		}
	})
}

// TestNativeActionWiring reads native/action.yml: the installer runs
// first, Go is set up and the binary built only when it asks for the
// source build, and the run step takes whichever binary there is.
func TestNativeActionWiring(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "native", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []struct {
				ID   string            `yaml:"id"`
				If   string            `yaml:"if"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	steps := a.Runs.Steps
	if len(steps) < 3 || steps[0].ID != "install" || !strings.Contains(steps[0].Run, `"$GITHUB_ACTION_PATH/install.sh"`) || steps[0].If != "" {
		t.Fatalf("the first step must run install.sh unconditionally, with id install")
	}
	const onBuild = "steps.install.outputs.build == 'true'"
	for _, s := range steps[1 : len(steps)-1] {
		if s.If != onBuild {
			t.Errorf("step %q (%s) runs without `if: %s`: the download path must not set up Go", s.ID, s.Uses, onBuild)
		}
	}
	last := steps[len(steps)-1]
	if last.If != "" || last.Env["ASC_ACTION_RELEASE_BIN"] != "${{ steps.install.outputs.bin }}" || last.Env["ASC_ACTION_BUILT_BIN"] != "${{ steps.build.outputs.bin }}" ||
		!strings.Contains(last.Run, `bin="${ASC_ACTION_RELEASE_BIN:-$ASC_ACTION_BUILT_BIN}"`) {
		t.Errorf("the run step does not take the installed binary, or else the built one")
	}
}
