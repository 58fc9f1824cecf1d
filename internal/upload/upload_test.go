package upload

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/eventtest"
	"github.com/asc-action/asc-action/internal/testclock"
	"github.com/asc-action/asc-action/internal/testkeys"
	"github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

func TestRunEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		partSize  int64
		payload   int64
		binary    bool
		wait      Wait
		wantParts int
	}{
		{"one part, binary plist, wait processing", 8 << 20, 300_000, true, WaitProcessing, 1},
		{"hundreds of parts, XML plist, wait upload", 16 << 10, 4 << 20, false, WaitUpload, 257},
		{"no wait", 1 << 20, 3 << 20, true, WaitNone, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{PartSize: tc.partSize, UploadProcessingDelay: 2 * time.Minute, BuildProcessingDelay: 10 * time.Minute})
			path, sum := writeIPA(t, "2", tc.payload, tc.binary)
			cfg := e.config(path)
			cfg.Wait = tc.wait
			var rec recorder
			res, err := Run(context.Background(), e.client, cfg, rec.Add)
			if err != nil {
				t.Fatal(err)
			}
			got, size, err := e.emu.UploadedFileDigest(res.BuildUploadFileID)
			if err != nil {
				t.Fatal(err)
			}
			if got != sum || size != res.Bytes {
				t.Errorf("emulator reassembled %d bytes with SHA-256 %s; the file has %d bytes, %s", size, got, res.Bytes, sum)
			}
			if res.Parts != tc.wantParts || res.BundleID != emulator.DemoBundleID || res.BuildVersion != "2" || res.AppID != "1000000001" || res.FileName != "Demo.ipa" {
				t.Errorf("result = %+v", res)
			}
			switch tc.wait {
			case WaitProcessing:
				if res.UploadState != "COMPLETE" || res.ProcessingState != "VALID" || res.BuildID == "" {
					t.Errorf("states %s/%s build %q", res.UploadState, res.ProcessingState, res.BuildID)
				}
			case WaitUpload:
				if res.UploadState != "COMPLETE" || res.BuildID == "" || res.ProcessingState != "" {
					t.Errorf("states %s/%s build %q", res.UploadState, res.ProcessingState, res.BuildID)
				}
			case WaitNone:
				if res.UploadState != "PROCESSING" || res.BuildID != "" {
					t.Errorf("state %s build %q", res.UploadState, res.BuildID)
				}
			}
			k := rec.kinds()
			for _, want := range []EventKind{EventInspected, EventApp, EventCreated, EventReserved, EventTransfer, EventTransferred, EventCommitted} {
				if k[want] == 0 {
					t.Errorf("no %s event; got %v", want, k)
				}
			}
			if e.emu.IncompleteCommits() != 0 || len(e.emu.AuthFailures()) != 0 {
				t.Errorf("incomplete commits %d, auth failures %v", e.emu.IncompleteCommits(), e.emu.AuthFailures())
			}
		})
	}
}

func TestRunExistingBuild(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(map[bool]string{false: "stops", true: "skip-existing"}[skip], func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			path, _ := writeIPA(t, "1", 1000, true) // DefaultData has build 1
			cfg := e.config(path)
			cfg.SkipExisting = skip
			var rec recorder
			res, err := Run(context.Background(), e.client, cfg, rec.Add)
			if skip {
				if err != nil || !res.Skipped || res.BuildID != "BUILD00001" || res.ProcessingState != "VALID" {
					t.Errorf("res = %+v, err = %v", res, err)
				}
			} else {
				if !errors.Is(err, ErrBuildExists) || !strings.Contains(err.Error(), "skip-existing") || !strings.Contains(err.Error(), "build 1 of com.example.demo") {
					t.Errorf("err = %v", err)
				}
			}
			if n := e.emu.Requests()["buildUploads_createInstance"]; n != 0 {
				t.Errorf("%d build uploads created for an existing build number", n)
			}
			if len(rec.find(EventExisting)) != 1 {
				t.Errorf("events %v", rec.kinds())
			}
		})
	}

	t.Run("an upload in flight counts, an abandoned one is reclaimed", func(t *testing.T) {
		e := newEnv(t, emulator.Config{})
		ctx := context.Background()
		stale, _, err := e.client.CreateBuildUpload(ctx, "1000000001", "1.1", "7", "IOS")
		if err != nil {
			t.Fatal(err)
		}
		path, sum := writeIPA(t, "7", 5000, true)
		var rec recorder
		res, err := Run(ctx, e.client, e.config(path), rec.Add)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.find(EventStaleUpload)) != 1 || res.BuildUploadID == stale.ID {
			t.Errorf("the stale upload %s was not reclaimed: events %v", stale.ID, rec.kinds())
		}
		if got, _, _ := e.emu.UploadedFileDigest(res.BuildUploadFileID); got != sum {
			t.Error("digest differs")
		}
		// Now build 7 is COMPLETE: a second run stops.
		_, err = Run(ctx, e.client, e.config(path), nil)
		if !errors.Is(err, ErrBuildExists) {
			t.Errorf("second run err = %v", err)
		}
	})
}

