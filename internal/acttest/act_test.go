package acttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
	"github.com/asc-action/asc-action/internal/shipcheck"
	"github.com/asc-action/asc-action/internal/steps/auth"
	"github.com/asc-action/asc-action/internal/testkeys"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

const (
	installHint = "needs act (pinned in tools/act/go.mod, built by `go tool`), podman, runc and debootstrap: apt-get install podman runc debootstrap; .ci/run installs them and runs this test with CI=true"
	// The key the examples get as secrets; act masks every secret's value
	// wherever it appears, so it differs from the Key ID self-test.yml
	// writes itself (ABCDE12345), whose output the test reads.
	keyID  = "ZYXWV98765"
	issuer = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
	// The version the released forms are pinned at (release-pin.sh takes
	// vX.Y.Z only; the snapshot's files are served under this name).
	pinVersion = "0.0.1"
	pinImage   = "ghcr.io/asc-action/asc-action"
	// The commit of actions/setup-go the native action pins
	// (TestStandInsMatchThePins checks it).
	setupGoRef = "actions/setup-go@924ae3a1cded613372ab5595356fb5720e22ba16"
)

// required reports whether the test must run: in CI, or when asked with
// ASC_ACT=1. Elsewhere it is skipped with the install hint.
func required(t *testing.T) {
	t.Helper()
	if os.Getenv("CI") != "true" && os.Getenv("ASC_ACT") != "1" {
		t.Skip("runs with CI=true or ASC_ACT=1 (several minutes); " + installHint)
	}
	for _, b := range []string{"podman", "runc", "debootstrap"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("%s is not installed: %s", b, installHint)
		}
	}
}

// TestWorkflowsUnderAct runs, with act, every job this repository ships
// that a Linux container can run, each against the emulator:
//   - .github/workflows/self-test.yml, both jobs, as they are: the container
//     action built from the Dockerfile (`uses: ./`) and the native action
//     built from source (`uses: ./native`);
//   - every workflow in examples/, as it is, with the rehearsal switched on
//     from outside (--env ASC_API_URL=emulator; the URL of a running
//     `asc-action emulator` for pinned-image.yml, whose curl step needs
//     one), against the released forms: `asc-action/asc-action@v1` is
//     action.yml pinned by .github/release-pin.sh to an image built from the
//     release binary, `.../native@v1` downloads the release binary from a
//     local server of the snapshot's files.
//
// Each job must succeed and set the outputs named below, and act's log
// must hold no line of a key and no token.
func TestWorkflowsUnderAct(t *testing.T) {
	required(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	root, err := shipcheck.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, ctx, root)
	// Two act runs at a time (go test's -parallel is GOMAXPROCS): the
	// source builds use the cores while the others wait on containers.
	t.Run("jobs", func(t *testing.T) {
		for _, r := range runs() {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				h.run(t, ctx, r)
			})
		}
	})
	// The native jobs share act's tool cache: the first one to run
	// downloads the release binary from the local release server, the
	// others take it from the cache.
	if !h.downloaded.Load() {
		t.Errorf("no native job downloaded asc-action v%s from the release server", pinVersion)
	}
}

// harness is everything the act runs share.
type harness struct {
	root, act, stage, pinned    string
	eng                         *engine
	key                         testkeys.Key
	webhookSecret               string
	downloaded                  atomic.Bool
	emulatorURL, serverURL      string
	goRoot, goCache, goModCache string
}

