package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/contract"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/emulator/emulatortest"
)

// appleProcessing is what a plain server playing App Store Connect
// answers once the file is committed: the upload's state, its file's
// delivery state, and the build's processingState, shaped as Apple's
// document has them (state.errors[] / warnings[] of {code, description}).
type appleProcessing struct {
	uploadState                string // FAILED or COMPLETE
	uploadErrors, uploadWarns  []map[string]string
	fileState                  string
	fileErrors, fileWarnings   []map[string]string
	buildState                 string              // INVALID, FAILED or VALID; empty: no build
	uploadErrorsWhenBuildEnded []map[string]string // on the upload once the build was read
}

// appleUploadServer serves one upload of the app com.example.demo (id
// 1000000001) from the first request to the end of processing, answering
// only what Apple answers; every request it does not expect fails the test.
func appleUploadServer(t *testing.T, p appleProcessing) string {
	t.Helper()
	var mu sync.Mutex
	var size int64
	committed, buildRead := false, false
	var ts *httptest.Server
	var self string // the request's URL, for the document's links
	doc := func(w http.ResponseWriter, status int, v map[string]any) {
		if _, ok := v["data"]; ok {
			v["links"] = map[string]any{"self": self}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	state := func(st string, errs, warns []map[string]string) map[string]any {
		if errs == nil {
			errs = []map[string]string{}
		}
		if warns == nil {
			warns = []map[string]string{}
		}
		return map[string]any{"state": st, "errors": errs, "warnings": warns, "infos": []any{}}
	}
	upload := func() map[string]any {
		st, errs := "AWAITING_UPLOAD", []map[string]string(nil)
		var warns []map[string]string
		if committed {
			st, errs, warns = p.uploadState, p.uploadErrors, p.uploadWarns
			if buildRead { // Apple's reasons for the build, once it has ended
				errs = append(append([]map[string]string{}, errs...), p.uploadErrorsWhenBuildEnded...)
			}
		}
		res := map[string]any{"type": "buildUploads", "id": "UPLOAD0001", "attributes": map[string]any{
			"cfBundleShortVersionString": "2.1", "cfBundleVersion": "612", "platform": "IOS",
			"createdDate": "2026-12-07T10:00:00Z", "state": state(st, errs, warns)}}
		if committed && p.buildState != "" {
			res["relationships"] = map[string]any{"build": map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD0612"}}}
		}
		return res
	}
	file := func() map[string]any {
		ds := state("AWAITING_UPLOAD", nil, nil)
		attrs := map[string]any{"fileName": "App.ipa", "fileSize": size, "uti": "com.apple.ipa", "assetType": "ASSET"}
		if committed {
			ds = state(p.fileState, p.fileErrors, p.fileWarnings)
		} else {
			attrs["uploadOperations"] = []any{map[string]any{"method": "PUT", "url": ts.URL + "/part/1", "offset": 0, "length": size, "partNumber": 1,
				"expiration":     time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				"requestHeaders": []any{map[string]string{"name": "Content-Type", "value": "application/octet-stream"}}}}
		}
		delete(ds, "infos")
		attrs["assetDeliveryState"] = ds
		return map[string]any{"type": "buildUploadFiles", "id": "FILE000001", "attributes": attrs}
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		self = ts.URL + r.URL.RequestURI()
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/apps":
			doc(w, 200, map[string]any{"data": []any{map[string]any{"type": "apps", "id": "1000000001",
				"attributes": map[string]any{"bundleId": "com.example.demo", "name": "Demo"}}}})
		case "GET /v1/apps/1000000001/buildUploads", "GET /v1/builds":
			doc(w, 200, map[string]any{"data": []any{}})
		case "POST /v1/buildUploads":
			doc(w, 201, map[string]any{"data": upload()})
		case "POST /v1/buildUploadFiles":
			var req struct {
				Data struct {
					Attributes struct {
						FileSize int64 `json:"fileSize"`
					} `json:"attributes"`
				} `json:"data"`
			}
			_ = json.NewDecoder(r.Body).Decode(&req)
			size = req.Data.Attributes.FileSize
			doc(w, 201, map[string]any{"data": file()})
		case "PUT /part/1":
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(200)
		case "PATCH /v1/buildUploadFiles/FILE000001":
			committed = true
			doc(w, 200, map[string]any{"data": file()})
		case "GET /v1/buildUploads/UPLOAD0001":
			doc(w, 200, map[string]any{"data": upload()})
		case "GET /v1/buildUploadFiles/FILE000001":
			doc(w, 200, map[string]any{"data": file()})
		case "GET /v1/builds/BUILD0612":
			buildRead = true
			doc(w, 200, map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD0612",
				"attributes": map[string]any{"version": "612", "processingState": p.buildState}}})
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			doc(w, 404, map[string]any{"errors": []any{map[string]string{"status": "404", "code": "NOT_FOUND", "title": "The specified resource does not exist", "detail": "no"}}})
		}
	})
	// Every API answer is held to Apple's document, as the emulator's are;
	// the part URL is the storage host's, outside it.
	checked := contract.ForTest(t).Middleware(t, api)
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/part/") {
			api.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// processingOutcome is what the step must show for one blocker.