func TestRunRefusesBeforeSending(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	dir := t.TempDir()
	notIPA := dir + "/notes.ipa"
	if err := writeFile(notIPA, "hello"); err != nil {
		t.Fatal(err)
	}
	other, _ := writeIPA(t, "3", 100, false)
	for _, tc := range []struct {
		name   string
		cfg    Config
		want   error
		inputs bool // an API call is allowed (the app lookup)
	}{
		{"not an ipa", Config{Path: notIPA}, ipa.ErrNotZip, false},
		{"missing file", Config{Path: dir + "/none.ipa"}, ipa.ErrOpen, false},
		{"bad wait", Config{Path: other, Wait: "forever"}, ErrConfig, false},
		{"unknown bundle id", Config{Path: other, Override: ipa.Facts{BundleID: "com.example.nope"}}, ErrAppNotFound, true},
		{"unknown app id", Config{Path: other, AppID: "999"}, ErrAppNotFound, true},
		{"app id of another bundle", Config{Path: other, AppID: "1000000001", Override: ipa.Facts{BundleID: "com.example.other"}}, ErrConfig, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.emu.Requests()
			cfg := tc.cfg
			cfg.Now, cfg.Sleep = e.clock.Now, e.clock.Sleep
			_, err := Run(context.Background(), e.client, cfg, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			after := e.emu.Requests()
			if after["buildUploads_createInstance"] != before["buildUploads_createInstance"] {
				t.Error("a build upload was created")
			}
			if !tc.inputs && len(after) != len(before) {
				t.Errorf("requests were sent: %v -> %v", before, after)
			}
		})
	}
}

func TestRunUnderFaults(t *testing.T) {
	rules := func(commit emulator.FaultKind) []emulator.FaultRule {
		r := []emulator.FaultRule{
			{Op: emulator.OpUploadPart, Rate: 0.05, Kind: emulator.Fault500},
			{Op: emulator.OpUploadPart, Rate: 0.05, Kind: emulator.Fault503},
			{Op: emulator.OpUploadPart, Rate: 0.05, Kind: emulator.Fault429},
			{Op: emulator.OpUploadPart, Rate: 0.05, Kind: emulator.FaultDrop},
		}
		if commit != "" {
			r = append(r, emulator.FaultRule{Op: "buildUploadFiles_updateInstance", Rate: 1, Kind: commit})
		}
		return r
	}
	for _, tc := range []struct {
		name       string
		faults     emulator.Faults
		wantErr    error
		wantCommit int // PATCH requests
	}{
		{"a fifth of parts fail, some URLs expired, the commit answer is lost",
			emulator.Faults{Rules: rules(emulator.FaultLose), ExpireRate: 0.1, Seed: 1}, nil, 1},
		{"the commit answer is cut short",
			emulator.Faults{Rules: rules(emulator.FaultTruncate), Seed: 2}, nil, 1},
		{"the commit never arrives",
			emulator.Faults{Rules: rules(emulator.FaultDrop), Seed: 3}, ErrCommit, DefaultCommitAttempts},
		{"the answer to creating the upload is lost",
			emulator.Faults{Rules: []emulator.FaultRule{{Op: "buildUploads_createInstance", Rate: 1, Kind: emulator.FaultLose}}}, nil, 1},
		{"the answer to reserving the file is cut short",
			emulator.Faults{Rules: []emulator.FaultRule{{Op: "buildUploadFiles_createInstance", Rate: 1, Kind: emulator.FaultTruncate}}}, nil, 1},
		{"every part fails",
			emulator.Faults{Rules: []emulator.FaultRule{{Op: emulator.OpUploadPart, Rate: 1, Kind: emulator.Fault500}}}, ErrTransfer, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{PartSize: 32 << 10, Faults: tc.faults, UploadProcessingDelay: time.Minute})
			path, sum := writeIPA(t, "5", 3<<20, true)
			cfg := e.config(path)
			cfg.Transfer.MaxAttempts = 10
			var rec recorder
			res, err := Run(context.Background(), e.client, cfg, rec.Add)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if n := e.emu.Requests()["buildUploadFiles_updateInstance"]; n != tc.wantCommit {
				t.Errorf("commit sent %d times, want %d", n, tc.wantCommit)
			}
			if e.emu.IncompleteCommits() != 0 {
				t.Error("an incomplete upload was committed")
			}
			if tc.wantErr != nil {
				// The upload that cannot complete is gone, so a retry is not blocked.
				if _, _, gerr := e.client.GetBuildUpload(context.Background(), res.BuildUploadID); !errors.Is(gerr, asc.ErrNotFound) {
					t.Errorf("upload %s still exists (%v)", res.BuildUploadID, gerr)
				}
				if len(rec.find(EventDeleted)) != 1 {
					t.Errorf("events %v", rec.kinds())
				}
				e.emu.SetFaults(emulator.Faults{})
				if _, err := Run(context.Background(), e.client, e.config(path), nil); err != nil {
					t.Errorf("a retry after the failure: %v", err)
				}
				return
			}
			got, _, err := e.emu.UploadedFileDigest(res.BuildUploadFileID)
			if err != nil || got != sum {
				t.Errorf("digest %s, want %s (%v)", got, sum, err)
			}
			if res.UploadState != "COMPLETE" {
				t.Errorf("state %s", res.UploadState)
			}
			if strings.Contains(tc.name, "the answer to") {
				found := false
				for _, ev := range rec.find(EventState) {
					found = found || (ev.Level == LevelWarning && strings.Contains(ev.Message, "was lost"))
				}
				if !found {
					t.Error("no warning that an answer was lost and the resource found")
				}
			}
			if n := e.emu.Requests()["buildUploads_createInstance"]; n != 1 {
				t.Errorf("%d build uploads created, want 1", n)
			}
			if parts := tc.faults.Rules[0].Op == emulator.OpUploadPart; parts && res.Transfer.Retries == 0 {
				t.Error("no part was retried")
			}
			if tc.faults.ExpireRate > 0 && res.Transfer.Refreshes == 0 {
				t.Error("no part URL was refreshed though some were expired")
			}
		})
	}
}

