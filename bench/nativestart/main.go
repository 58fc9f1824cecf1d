// Command nativestart measures what the native action (native/action.yml)
// costs before its first output line, on its two paths:
//
//   - download: native/install.sh with a cold tool cache fetches the release
//     binary from a local HTTP server, checks its SHA-256, and the binary
//     runs `token`;
//   - source: install.sh finds no release and asks for the source build,
//     `go build` runs as the action's build step does with a cold Go build
//     cache (modules already downloaded, Go already installed: the time
//     actions/setup-go takes is not counted), and the binary runs `token`.
//
// Each time is from the start of the first step to the binary's first line
// on stdout (the token's ::add-mask::).
//
//	go run ./bench/nativestart              # 5 downloads, 2 source builds
//	go run ./bench/nativestart -download 10 -source 3
//	go run ./bench/nativestart -download 7 -source 0   # download path only
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/testkeys"
)

const version = "1.0.0"

func main() {
	nd := flag.Int("download", 5, "runs of the download path")
	ns := flag.Int("source", 2, "runs of the source-build path")
	flag.Parse()
	if err := run(*nd, *ns); err != nil {
		fmt.Fprintln(os.Stderr, "nativestart:", err)
		os.Exit(1)
	}
}

// bench holds what every run shares: the repository, the scratch folder,
// the release asset and its server, and the runner's environment.
type bench struct {
	root, work string
	asset      []byte
	srvURL     string
	key        string
	runnerOS   string
	runnerArch string
}

func run(nd, ns int) error {
	root, err := findRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "nativestart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	name := fmt.Sprintf("asc-action_%s_%s_%s", version, runtime.GOOS, runtime.GOARCH)
	asset, err := buildAsset(root, filepath.Join(work, name))
	if err != nil {
		return err
	}
	srv := serveAsset(name, asset)
	defer srv.Close()
	released, unreleased, err := layOutActions(root, work, name, asset)
	if err != nil {
		return err
	}
	key, err := testkeys.Generate()
	if err != nil {
		return err
	}
	b := &bench{
		root: root, work: work, asset: asset, srvURL: srv.URL, key: key.PEM,
		runnerOS:   map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS],
		runnerArch: map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH],
	}
	fmt.Printf("%s/%s, %d CPUs; binary %d bytes\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), len(asset))
	if err := b.report("download (cold tool cache, local server)", nd, released, false); err != nil {
		return err
	}
	return b.report("source build (cold Go build cache)", ns, unreleased, true)
}

// buildAsset builds the release asset for this machine with the release
// flags into bin and returns its bytes.
func buildAsset(root, bin string) ([]byte, error) {
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/asc-action/asc-action/internal/app.Version=v"+version, "-o", bin, ".")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return os.ReadFile(bin)
}

// serveAsset serves asset at /v<version>/<name>, as a release does.
func serveAsset(name string, asset []byte) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v"+version+"/"+name {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(asset)
	}))
}

// layOutActions writes two action folders holding native/install.sh: the
// released one also holds checksums.txt for the asset, the unreleased one
// (a branch) does not, so install.sh asks for the source build.
func layOutActions(root, work, name string, asset []byte) (released, unreleased string, err error) {
	script, err := os.ReadFile(filepath.Join(root, "native", "install.sh"))
	if err != nil {
		return "", "", err
	}
	released = filepath.Join(work, "action-released")
	unreleased = filepath.Join(work, "action-unreleased")
	for _, d := range []string{released, unreleased} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(d, "install.sh"), script, 0o755); err != nil {
			return "", "", err
		}
	}
	sum := sha256.Sum256(asset)
	if err := os.WriteFile(filepath.Join(released, "checksums.txt"), []byte(hex.EncodeToString(sum[:])+"  "+name+"\n"), 0o644); err != nil {
		return "", "", err
	}
	return released, unreleased, nil
}

// job runs one cold job with the action folder action: install.sh, the
// source build if sourceBuild, then `token`, and returns the time from the
// start of install.sh to the binary's first line on stdout.
func (b *bench) job(action string, sourceBuild bool) (time.Duration, error) {
	dir, err := os.MkdirTemp(b.work, "run-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	exe, outs, err := b.install(action, dir)
	if err != nil {
		return 0, err
	}
	if sourceBuild {
		if !strings.Contains(outs, "build=true") {
			return 0, fmt.Errorf("install.sh did not ask for the source build: %s", outs)
		}
		if exe, err = b.sourceBuild(dir); err != nil {
			return 0, err
		}
	} else if exe == "" {
		return 0, fmt.Errorf("install.sh installed nothing: %s", outs)
	}
	return b.firstLine(exe, dir, start)
}

// install runs the action's install.sh with a fresh tool cache in dir and
// returns the binary it installed ("" if none) and its outputs.
func (b *bench) install(action, dir string) (exe, outs string, err error) {
	inst := exec.Command("bash", filepath.Join(action, "install.sh"))
	inst.Env = append(os.Environ(), "RUNNER_OS="+b.runnerOS, "RUNNER_ARCH="+b.runnerArch,
		"RUNNER_TOOL_CACHE="+filepath.Join(dir, "toolcache"), "RUNNER_TEMP="+dir,
		"GITHUB_OUTPUT="+filepath.Join(dir, "install-output"), "ASC_ACTION_DOWNLOAD_URL="+b.srvURL)
	if out, err := inst.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("install.sh: %v\n%s", err, out)
	}
	o, _ := os.ReadFile(filepath.Join(dir, "install-output"))
	for _, l := range strings.Split(string(o), "\n") {
		if v, ok := strings.CutPrefix(l, "bin="); ok {
			exe = v
		}
	}
	return exe, string(o), nil
}

// sourceBuild runs `go build` as the action's build step does, with a cold
// Go build cache in dir, and returns the binary.
func (b *bench) sourceBuild(dir string) (string, error) {
	exe := filepath.Join(dir, "asc-action-bin", "asc-action")
	gb := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/asc-action/asc-action/internal/app.Version=dev", "-o", exe, ".")
	gb.Dir = b.root
	gb.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOCACHE="+filepath.Join(dir, "gocache"))
	if out, err := gb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return exe, nil
}

// firstLine runs exe `token` as the action's run step does and returns the
// time from start to its first line on stdout.
func (b *bench) firstLine(exe, dir string, start time.Time) (time.Duration, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+filepath.Join(dir, "run-output"),
		"INPUT_COMMAND=token", "INPUT_PRIVATE-KEY="+b.key, "INPUT_KEY-ID=ABCDE12345")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(stdout)
	sc.Scan()
	first := time.Since(start)
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("token: %v", err)
	}
	return first, nil
}

// report runs n jobs with the action folder action and prints their median
// and all times; n == 0 skips the path.
func (b *bench) report(name string, n int, action string, source bool) error {
	if n <= 0 {
		fmt.Printf("%-44s skipped\n", name)
		return nil
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		d, err := b.job(action, source)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	var all []string
	for _, d := range ds {
		all = append(all, d.Round(time.Millisecond).String())
	}
	fmt.Printf("%-44s median %8s  (%d runs: %s)\n", name, ds[len(ds)/2].Round(time.Millisecond), n, strings.Join(all, " "))
	return nil
}
func findRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}