func newHarness(t *testing.T, ctx context.Context, root string) *harness {
	t.Helper()
	h := &harness{root: root, act: goTool(t, filepath.Join(root, "tools", "act"), "act"), key: testkeys.New(t),
		webhookSecret: rand.Text()}
	runnerTar := strings.TrimSpace(runOut(t, ctx, root, nil, "bash", filepath.Join(root, ".ci", "act", "runner-rootfs.sh")))
	h.eng = startEngine(t)
	h.eng.importRootfs(t, ctx, runnerTar, "local/runner:latest")
	// Every act job mounts this volume; made here, not by two parallel act
	// runs at once (podman refuses the second).
	if _, err := h.eng.run(ctx, "volume", "create", "act-toolcache"); err != nil {
		t.Fatal(err)
	}
	h.eng.goImage(t, ctx, root, runnerTar, "docker.io/library/golang:"+dockerfileGoTag(t, root))

	rel := release(t, ctx, root)
	bin := filepath.Join(t.TempDir(), "asc-action")
	write(t, bin, string(rel.Assets[shipcheck.AssetName(rel.Version, "linux", "amd64")]), 0o755)
	digest := h.releaseImage(t, ctx, bin)
	h.pinned = pinnedAction(t, root, digest, rel.Checksums)
	srv := shipcheck.NewReleaseServer(rel)
	t.Cleanup(srv.Close)
	h.serverURL = srv.URL

	h.stage = t.TempDir()
	if _, _, err := ipa.WriteFile(filepath.Join(h.stage, "MyApp.ipa"), ipa.Facts{BundleID: "com.acme.myapp", BuildVersion: "101", ShortVersion: "1.0", Platform: ipa.IOS}, ipa.WriteOptions{PayloadSize: 1 << 20, Binary: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.stage, "artifacts"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.emulatorURL = startEmulator(t, bin, h.key)
	h.goRoot = strings.TrimSpace(goEnv(t, "GOROOT"))
	h.goCache, h.goModCache = strings.TrimSpace(goEnv(t, "GOCACHE")), strings.TrimSpace(goEnv(t, "GOMODCACHE"))
	return h
}

// releaseImage builds the release image from the release binary as
// GoReleaser does (image/Dockerfile), tags it as the release pin names it,
// and returns its digest, by which act finds it without a registry.
func (h *harness) releaseImage(t *testing.T, ctx context.Context, bin string) string {
	t.Helper()
	dir := t.TempDir()
	if err := shipcheck.ImageContext(h.root, dir, map[string]string{"amd64": bin}, 1700000000); err != nil {
		t.Fatal(err)
	}
	tag := pinImage + ":v" + pinVersion
	if _, err := h.eng.run(ctx, "build", "--quiet", "--platform", "linux/amd64", "--timestamp", "1700000000", "-t", tag, dir); err != nil {
		t.Fatal(err)
	}
	// A release also moves :vX to the image; examples/pinned-image.yml runs it.
	if _, err := h.eng.run(ctx, "tag", tag, pinImage+":v1"); err != nil {
		t.Fatal(err)
	}
	out, err := h.eng.run(ctx, "image", "inspect", "--format", "{{.Digest}}", tag)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// pinnedAction is a copy of the action as the release pins it: action.yml
// runs the image by digest, native/checksums.txt lists the release's files.
func pinnedAction(t *testing.T, root, digest, checksums string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"action.yml", "native/action.yml", "native/install.sh", ".github/release-pin.sh"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, f), string(b), 0o755)
	}
	sums := filepath.Join(t.TempDir(), "checksums.txt")
	write(t, sums, checksums, 0o644)
	runOut(t, context.Background(), dir, nil, "bash", filepath.Join(dir, ".github", "release-pin.sh"), "v"+pinVersion, pinImage, digest, sums)
	return dir
}

func startEmulator(t *testing.T, bin string, key testkeys.Key) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "public.pem")
	write(t, pub, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), 0o644)
	// The account a rehearsal has, plus the apps of the webhook examples
	// (their bundle ID, and the test .ipa's), each with the demo's groups:
	// the webhook path's two workflows meet in this one emulator, as they
	// meet in the user's account.
	data, err := json.Marshal(auth.RehearsalData(time.Now(), auth.Stage{BundleIDs: []string{"com.example.myapp", "com.acme.myapp"}}))
	if err != nil {
		t.Fatal(err)
	}
	dataPath := filepath.Join(t.TempDir(), "account.json")
	write(t, dataPath, string(data), 0o644)
	return emulatortest.Start(t, bin, "--key-id", keyID, "--issuer-id", issuer, "--public-key", pub, "--data", dataPath).URL
}

// actRun is one act invocation: a workflow (a job of it), the event, the
// job env it adds, and what its log must show.
type actRun struct {
	name, workflow, job, event string
	matrix                     string
	env                        map[string]string
	// outputs: step outputs the jobs must set (name -> value; "*" any
	// non-empty value).
	outputs map[string]string
	// logHas: text act's log must hold.
	logHas []string
	// vars: the workflow's `vars` (act's --var).
	vars map[string]string
	// payload: the event's payload (act's -e), when the workflow reads one.
	payload map[string]any
	// then: a run that follows this one, made from its outputs (the
	// webhook path: the dispatch that the relay sends once Apple processed
	// the upload of the release workflow).
	then func(outputs map[string]string) actRun
}