type processingOutcome struct {
	exit           int
	errors, warns  []string // codes in the log as ::error / ::warning annotations
	reusable       string   // build-number-reusable output ("" when not set)
	summaryPhrases []string
}

func assertProcessingStep(t *testing.T, s step, want processingOutcome) {
	t.Helper()
	out := actionstest.Masked(s.stdout, s.stdout)
	if s.code != want.exit {
		t.Fatalf("exit %d, want %d\n%s", s.code, want.exit, out)
	}
	var got []map[string]string
	if err := json.Unmarshal([]byte(s.outputs["processing-errors"]), &got); err != nil {
		t.Fatalf("processing-errors %q: %v", s.outputs["processing-errors"], err)
	}
	levels := map[string][]string{}
	for _, d := range got {
		levels[d["level"]] = append(levels[d["level"]], d["code"])
		if d["description"] == "" || d["source"] == "" {
			t.Errorf("entry without description or source: %v", d)
		}
	}
	if strings.Join(levels["error"], ",") != strings.Join(want.errors, ",") || strings.Join(levels["warning"], ",") != strings.Join(want.warns, ",") {
		t.Errorf("processing-errors %v, want errors %v warnings %v", got, want.errors, want.warns)
	}
	for _, c := range want.errors {
		if !strings.Contains(s.stdout, "::error title=App Store Connect%3A "+c+"::") {
			t.Errorf("no ::error annotation for %s:\n%s", c, out)
		}
	}
	for _, c := range want.warns {
		if !strings.Contains(s.stdout, "::warning title=App Store Connect%3A "+c+"::") {
			t.Errorf("no ::warning annotation for %s:\n%s", c, out)
		}
	}
	if s.outputs["build-number-reusable"] != want.reusable {
		t.Errorf("build-number-reusable = %q, want %q", s.outputs["build-number-reusable"], want.reusable)
	}
	for _, ph := range append(want.summaryPhrases, want.errors...) {
		if !strings.Contains(s.summary, ph) {
			t.Errorf("summary lacks %q:\n%s", ph, s.summary)
		}
	}
}

