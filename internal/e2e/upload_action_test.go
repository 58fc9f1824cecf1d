package e2e

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// emulatorFor starts an in-process emulator for key k.
func emulatorFor(t *testing.T, k testKey, cfg emulator.Config) (*emulator.Server, string) {
	t.Helper()
	cfg.Keys = append(cfg.Keys, emulator.Key{ID: keyID, IssuerID: issuer, Public: &k.priv.PublicKey})
	if cfg.Data == nil {
		cfg.Data = emulator.DefaultData(time.Now())
	}
	srv := emulator.New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return srv, ts.URL
}

func writeIPA(t *testing.T, build string, size int64) (string, string) {
	return writeIPAFor(t, emulator.DemoBundleID, build, size)
}

func writeIPAFor(t *testing.T, bundleID, build string, size int64) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "App.ipa")
	sum, _, err := ipa.WriteFile(path, ipa.Facts{BundleID: bundleID, BuildVersion: build, ShortVersion: "2.1", Platform: ipa.IOS}, ipa.WriteOptions{PayloadSize: size, Binary: true, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

func TestVerifyStep(t *testing.T) {
	k := newKey(t)
	_, url := emulatorFor(t, k, emulator.Config{})
	s := runStep(t, map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url})
	if s.code != 0 || s.outputs["key-status"] != "valid" || s.outputs["rate-limit-remaining"] == "" {
		t.Fatalf("exit %d outputs %v\n%s", s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
	}
	if !strings.Contains(s.summary, "valid") {
		t.Errorf("summary: %s", s.summary)
	}
	assertNoLeak(t, s, k.material())

	// A fork's pull request: no secrets, a notice, success.
	s = runStep(t, map[string]string{"command": "verify", "api-url": url}, "GITHUB_EVENT_NAME=pull_request")
	if s.code != 0 || s.outputs["key-status"] != "skipped" || !strings.Contains(s.stdout, "::notice") {
		t.Fatalf("exit %d outputs %v\n%s", s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
	}
}

func TestUploadStep(t *testing.T) {
	k := newKey(t)
	srv, url := emulatorFor(t, k, emulator.Config{PartSize: 1 << 20, UploadProcessingDelay: 500 * time.Millisecond, BuildProcessingDelay: 500 * time.Millisecond})
	path, digest := writeIPA(t, "301", 5<<20+12345)
	in := map[string]string{"command": "upload", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url,
		"app-path": path, "wait": "processing", "poll-interval": "1s", "timeout": "1m"}
	s := runStep(t, in)
	if s.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", s.code, actionstest.Masked(s.stdout, s.stdout), actionstest.Masked(s.stdout, s.stderr))
	}
	st, _ := os.Stat(path)
	want := map[string]string{"upload-state": "COMPLETE", "processing-state": "VALID", "bytes": strconv.FormatInt(st.Size(), 10), "skipped": "false"}
	for k, v := range want {
		if s.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, s.outputs[k], v)
		}
	}
	if s.outputs["build-id"] == "" || s.outputs["build-upload-id"] == "" || s.outputs["duration-seconds"] == "" {
		t.Errorf("outputs = %v", s.outputs)
	}
	files, err := srv.UploadedFiles()
	if err != nil || len(files) != 1 || files[0].BuildUploadID != s.outputs["build-upload-id"] {
		t.Fatalf("uploaded files %v, %v", files, err)
	}
	if files[0].SHA256 != digest || files[0].Incomplete {
		t.Errorf("reassembled digest %q (incomplete %v), file %q", files[0].SHA256, files[0].Incomplete, digest)
	}
	if !strings.Contains(s.stdout, "::group::Sending the file") || !strings.Contains(s.stdout, "::endgroup::") {
		t.Error("no log group around the transfer")
	}
	for _, want := range []string{"com.example.demo", "2.1 (301)", "VALID", "MB/s"} {
		if !strings.Contains(s.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, s.summary)
		}
	}
	assertNoLeak(t, s, k.material())

	// The same build number again is caught before anything is created.
	before := srv.Requests()["buildUploads_createInstance"]
	s = runStep(t, in)
	if s.code == 0 || !strings.Contains(s.stdout, "already exists") {
		t.Errorf("duplicate: exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	if srv.Requests()["buildUploads_createInstance"] != before {
		t.Error("a build upload was created for an existing build number")
	}
	// With skip-existing it is a success without upload.
	in["skip-existing"] = "true"
	s = runStep(t, in)
	if s.code != 0 || s.outputs["skipped"] != "true" {
		t.Errorf("skip-existing: exit %d outputs %v\n%s", s.code, s.outputs, actionstest.Masked(s.stdout, s.stdout))
	}
}

func TestUploadStepBadInput(t *testing.T) {
	k := newKey(t)
	_, url := emulatorFor(t, k, emulator.Config{})
	notIPA := filepath.Join(t.TempDir(), "notes.ipa")
	os.WriteFile(notIPA, []byte("not a zip"), 0o644)
	cases := map[string]map[string]string{
		"missing path": {},
		"no such file": {"app-path": "/nonexistent/App.ipa"},
		"not an ipa":   {"app-path": notIPA},
		"bad wait":     {"app-path": notIPA, "wait": "forever"},
		"bad platform": {"app-path": notIPA, "platform": "PLAYSTATION"},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			in := map[string]string{"command": "upload", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url}
			for k, v := range extra {
				in[k] = v
			}
			s := runStep(t, in)
			if s.code == 0 || !strings.Contains(s.stdout, "::error") {
				t.Fatalf("exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
			}
			assertNoLeak(t, s, k.material())
		})
	}
}

