package distribute

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	dist "github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/distribute/distributetest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/steps/testflight"
	"github.com/asc-action/asc-action/internal/token"
)

const (
	keyID  = distributetest.KeyID
	issuer = distributetest.IssuerID
	appID  = distributetest.AppID
)

// world is the distribute tests' emulator world (see distributetest.World).
type world struct{ *distributetest.World }

func newWorld(t *testing.T, role string, faults emulator.Faults) *world {
	t.Helper()
	return &world{distributetest.New(t, role, faults)}
}

// run runs the distribute command with inputs on top of the key inputs.
func (w *world) run(t *testing.T, inputs map[string]string) (*commandtest.Recorder, error) {
	t.Helper()
	in := map[string]string{"private-key": w.Key.PEM, "key-id": keyID, "issuer-id": issuer, "api-url": w.URL,
		testflight.InWhatsNewLocale: dist.DefaultLocale, InTimeout: "1h", testflight.InSubmitReview: "false"}
	for k, v := range inputs {
		in[k] = v
	}
	rec := commandtest.NewRecorder()
	env := rec.Env(in, w.Clock.Now)
	env.HTTP = &http.Client{Transport: w.Writes, Timeout: 10 * time.Second}
	cmd := newCommand(options{interval: time.Minute, sleep: w.Clock.Sleep})
	err := cmd.Run(context.Background(), env)
	if strings.Contains(rec.Text(), "PRIVATE KEY") || strings.Contains(rec.Text(), "eyJ") {
		t.Error("key material or a token reached the logs or the summary")
	}
	return rec, err
}

func TestDistributeEndToEnd(t *testing.T) {
	w := newWorld(t, emulator.RoleAppManager, emulator.Faults{})
	inputs := map[string]string{
		InBuildID:                 "BUILD00002",
		testflight.InGroups:       "Internal Testers\nGROUP00002\n",
		testflight.InWhatsNew:     "Try the new login.\nThen log out.",
		testflight.InEncryption:   "false",
		testflight.InSubmitReview: "true",
	}
	start := w.Clock.Now()
	rec, err := w.run(t, inputs)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, rec.Text())
	}
	if waited := w.Clock.Now().Sub(start); waited != 10*time.Minute {
		t.Errorf("waited %v for processing; the emulator takes 10m", waited)
	}
	want := []string{
		"PATCH /v1/builds/BUILD00002",
		"POST /v1/betaBuildLocalizations",
		"POST /v1/builds/BUILD00002/relationships/betaGroups",
		"POST /v1/betaAppReviewSubmissions",
	}
	if got := w.Writes.Take(); !slices.Equal(got, want) {
		t.Errorf("first run sent %v; want %v", got, want)
	}
	outs := map[string]string{OutBuildID: "BUILD00002", testflight.OutGroupsAdded: "Internal Testers,Public Beta", testflight.OutReviewState: "WAITING_FOR_REVIEW"}
	for k, v := range outs {
		if rec.Outputs[k] != v {
			t.Errorf("output %s = %q; want %q", k, rec.Outputs[k], v)
		}
	}
	if len(rec.Summaries) != 1 {
		t.Fatalf("summaries = %v", rec.Summaries)
	}
	sum := rec.Summaries[0]
	for _, s := range []string{"| Internal Testers | internal | `GROUP00001` | added |", "| Public Beta | external | `GROUP00002` | added |",
		"> Try the new login.\n> Then log out.", "(en-US, created)", "Beta app review: **WAITING_FOR_REVIEW** (submitted now)", "Export compliance: uses non-exempt encryption = false (sent)"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
	if !strings.Contains(rec.Text(), "build BUILD00002: PROCESSING") || !strings.Contains(rec.Text(), "build BUILD00002: VALID") {
		t.Errorf("the wait was not logged:\n%s", rec.Text())
	}
	ops := w.Server.Requests()

	// A re-run job: the same step, by app-id and build-version this time,
	// reads and changes nothing, and gives the same outputs.
	again := map[string]string{InAppID: appID, InBuildVersion: "2"}
	for k, v := range inputs {
		if k != InBuildID {
			again[k] = v
		}
	}
	rec2, err := w.run(t, again)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, rec2.Text())
	}
	if got := w.Writes.Take(); len(got) != 0 {
		t.Errorf("second run sent %v; want nothing", got)
	}
	after := w.Server.Requests()
	for _, op := range []string{"builds_updateInstance", "betaBuildLocalizations_createInstance", "betaBuildLocalizations_updateInstance",
		"builds_betaGroups_createToManyRelationship", "betaAppReviewSubmissions_createInstance"} {
		if after[op] != ops[op] {
			t.Errorf("the emulator saw %s %d more times on the second run", op, after[op]-ops[op])
		}
	}
	for k, v := range outs {
		if rec2.Outputs[k] != v {
			t.Errorf("second run output %s = %q; want %q", k, rec2.Outputs[k], v)
		}
	}
	if sum := rec2.Summaries[0]; !strings.Contains(sum, "| Public Beta | external | `GROUP00002` | already there |") ||
		!strings.Contains(sum, "Nothing changed") || !strings.Contains(sum, "(already submitted)") {
		t.Errorf("second summary:\n%s", sum)
	}
}