func TestRunWaits(t *testing.T) {
	// build9 is an emulator and the Config of build 9 (a small IPA) waiting
	// as far as wait says.
	build9 := func(t *testing.T, emu emulator.Config, wait Wait) (*env, Config) {
		e := newEnv(t, emu)
		path, _ := writeIPA(t, "9", 1000, true)
		cfg := e.config(path)
		cfg.Wait = wait
		return e, cfg
	}
	t.Run("90-minute processing sends no expired token", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{UploadProcessingDelay: 5 * time.Minute, BuildProcessingDelay: 90 * time.Minute}, WaitProcessing)
		cfg.Timeout, cfg.PollInterval = 2*time.Hour, 30*time.Second
		start := e.clock.Now()
		res, err := Run(context.Background(), e.client, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ProcessingState != "VALID" || e.clock.Now().Sub(start) < 95*time.Minute {
			t.Errorf("state %s after %v", res.ProcessingState, e.clock.Now().Sub(start))
		}
		if f := e.emu.AuthFailures(); len(f) != 0 {
			t.Errorf("tokens refused: %v", f)
		}
		if n := e.mints.Load(); n < 5 {
			t.Errorf("%d tokens minted over 95 minutes; each lives at most 20", n)
		}
	})
	t.Run("state reads failing for a while are waited out", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{BuildProcessingDelay: 10 * time.Minute}, WaitProcessing)
		var rec recorder
		failing := true
		res, err := Run(context.Background(), e.client, cfg, func(ev Event) {
			rec.Add(ev)
			if ev.Kind == EventCommitted && failing {
				// Every GET of the upload fails from now on, until enough warnings.
				e.emu.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Op: "buildUploads_getInstance", Rate: 1, Kind: emulator.Fault500}}})
			}
			if ev.Kind == EventWaiting && ev.Level == LevelWarning && strings.Contains(ev.Message, "(3 of") {
				failing = false
				e.emu.SetFaults(emulator.Faults{})
			}
		})
		if err != nil || res.ProcessingState != "VALID" {
			t.Fatalf("err = %v, state %s", err, res.ProcessingState)
		}
		warned := 0
		for _, ev := range rec.find(EventWaiting) {
			if ev.Level == LevelWarning {
				warned++
			}
		}
		if warned != 3 {
			t.Errorf("%d warnings about failed reads, want 3", warned)
		}
	})
	t.Run("state reads failing for good end the wait", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{BuildProcessingDelay: 10 * time.Minute}, WaitProcessing)
		_, err := Run(context.Background(), e.client, cfg, func(ev Event) {
			if ev.Kind == EventCommitted {
				e.emu.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Op: "buildUploads_getInstance", Rate: 1, Kind: emulator.Fault500}}})
			}
		})
		if !errors.Is(err, asc.ErrServer) || !strings.Contains(err.Error(), "it was committed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{BuildProcessingDelay: 3 * time.Hour}, WaitProcessing)
		cfg.Timeout = time.Hour
		start := e.clock.Now()
		res, err := Run(context.Background(), e.client, cfg, nil)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "committed") {
			t.Fatalf("err = %v", err)
		}
		if d := e.clock.Now().Sub(start); d < time.Hour || d > time.Hour+time.Minute {
			t.Errorf("gave up after %v, want the 1h timeout", d)
		}
		if res.UploadState != "COMPLETE" || res.ProcessingState != "PROCESSING" {
			t.Errorf("states %s/%s", res.UploadState, res.ProcessingState)
		}
	})
	t.Run("Apple rejects the upload", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{Faults: emulator.Faults{FailProcessing: true}}, "")
		var rec recorder
		res, err := Run(context.Background(), e.client, cfg, rec.Add)
		if !errors.Is(err, ErrUploadFailed) || !strings.Contains(err.Error(), "ITMS-90062") {
			t.Fatalf("err = %v", err)
		}
		d := rec.find(EventDiagnostic)
		if len(d) != 1 || d[0].Level != LevelError || d[0].Code != "ITMS-90062" || len(res.Errors) != 1 {
			t.Errorf("diagnostics %+v, result errors %v", d, res.Errors)
		}
	})
	t.Run("the build is invalid", func(t *testing.T) {
		e, cfg := build9(t, emulator.Config{Faults: emulator.Faults{InvalidBuild: true}}, WaitProcessing)
		res, err := Run(context.Background(), e.client, cfg, nil)
		if !errors.Is(err, ErrBuildInvalid) || res.ProcessingState != "INVALID" {
			t.Fatalf("err = %v, state %s", err, res.ProcessingState)
		}
	})
}

