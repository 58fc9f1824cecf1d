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
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/shipcheck"
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
// the release server, and the runner's environment.
type bench struct {
	root, work string
	srvURL     string
	key        string
	runner     shipcheck.Platform
}

func run(nd, ns int) error {
	root, work, err := shipcheck.Workspace("nativestart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	i := slices.IndexFunc(shipcheck.Platforms, func(p shipcheck.Platform) bool { return p.GOOS == runtime.GOOS && p.GOARCH == runtime.GOARCH })
	if i < 0 {
		return fmt.Errorf("the release has no binary for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	runner := shipcheck.Platforms[i]
	name := shipcheck.AssetName(version, runner.GOOS, runner.GOARCH)
	bin := filepath.Join(work, name)
	if err := shipcheck.GoBuild(context.Background(), root, bin, "v"+version); err != nil {
		return err
	}
	asset, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	rel := shipcheck.Release{Version: version}
	rel.Add(name, asset)
	srv := shipcheck.NewReleaseServer(rel)
	defer srv.Close()
	released, unreleased, err := layOutActions(root, work, rel.Checksums)
	if err != nil {
		return err
	}
	key, err := testkeys.Generate()
	if err != nil {
		return err
	}
	b := &bench{root: root, work: work, srvURL: srv.URL, key: key.PEM, runner: runner}
	fmt.Printf("%s/%s, %d CPUs; binary %d bytes\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), len(asset))
	if err := b.report("download (cold tool cache, local server)", nd, released, false); err != nil {
		return err
	}
	return b.report("source build (cold Go build cache)", ns, unreleased, true)
}

// layOutActions writes two action folders holding native/install.sh: the
// released one also holds checksums.txt for the asset, the unreleased one
// (a branch) does not, so install.sh asks for the source build.
func layOutActions(root, work, checksums string) (released, unreleased string, err error) {
	released = filepath.Join(work, "action-released")
	unreleased = filepath.Join(work, "action-unreleased")
	for d, sums := range map[string]string{released: checksums, unreleased: ""} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
		if err := shipcheck.CopyInstaller(root, d, sums); err != nil {
			return "", "", err
		}
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
	outs, err := b.install(action, dir)
	if err != nil {
		return 0, err
	}
	exe := outs["bin"]
	if sourceBuild {
		if outs["build"] != "true" {
			return 0, fmt.Errorf("install.sh did not ask for the source build: outputs %v", outs)
		}
		exe = filepath.Join(dir, "asc-action-bin", "asc-action")
		// As the action's build step does, with a cold Go build cache.
		if err := shipcheck.GoBuild(context.Background(), b.root, exe, "dev", "GOFLAGS=-mod=readonly", "GOCACHE="+filepath.Join(dir, "gocache")); err != nil {
			return 0, err
		}
	} else if exe == "" {
		return 0, fmt.Errorf("install.sh installed nothing: outputs %v", outs)
	}
	return b.firstLine(exe, dir, start)
}

// install runs the action's install.sh with a fresh tool cache in dir and
// returns its outputs: bin, the binary it installed, or build=true.
func (b *bench) install(action, dir string) (map[string]string, error) {
	in := shipcheck.Installer{Action: action, ToolCache: filepath.Join(dir, "toolcache"), Temp: dir}
	res, err := in.Run(filepath.Join(dir, "install-output"), b.runner.RunnerOS, b.runner.RunnerArch, "ASC_ACTION_DOWNLOAD_URL="+b.srvURL)
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, fmt.Errorf("install.sh: %v\n%s", res.Err, res.Log)
	}
	return res.Outputs, nil
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