func TestDistributeErrors(t *testing.T) {
	cases := []struct {
		name     string
		role     string
		faults   emulator.Faults
		inputs   map[string]string
		exit     int
		is       error
		contains []string
	}{
		{name: "unknown group", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00001", testflight.InGroups: "Public Beta\nQA"},
			exit: 1, is: dist.ErrUnknownGroup, contains: []string{`no beta group "QA"`, `"Internal Testers" (internal, id GROUP00001)`, `"Public Beta" (external, id GROUP00002)`}},
		{name: "build ends INVALID", role: emulator.RoleAdmin, faults: emulator.Faults{InvalidBuild: true}, inputs: map[string]string{InBuildID: "BUILD00002", testflight.InGroups: "Public Beta"},
			exit: 1, is: dist.ErrBuildNotValid, contains: []string{"build BUILD00002 (build number 2) was processed as INVALID", "upload a new build number"}},
		{name: "role may not manage TestFlight", role: emulator.RoleFinance, inputs: map[string]string{InBuildID: "BUILD00001", testflight.InGroups: "Public Beta"},
			exit: 1, is: dist.ErrNotPermitted, contains: []string{"may not manage TestFlight", "Admin or App Manager role", "403"}},
		{name: "still processing at the timeout", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00002", testflight.InGroups: "Public Beta", InTimeout: "5m"},
			exit: 1, is: dist.ErrWaitTimeout, contains: []string{"still PROCESSING after 5m0s", "raise timeout"}},
		{name: "no build named", role: emulator.RoleAdmin, inputs: map[string]string{testflight.InGroups: "Public Beta", InAppID: appID},
			exit: 2, contains: []string{"give build-id, or app-id together with build-version"}},
		{name: "build-upload-id with build-id", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00001", InBuildUploadID: "UPLOAD1", testflight.InGroups: "Public Beta"},
			exit: 2, contains: []string{"give build-upload-id alone"}},
		{name: "nothing to do", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00001"},
			exit: 2, contains: []string{"nothing to do"}},
		{name: "bad encryption answer", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00001", testflight.InEncryption: "maybe"},
			exit: 2, contains: []string{"uses-non-exempt-encryption must be true or false"}},
		{name: "bad locale", role: emulator.RoleAdmin, inputs: map[string]string{InBuildID: "BUILD00001", testflight.InWhatsNew: "x", testflight.InWhatsNewLocale: "English"},
			exit: 2, contains: []string{`whats-new-locale "English"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, c.role, c.faults)
			_, err := w.run(t, c.inputs)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("message: %v", err)
			if got := command.ExitCode(err); got != c.exit {
				t.Errorf("exit code %d; want %d", got, c.exit)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v; want %v", err, c.is)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q", s)
				}
			}
			if got := w.Writes.Take(); c.role != emulator.RoleFinance && len(got) != 0 {
				t.Errorf("a failed run sent %v", got)
			}
		})
	}
}

func TestInputsAndRequested(t *testing.T) {
	cmd := Command()
	var shared testflight.Options
	for _, in := range command.Declarations(shared.Fields()) {
		if cmd.Input(in.Name) == nil {
			t.Errorf("distribute lacks shared input %s", in.Name)
		}
	}
	for _, name := range []string{"private-key", "key-id", "issuer-id", "api-url", InBuildID, InAppID, InBuildVersion, InTimeout} {
		if cmd.Input(name) == nil {
			t.Errorf("distribute lacks input %s", name)
		}
	}
	cases := []struct {
		in   map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{testflight.InWhatsNewLocale: "en-US", testflight.InSubmitReview: "false"}, false},
		{map[string]string{testflight.InGroups: "Beta"}, true},
		{map[string]string{testflight.InWhatsNew: "x"}, true},
		{map[string]string{testflight.InEncryption: "false"}, true},
		{map[string]string{testflight.InSubmitReview: "true"}, true},
	}
	fill := func(in map[string]string) *testflight.Options {
		var o testflight.Options
		if err := command.Fill(command.MapValues(in), o.Fields()); err != nil {
			t.Fatal(err)
		}
		return &o
	}
	for _, c := range cases {
		if got := fill(c.in).Requested(); got != c.want {
			t.Errorf("Requested(%v) = %v", c.in, got)
		}
	}
	cfg, err := fill(map[string]string{testflight.InGroups: "A\r\nB, C\n\nA", testflight.InEncryption: "true", testflight.InWhatsNew: "notes \n"}).Config()
	if err != nil || !slices.Equal(cfg.Groups, []string{"A", "B", "C"}) || cfg.UsesNonExemptEncryption == nil || !*cfg.UsesNonExemptEncryption ||
		cfg.WhatsNew != "notes" || cfg.Locale != dist.DefaultLocale {
		t.Errorf("Config = %+v, %v", cfg, err)
	}
}

// upload sends a build through the emulator's Build Uploads flow with the
// client alone (the upload command is another package's), and returns once
// the bytes are committed.
func (w *world) upload(t *testing.T, version string, size int) {
	t.Helper()
	ctx := context.Background()
	m, err := token.NewMinter(w.Key.Private, token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}, w.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asc.New(w.URL, token.NewSource(m, 0, nil), asc.WithClock(w.Clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := c.CreateBuildUpload(ctx, appID, "1.2", version, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("ipa!"), size/4)
	f, _, err := c.CreateBuildUploadFile(ctx, u.ID, "App.ipa", int64(len(body)), asc.UTIIPA, asc.AssetTypeAsset)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range f.Attributes.UploadOperations {
		req, err := http.NewRequest(op.Method, op.URL, bytes.NewReader(body[op.Offset:op.Offset+op.Length]))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range op.RequestHeaders {
			req.Header.Set(h.Name, h.Value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("part %d: %s", op.PartNumber, resp.Status)
		}
	}
	if _, _, err := c.UpdateBuildUploadFile(ctx, f.ID, true, nil); err != nil {
		t.Fatal(err)
	}
}

// TestUploadThenDistribute is the scenario from the start: a build
// uploaded through the Build Uploads API, found by app-id and build-version
// once App Store Connect has made it (2 minutes), waited for until VALID (10
// more), then distributed; and the same step again changes nothing.
func TestUploadThenDistribute(t *testing.T) {
	w := newWorld(t, emulator.RoleAdmin, emulator.Faults{})
	w.upload(t, "3", 3<<20)
	w.Writes.Take()
	start := w.Clock.Now()
	inputs := map[string]string{InAppID: appID, InBuildVersion: "3", testflight.InGroups: "Internal Testers\nGROUP00002",
		testflight.InWhatsNew: "First build of 1.2", testflight.InEncryption: "false", testflight.InSubmitReview: "true"}
	rec, err := w.run(t, inputs)
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.Text())
	}
	if waited := w.Clock.Now().Sub(start); waited != 12*time.Minute {
		t.Errorf("waited %v; the upload takes 2m to become a build, which takes 10m to process", waited)
	}
	if len(w.Writes.Take()) != 4 || rec.Outputs[testflight.OutGroupsAdded] != "Internal Testers,Public Beta" || rec.Outputs[testflight.OutReviewState] != "WAITING_FOR_REVIEW" || rec.Outputs[OutBuildID] == "" {
		t.Errorf("outputs = %v", rec.Outputs)
	}
	if _, err = w.run(t, inputs); err != nil {
		t.Fatal(err)
	}
	if got := w.Writes.Take(); len(got) != 0 {
		t.Errorf("second run sent %v", got)
	}
}