func runs() []actRun {
	rehearse := map[string]string{"ASC_API_URL": "emulator"}
	return []actRun{
		{name: "self-test container", workflow: ".github/workflows/self-test.yml", job: "container", event: "push",
			outputs: map[string]string{"key-id": "ABCDE12345", "key-type": "team", "result": "ok", "key-status": "skipped", "token": "***"}},
		{name: "self-test native", workflow: ".github/workflows/self-test.yml", job: "native", matrix: "os:ubuntu-latest", event: "push",
			outputs: map[string]string{"result": "ok", "key-status": "skipped"}},
		{name: "pr-secrets", workflow: "examples/pr-secrets.yml", event: "workflow_dispatch", env: rehearse,
			outputs: map[string]string{"key-status": "valid"}, logHas: []string{"rehearsal"}},
		{name: "nightly-expiry", workflow: "examples/nightly-expiry.yml", event: "workflow_dispatch", env: rehearse,
			outputs: map[string]string{"report": "*", "expiring-count": "*"}, logHas: []string{"a rehearsal leaves GitHub alone"}},
		{name: "release", workflow: "examples/release.yml", event: "workflow_dispatch", env: rehearse,
			outputs: map[string]string{"processing-state": "VALID", "build-id": "*"}, logHas: []string{"rehearsal", "is VALID"}},
		{name: "release-macos", workflow: "examples/release-macos.yml", event: "workflow_dispatch", env: rehearse,
			outputs: map[string]string{"key-status": "valid", "processing-state": "VALID", "testflight-groups-added": "Internal Testers"},
			// The release binary: downloaded, or from the tool cache when
			// another native job of this run downloaded it first (the
			// download itself is checked once for all: TestWorkflowsUnderAct).
			logHas: []string{"asc-action v" + pinVersion, "/opt/hostedtoolcache/asc-action/" + pinVersion}},
		{name: "pinned-image", workflow: "examples/pinned-image.yml", event: "workflow_dispatch", env: map[string]string{"ASC_API_URL": "EMULATOR_URL"},
			outputs: map[string]string{"token": "***"}, logHas: []string{"com.example.demo  Demo"}},
		webhookPath(),
	}
}

// webhookPath is examples/release-webhooks.yml, then
// examples/testflight-on-processed.yml started by the repository_dispatch
// the relay would send for its upload, against one running emulator (a
// rehearsal inside each step would forget the upload between the two). The
// relay's URL is a closed port on loopback: the emulator's deliveries fail
// there, as they do while a relay is down, and nothing leaves the machine.
func webhookPath() actRun {
	emu := map[string]string{"ASC_API_URL": "EMULATOR_URL"}
	return actRun{name: "release-webhooks", workflow: "examples/release-webhooks.yml", event: "workflow_dispatch", env: emu,
		vars:    map[string]string{"ASC_WEBHOOK_URL": "https://127.0.0.1:9/asc-webhook"},
		outputs: map[string]string{"webhook-id": "*", "webhook-change": "created", "build-upload-id": "*", "upload-state": "*"},
		then: func(out map[string]string) actRun {
			return actRun{name: "testflight-on-processed", workflow: "examples/testflight-on-processed.yml", event: "repository_dispatch", env: emu,
				payload: map[string]any{"action": "asc-build-upload-state-updated", "client_payload": map[string]any{
					"event_type": "BUILD_UPLOAD_STATE_UPDATED", "instance_type": "buildUploads", "instance_id": out["build-upload-id"],
					"old_state": "PROCESSING", "new_state": "COMPLETE"}},
				outputs: map[string]string{"build-id": "*", "testflight-groups-added": "Internal Testers"}}
		}}
}