func TestRunCancelDeletesTheUpload(t *testing.T) {
	e := newEnv(t, emulator.Config{PartSize: 64 << 10, Faults: emulator.Faults{Latency: 20 * time.Millisecond}})
	path, _ := writeIPA(t, "11", 4<<20, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := e.config(path)
	cfg.Parallelism = 2
	var rec recorder
	res, err := Run(ctx, e.client, cfg, func(ev Event) {
		rec.Add(ev)
		if ev.Kind == EventTransfer && ev.Transfer.Kind == transfer.PartDone {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if e.emu.Requests()["buildUploadFiles_updateInstance"] != 0 {
		t.Error("a cancelled upload was committed")
	}
	if _, _, gerr := e.client.GetBuildUpload(context.Background(), res.BuildUploadID); !errors.Is(gerr, asc.ErrNotFound) {
		t.Errorf("cancelled upload %s still exists (%v)", res.BuildUploadID, gerr)
	}
}

func TestPackageNeedsVersions(t *testing.T) {
	e := newEnv(t, emulator.Config{SkipArchiveCheck: true})
	pkg := t.TempDir() + "/Mac.pkg"
	if err := writeFile(pkg, strings.Repeat("xar!", 1000)); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(pkg)
	if _, err := Run(context.Background(), e.client, cfg, nil); !errors.Is(err, ipa.ErrPackageNeedsVersions) {
		t.Fatalf("err = %v", err)
	}
	cfg.Override = ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: "20", ShortVersion: "2.0"}
	res, err := Run(context.Background(), e.client, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Platform != "MAC_OS" || res.UploadState != "COMPLETE" {
		t.Errorf("result %+v", res)
	}
}

func TestParseWait(t *testing.T) {
	for in, want := range map[string]Wait{"": WaitUpload, "none": WaitNone, " Upload ": WaitUpload, "PROCESSING": WaitProcessing} {
		if got, err := ParseWait(in); err != nil || got != want {
			t.Errorf("ParseWait(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseWait("forever"); !errors.Is(err, ErrConfig) {
		t.Errorf("err = %v", err)
	}
}

// overlapAPI holds the build-upload listing until the builds listing has been
// asked, to show the two duplicate checks are in flight at once.
type overlapAPI struct {
	API
	buildsAsked chan struct{}
	once        sync.Once
	overlapped  atomic.Bool
}

func (o *overlapAPI) ListBuilds(ctx context.Context, opts *asc.ListBuildsOptions) ([]asc.Build, *asc.Response, error) {
	o.once.Do(func() { close(o.buildsAsked) })
	return o.API.ListBuilds(ctx, opts)
}

func (o *overlapAPI) ListAppBuildUploads(ctx context.Context, appID string, opts *asc.ListBuildUploadsOptions) ([]asc.BuildUpload, *asc.Response, error) {
	select {
	case <-o.buildsAsked:
		o.overlapped.Store(true)
	case <-time.After(5 * time.Second): // a serial check never gets here first: fail, do not hang
	}
	return o.API.ListAppBuildUploads(ctx, appID, opts)
}

func TestRunChecksDuplicatesInOneRoundTrip(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	path, sum := writeIPA(t, "9", 5000, true)
	api := &overlapAPI{API: e.client, buildsAsked: make(chan struct{})}
	res, err := Run(context.Background(), api, e.config(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !api.overlapped.Load() {
		t.Error("the builds listing was not asked while the build-upload listing was in flight")
	}
	if got, _, _ := e.emu.UploadedFileDigest(res.BuildUploadFileID); got != sum {
		t.Error("digest differs")
	}

	// Both checks still stop the run: the existing build 1 and the upload of 9.
	for _, version := range []string{"1", "9"} {
		path, _ := writeIPA(t, version, 5000, true)
		api := &overlapAPI{API: e.client, buildsAsked: make(chan struct{})}
		if _, err := Run(context.Background(), api, e.config(path), nil); !errors.Is(err, ErrBuildExists) {
			t.Errorf("build %s: err = %v, want ErrBuildExists", version, err)
		}
	}
}

// env is an emulator and a client signed by a freshly generated key, both on
// one fake clock.
type env struct {
	t      testing.TB
	url    string
	src    *token.Source
	clock  *testclock.Clock
	emu    *emulator.Server
	client *asc.Client
	mints  atomic.Int32
}

func newEnv(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	c := testclock.New(testclock.Start) // moves only when someone sleeps on it
	e := newEnvClock(t, cfg, c)
	e.client, _ = asc.New(e.url, e.src, asc.WithClock(c.Now), asc.WithSleep(c.Sleep),
		asc.WithRand(mrand.NewPCG(1, 2)), asc.WithRetryWait(10*time.Millisecond, 100*time.Millisecond))
	return e
}

// newEnvClock starts an emulator on clock c (the real clock when nil).
func newEnvClock(t testing.TB, cfg emulator.Config, c *testclock.Clock) *env {
	t.Helper()
	now := time.Now
	if c != nil {
		now = c.Now
	}
	e := &env{t: t, clock: c}
	priv := testkeys.New(t).Private
	const keyID, issuer = "ABCDE12345", "57246542-96fe-1a63-e053-0824d011072a"
	cfg.Keys = []emulator.Key{{ID: keyID, IssuerID: issuer, Public: &priv.PublicKey}}
	if cfg.Data == nil {
		cfg.Data = emulator.DefaultData(now())
	}
	cfg.Now = now
	e.emu = emulator.New(cfg)
	url, err := e.emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.emu.Close() })
	m, err := token.NewMinter(priv, token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.url = url
	e.src = token.NewSource(m, 0, func(token.Token) { e.mints.Add(1) })
	e.client, err = asc.New(url, e.src)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// config is a Config on env's clock with fast retries.
func (e *env) config(path string) Config {
	c := Config{Path: path, Now: e.clock.Now, Sleep: e.clock.Sleep, PollInterval: 10 * time.Second}
	c.Transfer.MinBackoff = 10 * time.Millisecond
	c.Transfer.MaxBackoff = 100 * time.Millisecond
	c.Transfer.MaxAttempts = 12
	c.Transfer.Rand = mrand.New(mrand.NewPCG(3, 4))
	return c
}

// writeIPA generates an IPA for the demo app and returns its path and SHA-256.
func writeIPA(t testing.TB, version string, payload int64, binary bool) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Demo.ipa")
	facts := ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: version, ShortVersion: "1.1", Platform: ipa.IOS, MinimumOSVersion: "17.0"}
	sum, _, err := ipa.WriteFile(p, facts, ipa.WriteOptions{PayloadSize: payload, Binary: binary, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	return p, sum
}

// recorder keeps events.
type recorder struct{ eventtest.Recorder[Event] }

func (r *recorder) kinds() map[EventKind]int {
	m := map[EventKind]int{}
	for _, e := range r.All() {
		m[e.Kind]++
	}
	return m
}

func (r *recorder) find(kind EventKind) []Event {
	return r.Where(func(e Event) bool { return e.Kind == kind })
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