// TestRehearsedRelease runs the real upload step, with a real-looking app
// and the user's own key, against `api-url: emulator`: nothing leaves the
// runner, and every output is what the real step would give.
func TestRehearsedRelease(t *testing.T) {
	k := newKey(t)
	path, _ := writeIPAFor(t, "com.acme.shop", "77", 3<<20)
	s := runStep(t, map[string]string{"command": "upload", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer,
		"api-url": "emulator", "app-path": path, "wait": "processing", "poll-interval": "1s", "app-id": "6450000000"})
	if s.code != 0 {
		t.Fatalf("exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	if s.outputs["processing-state"] != "VALID" || s.outputs["build-id"] == "" {
		t.Errorf("outputs %v", s.outputs)
	}
	if !strings.Contains(s.stdout, "::notice title=rehearsal::") || !strings.Contains(s.stdout, "nothing is sent to Apple") {
		t.Errorf("no rehearsal notice:\n%s", actionstest.Masked(s.stdout, s.stdout))
	}
	if !strings.Contains(s.summary, "com.acme.shop") {
		t.Errorf("summary: %s", s.summary)
	}
	assertNoLeak(t, s, k.material())

	// verify rehearses too.
	s = runStep(t, map[string]string{"command": "verify", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": "emulator"})
	if s.code != 0 || s.outputs["key-status"] != "valid" {
		t.Errorf("verify rehearsal: exit %d %v", s.code, s.outputs)
	}
}

// TestReleaseToTestersSteps uploads and distributes in one step, then runs
// the distribute command on the same build as a re-run job would: the second
// step succeeds and changes nothing.
func TestReleaseToTestersSteps(t *testing.T) {
	k := newKey(t)
	srv, url := emulatorFor(t, k, emulator.Config{UploadProcessingDelay: 300 * time.Millisecond, BuildProcessingDelay: 300 * time.Millisecond})
	path, _ := writeIPA(t, "512", 1<<20)
	base := map[string]string{"private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url}
	step := func(extra map[string]string) step {
		in := map[string]string{}
		for k, v := range base {
			in[k] = v
		}
		for k, v := range extra {
			in[k] = v
		}
		return runStep(t, in)
	}
	dist := map[string]string{"testflight-groups": "Internal Testers\nGROUP00002", "whats-new": "Checkout, rebuilt.", "uses-non-exempt-encryption": "false", "submit-beta-review": "true"}
	up := map[string]string{"command": "upload", "app-path": path, "poll-interval": "1s"}
	for k, v := range dist {
		up[k] = v
	}
	s := step(up)
	if s.code != 0 {
		t.Fatalf("upload+distribute: exit %d\n%s", s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	if s.outputs["processing-state"] != "VALID" || s.outputs["testflight-groups-added"] != "Internal Testers,Public Beta" || s.outputs["beta-review-state"] != "WAITING_FOR_REVIEW" {
		t.Fatalf("outputs %v", s.outputs)
	}
	if !strings.Contains(s.summary, "Checkout, rebuilt.") || !strings.Contains(s.summary, "Public Beta") {
		t.Errorf("summary lacks the notes or groups:\n%s", s.summary)
	}
	mutating := func() int {
		n := 0
		for op, c := range srv.Requests() {
			if strings.Contains(op, "create") || strings.Contains(op, "update") || strings.Contains(op, "Relationship") || strings.Contains(op, "relationships") {
				n += c
			}
		}
		return n
	}
	before := mutating()
	if before < 5 {
		t.Fatalf("only %d mutating requests counted for upload and distribution: the count is not measuring them (%v)", before, srv.Requests())
	}
	again := map[string]string{"command": "distribute", "build-id": s.outputs["build-id"]}
	for k, v := range dist {
		again[k] = v
	}
	s2 := step(again)
	if s2.code != 0 {
		t.Fatalf("distribute re-run: exit %d\n%s", s2.code, s2.stdout)
	}
	if after := mutating(); after != before {
		t.Errorf("the re-run made %d mutating requests", after-before)
	}
	if s2.outputs["testflight-groups-added"] != "Internal Testers,Public Beta" || s2.outputs["beta-review-state"] != "WAITING_FOR_REVIEW" {
		t.Errorf("re-run outputs %v", s2.outputs)
	}
	// An unknown group is an error listing the groups that exist.
	bad := map[string]string{"command": "distribute", "build-id": s.outputs["build-id"], "testflight-groups": "Nobody"}
	s3 := step(bad)
	if s3.code == 0 || !strings.Contains(s3.stdout, "Internal Testers") {
		t.Errorf("unknown group: exit %d\n%s", s3.code, s3.stdout)
	}
	assertNoLeak(t, s, k.material())
}