var (
	jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`)
	// The base64 start of every PKCS #8 P-256 private key: a key line.
	p8Start = "MIGHAgEAMBMGByqGSM49"
)

func (h *harness) run(t *testing.T, ctx context.Context, r actRun) {
	args := []string{r.event, "--json", "-W", r.workflow,
		"-P", "ubuntu-latest=local/runner:latest", "-P", "macos-latest=local/runner:latest",
		"--pull=false", "--rebuild=false", "--container-daemon-socket", "-", "--no-cache-server",
		"--local-repository", "asc-action/asc-action@v1=" + h.pinned,
		"--container-options", strings.Join([]string{
			"-v", h.stage + ":/asc-act",
			"-v", filepath.Join(h.root, ".ci", "act", "stubs", "xcodebuild") + ":/usr/local/bin/xcodebuild:ro",
			"-v", h.goRoot + ":/usr/local/go:ro",
			"-v", h.goModCache + ":/asc-act-gomod:ro",
			"-v", h.goCache + ":/asc-act-gocache",
		}, " "),
		"--env", "GOMODCACHE=/asc-act-gomod", "--env", "GOCACHE=/asc-act-gocache", "--env", "GOPROXY=off", "--env", "GOTOOLCHAIN=local",
		"--env", "ASC_ACTION_DOWNLOAD_URL=" + h.serverURL,
		// act takes the repository from the checkout's remote, else
		// "nektos/act"; a fixed name keeps the runs alike (a rehearsal
		// calls nothing in it).
		"--env", "GITHUB_REPOSITORY=acme/app",
		"-s", "ASC_PRIVATE_KEY", "-s", "ASC_KEY_ID", "-s", "ASC_ISSUER_ID", "-s", "GITHUB_TOKEN", "-s", "ASC_WEBHOOK_SECRET",
	}
	for pin, dir := range standIns {
		args = append(args, "--local-repository", pin+"="+filepath.Join(h.root, ".ci", "act", "stubs", dir))
	}
	if r.job != "" {
		args = append(args, "-j", r.job)
	}
	if r.matrix != "" {
		args = append(args, "--matrix", r.matrix)
	}
	for k, v := range r.vars {
		args = append(args, "--var", k+"="+v)
	}
	if r.payload != nil {
		b, err := json.Marshal(r.payload)
		if err != nil {
			t.Fatal(err)
		}
		ev := filepath.Join(t.TempDir(), "event.json")
		write(t, ev, string(b), 0o644)
		args = append(args, "-e", ev)
	}
	for k, v := range r.env {
		if v == "EMULATOR_URL" {
			v = h.emulatorURL
		}
		args = append(args, "--env", k+"="+v)
	}
	var lg *actLog
	for attempt := 1; ; attempt++ {
		var err error
		lg, err = h.act1(t, ctx, r, args)
		// act logs podman's build output only with --verbose; a failed
		// build of the action's image (seen once in three runs on a machine
		// shared six ways, never twice in a row) is run once more, and said.
		if err != nil && attempt == 1 && buildFailed(lg.text.String()) {
			t.Logf("act %s: the build of the action's image failed; running it once more", r.workflow)
			continue
		}
		if err != nil {
			t.Fatalf("act failed: %v\n%s", err, tail(h.redact(lg.text.String()), 60))
		}
		break
	}
	if lg.jobs == 0 || lg.failed > 0 {
		t.Errorf("%d job(s) succeeded, %d failed:\n%s", lg.jobs-lg.failed, lg.failed, tail(h.redact(lg.text.String()), 60))
	}
	for name, want := range r.outputs {
		if v, ok := lg.outputs[name]; !ok || (want != "*" && v != want) {
			t.Errorf("step output %s = %q, want %q", name, v, want)
		}
	}
	if strings.Contains(lg.text.String(), "Downloading asc-action v"+pinVersion+" for linux/amd64: "+h.serverURL) {
		h.downloaded.Store(true)
	}
	for _, s := range r.logHas {
		if !strings.Contains(lg.text.String(), s) {
			t.Errorf("act's log does not hold %q", s)
		}
	}
	for _, st := range lg.starts {
		t.Logf("bench: %s step %q: first output %s after the step started (job container up: %v)", r.name, st.step, st.firstOutput.Round(10*time.Millisecond), st.sinceStart.Round(time.Second))
	}
	if r.then != nil && !t.Failed() {
		h.run(t, ctx, r.then(lg.outputs))
	}
}

// act1 runs act once with args and returns its log, checked for leaks.
func (h *harness) act1(t *testing.T, ctx context.Context, r actRun, args []string) (*actLog, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, h.act, args...)
	cmd.Dir = h.root
	// Secrets travel in act's environment (`-s NAME` reads them there),
	// never on its command line or in a file.
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+h.eng.sock, "XDG_CACHE_HOME="+t.TempDir(),
		"ASC_PRIVATE_KEY="+h.key.PEM, "ASC_KEY_ID="+keyID, "ASC_ISSUER_ID="+issuer,
		"GITHUB_TOKEN=ghs_actTestTokenNotValidAnywhere0000000000", "ASC_WEBHOOK_SECRET="+h.webhookSecret)
	var errLog bytes.Buffer
	cmd.Stderr = &errLog
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lg := readLog(stdout, start)
	err = cmd.Wait()
	// What act shows: each entry's message. Its --json entries also carry
	// each workflow command's argument unmasked ("arg", "raw": the value
	// of an ::add-mask::, a token output), so the JSON itself is neither
	// checked nor kept.
	lg.text.Write(errLog.Bytes())
	logPath := filepath.Join(os.TempDir(), "asc-act-"+strings.ReplaceAll(r.name, " ", "-")+".log")
	_ = os.WriteFile(logPath, []byte(h.redact(lg.text.String())), 0o600)
	t.Logf("act %s: %v in %s (log: %s)", r.workflow, err, time.Since(start).Round(time.Second), logPath)
	h.checkLeaks(t, lg.text.String())
	return lg, err
}

// buildFailed reports whether the first step that failed was one whose
// action image act was building.
func buildFailed(log string) bool {
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Failure - Main") {
			return i > 0 && strings.Contains(lines[i-1], "docker build")
		}
	}
	return false
}

// actLog is act's --json log as read: the text, the step outputs set (a
// later one of the same name wins), the jobs and how many failed, and
// for each step of this action, when its first output came.
type actLog struct {
	text         bytes.Buffer
	outputs      map[string]string
	jobs, failed int
	starts       []stepStart
}

type stepStart struct {
	step                    string
	firstOutput, sinceStart time.Duration
}

// readLog reads act's --json lines as they come, timing each: act's own
// timestamps have whole seconds only.
func readLog(r io.Reader, start time.Time) *actLog {
	lg := &actLog{outputs: map[string]string{}}
	began, timed := map[string]time.Time{}, map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		now := time.Now()
		line := sc.Bytes()
		var e struct {
			Msg, Command, Name, JobResult, Job string
			RawOutput                          bool `json:"raw_output"`
			StepID                             []string
		}
		if json.Unmarshal(line, &e) != nil {
			lg.text.Write(line)
			lg.text.WriteByte('\n')
			continue
		}
		lg.text.WriteString("[" + e.Job + "] " + strings.TrimRight(e.Msg, "\n") + "\n")
		// A composite action's own steps carry its step's ID first.
		step := e.Job + "/"
		if len(e.StepID) > 0 {
			step += e.StepID[0]
		}
		switch {
		case e.Command == "set-output":
			// The value as act shows it (masked), never the entry's arg.
			if _, v, ok := strings.Cut(e.Msg, "::set-output:: "+e.Name+"="); ok && v != "" {
				lg.outputs[e.Name] = v
			}
		case e.JobResult != "":
			lg.jobs++
			if e.JobResult != "success" {
				lg.failed++
			}
		case strings.HasPrefix(e.Msg, "⭐ Run Main ") && !timed[step]:
			if _, ok := began[step]; !ok {
				began[step] = now
			}
		}
		// The binary's first line: a container action's own step, or the
		// native action's step "run" (not its installer's notice).
		binary := len(e.StepID) == 1 || (len(e.StepID) == 2 && e.StepID[1] == "run")
		if t0, ok := began[step]; ok && binary && (e.RawOutput || e.Command != "") {
			lg.starts = append(lg.starts, stepStart{step: step, firstOutput: now.Sub(t0), sinceStart: t0.Sub(start)})
			delete(began, step)
			timed[step] = true
		}
	}
	return lg
}

// checkLeaks fails when act's log holds a line of the test's key, the
// start of any PKCS #8 P-256 key (self-test.yml makes its own), or a
// token; secrets must show as ***.
func (h *harness) checkLeaks(t *testing.T, log string) {
	t.Helper()
	secrets := []string{base64.StdEncoding.EncodeToString(h.key.DER), p8Start}
	for _, l := range strings.Split(strings.TrimSpace(h.key.PEM), "\n") {
		if !strings.HasPrefix(l, "-----") {
			secrets = append(secrets, l)
		}
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("act's log holds key material (%d chars)", len(s))
		}
	}
	if n := len(jwtShape.FindAllString(log, -1)); n > 0 {
		t.Errorf("act's log holds %d token(s)", n)
	}
	if strings.Contains(log, h.webhookSecret) {
		t.Errorf("act's log holds the webhook secret")
	}
}

// redact hides what checkLeaks looks for, so a failing test's log shows
// none of it either.
func (h *harness) redact(log string) string {
	for _, l := range strings.Split(strings.TrimSpace(h.key.PEM), "\n") {
		if !strings.HasPrefix(l, "-----") && l != "" {
			log = strings.ReplaceAll(log, l, "[key line]")
		}
	}
	log = strings.ReplaceAll(log, h.webhookSecret, "[webhook secret]")
	return jwtShape.ReplaceAllString(log, "[token]")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// goTool builds a tool pinned in the module at dir with `go tool -n`.
func goTool(t *testing.T, dir, name string) string {
	t.Helper()
	return strings.TrimSpace(runOut(t, context.Background(), dir, nil, "go", "tool", "-n", name))
}

func runOut(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// dockerfileGoTag is the tag of the golang image the source Dockerfile
// starts FROM.
func dockerfileGoTag(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FROM golang:(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile starts FROM no golang image")
	}
	return string(m[1])
}

// release is the release the released forms are pinned to: the
// snapshot's files from ASC_RELEASE_DIST (.ci/run builds it) under version
// pinVersion, or, outside CI, a linux/amd64 build of this checkout and
// stand-ins for the other platforms.
func release(t *testing.T, ctx context.Context, root string) shipcheck.Release {
	t.Helper()
	r := shipcheck.Release{Version: pinVersion, Assets: map[string][]byte{}}
	dist := os.Getenv("ASC_RELEASE_DIST")
	if dist == "" && os.Getenv("CI") == "true" {
		t.Fatal("ASC_RELEASE_DIST is not set: .ci/run builds the snapshot into dist/ and sets it")
	}
	var snapshot map[string]string
	if dist != "" {
		snapshot = distBinaries(t, dist)
	}
	for _, p := range shipcheck.Platforms {
		var b []byte
		if dist != "" {
			path, ok := snapshot[p.GOOS+"/"+p.GOARCH]
			if !ok {
				t.Fatalf("%s holds no bare binary for %s/%s", dist, p.GOOS, p.GOARCH)
			}
			var err error
			if b, err = os.ReadFile(path); err != nil {
				t.Fatal(err)
			}
		} else if p.GOOS == "linux" && p.GOARCH == "amd64" {
			out := t.TempDir()
			if err := shipcheck.GoBuild(ctx, root, out, "v"+pinVersion, "GOOS=linux", "GOARCH=amd64"); err != nil {
				t.Fatal(err)
			}
			var err error
			if b, err = os.ReadFile(filepath.Join(out, "asc-action")); err != nil {
				t.Fatal(err)
			}
		} else {
			b = []byte(fmt.Sprintf("stand-in for %s/%s", p.GOOS, p.GOARCH))
		}
		r.Add(shipcheck.AssetName(pinVersion, p.GOOS, p.GOARCH), b)
	}
	return r
}

// distBinaries reads GoReleaser's artifacts.json in dist and returns the
// path of the bare release binary of each "goos/goarch".
func distBinaries(t *testing.T, dist string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, "artifacts.json"))
	if err != nil {
		t.Fatalf("ASC_RELEASE_DIST=%s: %v (.ci/run builds the snapshot first)", dist, err)
	}
	var arts []struct{ Name, Path, Type, Goos, Goarch string }
	if err := json.Unmarshal(b, &arts); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range arts {
		if a.Type != "Binary" || !strings.HasPrefix(a.Name, "asc-action_") {
			continue
		}
		if !filepath.IsAbs(a.Path) {
			a.Path = filepath.Join(filepath.Dir(dist), a.Path) // relative to the project root
		}
		out[a.Goos+"/"+a.Goarch] = a.Path
	}
	return out
}

// TestEveryWorkflowRunsUnderAct: each workflow in examples/ and
// self-test.yml is among the runs (a run's follow-up included), so a new
// example cannot be left out of TestWorkflowsUnderAct.
func TestEveryWorkflowRunsUnderAct(t *testing.T) {
	root, err := shipcheck.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range runs() {
		covered[r.workflow] = true
		if r.then != nil {
			covered[r.then(map[string]string{"build-upload-id": "x"}).workflow] = true
		}
	}
	want, _ := filepath.Glob(filepath.Join(root, "examples", "*.yml"))
	want = append(want, filepath.Join(root, ".github", "workflows", "self-test.yml"))
	for _, w := range want {
		rel, _ := filepath.Rel(root, w)
		if !covered[rel] {
			t.Errorf("%s is not run under act: add it to runs()", rel)
		}
	}
}
