package upload

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/testclock"
)

// TestProcessingMessages: Apple's errors and warnings of the upload, its
// file and (through its upload) the build reach the result, once each,
// with where they were read, and the run says whether the build number can
// be used again.
func TestProcessingMessages(t *testing.T) {
	warn := emulator.StateMessage{Code: "ITMS-90078", Description: "Missing Push Notification Entitlement"}
	tests := []struct {
		name       string
		p          emulator.Processing
		wantErr    error
		wantCodes  []string // errors then warnings, in order
		reusable   bool
		wantInText string
	}{
		{"upload failed", emulator.Processing{Outcome: emulator.ProcessingUploadFailed, Warnings: []emulator.StateMessage{warn}},
			ErrUploadFailed, []string{"error ITMS-90062 buildUpload", "warning ITMS-90078 buildUpload"}, true, "can be uploaded again"},
		{"build invalid", emulator.Processing{Outcome: emulator.ProcessingBuildInvalid, Warnings: []emulator.StateMessage{warn}},
			ErrBuildInvalid, []string{"error ITMS-90683 buildUpload", "warning ITMS-90078 buildUpload"}, false, "raise CFBundleVersion"},
		{"build failed", emulator.Processing{Outcome: emulator.ProcessingBuildFailed},
			ErrBuildInvalid, []string{"error ITMS-90035 buildUpload"}, false, "ended FAILED"},
		{"valid with a warning", emulator.Processing{Warnings: []emulator.StateMessage{warn}},
			nil, []string{"warning ITMS-90078 buildUpload"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := emulator.DefaultData(testclock.Start)
			data.Blockers = &emulator.Blockers{Processing: &tt.p}
			e := newEnv(t, emulator.Config{Data: data})
			path, _ := writeIPA(t, "9", 1000, true)
			cfg := e.config(path)
			cfg.Wait = WaitProcessing
			var rec recorder
			res, err := Run(context.Background(), e.client, cfg, rec.Add)
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.wantInText)) {
				t.Fatalf("err = %v, want %v with %q", err, tt.wantErr, tt.wantInText)
			}
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, d.Level+" "+d.Code+" "+d.Source)
				if d.Description == "" || d.ID == "" {
					t.Errorf("diagnostic without description or id: %+v", d)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantCodes, ",") {
				t.Errorf("diagnostics %v, want %v", got, tt.wantCodes)
			}
			if len(rec.find(EventDiagnostic)) != len(tt.wantCodes) {
				t.Errorf("%d diagnostic events, want %d (once each)", len(rec.find(EventDiagnostic)), len(tt.wantCodes))
			}
			if res.ProcessingFailed != (err != nil) || res.BuildNumberReusable != tt.reusable {
				t.Errorf("failed %v reusable %v", res.ProcessingFailed, res.BuildNumberReusable)
			}
		})
	}
}