// TestProcessingErrorsStep: an upload that App Store Connect refuses, run as
// a step against a plain server answering as Apple does and against the
// emulator playing the same blocker, prints each of Apple's errors and
// warnings, and says whether the build number can be used again.
func TestProcessingErrorsStep(t *testing.T) {
	k := newKey(t)
	msg := func(code, desc string) map[string]string { return map[string]string{"code": code, "description": desc} }
	missingIcon := msg("ITMS-90713", "Missing Info.plist value - A value for the Info.plist key 'CFBundleIconName' is missing in the bundle 'com.example.demo'.")
	push := msg("ITMS-90078", "Missing Push Notification Entitlement - Your app appears to register with the Apple Push Notification service, but the app signature's entitlements do not include the 'aps-environment' entitlement.")
	purpose := msg("ITMS-90683", "Missing purpose string in Info.plist - The Info.plist file should contain a NSCameraUsageDescription key.")
	sdk := msg("ITMS-90725", "SDK version issue - This app was built with the iOS 17.0 SDK.")
	run := func(url, build string, extra ...string) step {
		path, _ := writeIPA(t, build, 3000)
		return runStep(t, map[string]string{"command": "upload", "private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "api-url": url,
			"app-path": path, "wait": "processing", "poll-interval": "1s", "timeout": "1m"}, extra...)
	}
	refusedUpload := processingOutcome{exit: 1, reusable: "true", summaryPhrases: []string{"can be uploaded again"}}
	invalidBuild := processingOutcome{exit: 1, reusable: "false", summaryPhrases: []string{"raise CFBundleVersion", "INVALID"}}

	t.Run("apple: upload FAILED", func(t *testing.T) {
		url := appleUploadServer(t, appleProcessing{uploadState: "FAILED", uploadErrors: []map[string]string{missingIcon}, uploadWarns: []map[string]string{push},
			fileState: "FAILED", fileErrors: []map[string]string{missingIcon}, fileWarnings: []map[string]string{sdk}})
		want := refusedUpload
		want.errors, want.warns = []string{"ITMS-90713"}, []string{"ITMS-90078", "ITMS-90725"}
		assertProcessingStep(t, run(url, "612"), want)
	})
	t.Run("apple: build INVALID", func(t *testing.T) {
		url := appleUploadServer(t, appleProcessing{uploadState: "COMPLETE", uploadWarns: []map[string]string{push}, fileState: "COMPLETE",
			buildState: "INVALID", uploadErrorsWhenBuildEnded: []map[string]string{purpose}})
		want := invalidBuild
		want.errors, want.warns = []string{"ITMS-90683"}, []string{"ITMS-90078"}
		assertProcessingStep(t, run(url, "612"), want)
	})
	t.Run("apple: VALID with a warning", func(t *testing.T) {
		url := appleUploadServer(t, appleProcessing{uploadState: "COMPLETE", uploadWarns: []map[string]string{push}, fileState: "COMPLETE", buildState: "VALID"})
		assertProcessingStep(t, run(url, "612"), processingOutcome{exit: 0, warns: []string{"ITMS-90078"}, summaryPhrases: []string{"ITMS-90078"}})
	})

	t.Run("apple: hostile text stays text", func(t *testing.T) {
		evil := msg("ITMS-1\r\n::error::forged", "line one\n::add-mask::x\n##[set-output name=y]z \u202egnp.exe \x1b[31m")
		url := appleUploadServer(t, appleProcessing{uploadState: "FAILED", uploadErrors: []map[string]string{evil}, fileState: "FAILED"})
		s := run(url, "612")
		if s.code != 1 {
			t.Fatalf("exit %d", s.code)
		}
		for _, l := range strings.Split(s.stdout, "\n") {
			if strings.HasPrefix(l, "::error::forged") || strings.HasPrefix(l, "::add-mask::x") || strings.Contains(l, "##[set-output") || strings.ContainsAny(l, "\u202e\x1b") {
				t.Errorf("server text became a workflow command or a control character: %q", l)
			}
		}
		if o := s.outputs["processing-errors"]; strings.ContainsAny(o, "\u202e\x1b") || !strings.Contains(o, `\\n::add-mask::x`) {
			t.Errorf("processing-errors not escaped: %q", o)
		}
		if strings.Contains(s.summary, "\u202e") || strings.Contains(s.summary, "::add-mask::x\n") {
			t.Errorf("summary holds raw server text:\n%s", s.summary)
		}
	})

	for _, tc := range []struct {
		outcome string
		want    processingOutcome
		errors  []string
	}{
		{emulator.ProcessingUploadFailed, refusedUpload, []string{"ITMS-90062"}},
		{emulator.ProcessingBuildInvalid, invalidBuild, []string{"ITMS-90683"}},
		{emulator.ProcessingBuildFailed, processingOutcome{exit: 1, reusable: "false", summaryPhrases: []string{"raise CFBundleVersion", "FAILED"}}, []string{"ITMS-90035"}},
		{emulator.ProcessingWarnings, processingOutcome{exit: 0}, nil},
	} {
		t.Run("emulator: "+tc.outcome, func(t *testing.T) {
			p, err := emulator.ParseProcessing(tc.outcome)
			if err != nil {
				t.Fatal(err)
			}
			data := emulator.DefaultData(time.Now())
			data.Blockers = &emulator.Blockers{Processing: p}
			_, url := emulatorFor(t, k, emulator.Config{Data: data, PartSize: 1 << 20, UploadProcessingDelay: 200 * time.Millisecond, BuildProcessingDelay: 200 * time.Millisecond})
			want := tc.want
			want.errors, want.warns = tc.errors, []string{"ITMS-90078"}
			assertProcessingStep(t, run(url, "613"), want)
		})
	}
	t.Run("rehearsal: ASC_EMULATOR_PROCESSING", func(t *testing.T) {
		want := invalidBuild
		want.errors, want.warns = []string{"ITMS-90683"}, []string{"ITMS-90078"}
		assertProcessingStep(t, run("emulator", "614", emulator.EnvProcessing+"=build-invalid"), want)
	})
	t.Run("asc-action emulator --processing", func(t *testing.T) {
		emu := emulatortest.Start(t, binary, "--processing", "upload-failed", "--upload-delay", "0s", "--build-delay", "0s")
		path, _ := writeIPA(t, "615", 3000)
		s := runStep(t, map[string]string{"command": "upload", "private-key-path": emu.KeyPath, "key-id": emu.KeyID, "issuer-id": emu.IssuerID,
			"api-url": emu.URL, "app-path": path, "wait": "processing", "poll-interval": "1s", "timeout": "1m"})
		want := refusedUpload
		want.errors, want.warns = []string{"ITMS-90062"}, []string{"ITMS-90078"}
		assertProcessingStep(t, s, want)
	})
}
