package upload

import (
	"context"
	"fmt"
	"strings"

	"github.com/asc-action/asc-action/internal/asc"
)

// Where Apple's processing messages are read (Diagnostic.Source), as
// Apple's document places them: the build upload's attributes.state and
// its file's attributes.assetDeliveryState, each with errors[] and
// warnings[] of {code, description}. The build resource itself carries only
// processingState, so the reasons for a build that ends INVALID or FAILED
// are read again from the upload and its file.
const (
	SourceBuildUpload     = "buildUpload"
	SourceBuildUploadFile = "buildUploadFile"
)

// Diagnostic is one of Apple's messages about the processing of the upload:
// its level (error, warning, info), where it was read, and Apple's code and
// description (server text: print it through internal/untrusted).
type Diagnostic struct {
	Level       string `json:"level"`
	Source      string `json:"source"`
	ID          string `json:"id"`
	Code        string `json:"code"`
	Description string `json:"description"`
}

func (l Level) String() string {
	switch l {
	case LevelError:
		return "error"
	case LevelWarning:
		return "warning"
	}
	return "info"
}

// record reports Apple's messages of one state object once each (seen
// holds what was reported, whatever the source).
func (r *run) record(source, id string, seen map[string]bool, errs, warns, infos []asc.StateDetail) {
	for _, l := range []struct {
		items []asc.StateDetail
		level Level
		into  *[]asc.StateDetail
	}{{errs, LevelError, &r.res.Errors}, {warns, LevelWarning, &r.res.Warnings}, {infos, LevelInfo, &r.res.Infos}} {
		for _, d := range l.items {
			key := fmt.Sprintf("%d\x00%s\x00%s", l.level, d.Code, d.Description)
			if seen[key] {
				continue
			}
			seen[key] = true
			*l.into = append(*l.into, d)
			r.res.Diagnostics = append(r.res.Diagnostics, Diagnostic{Level: l.level.String(), Source: source, ID: id, Code: d.Code, Description: d.Description})
			r.emit(Event{Kind: EventDiagnostic, Level: l.level, Code: d.Code, Message: strings.TrimSpace(d.Code+": "+d.Description) + " (" + sourceWords(source) + ")"})
		}
	}
}

func sourceWords(source string) string {
	if source == SourceBuildUploadFile {
		return "build upload file"
	}
	return "build upload"
}

// diagnostics reports the messages of the upload's state.
func (r *run) diagnostics(up *asc.BuildUpload, seen map[string]bool) {
	if st := up.Attributes.State; st != nil {
		r.record(SourceBuildUpload, up.ID, seen, st.Errors, st.Warnings, st.Infos)
	}
}

// fileDiagnostics reads the file's delivery state once the upload has ended
// and reports its messages. A failed read costs only those messages.
func (r *run) fileDiagnostics(ctx context.Context, seen map[string]bool) {
	if r.res.BuildUploadFileID == "" || r.fileRead {
		return
	}
	r.fileRead = true
	f, _, err := r.api.GetBuildUploadFile(ctx, r.res.BuildUploadFileID)
	if err != nil {
		r.emit(Event{Kind: EventState, Message: fmt.Sprintf("The file's delivery state could not be read (%v); its messages, if any, are not shown", err)})
		return
	}
	if st := f.Attributes.AssetDeliveryState; st != nil {
		r.record(SourceBuildUploadFile, f.ID, seen, st.Errors, st.Warnings, nil)
	}
}

// uploadFailed ends a run whose upload App Store Connect refused. No build
// was made, so the build number can be uploaded again once fixed.
func (r *run) uploadFailed(up *asc.BuildUpload) error {
	r.res.ProcessingFailed = true
	r.res.BuildNumberReusable = up.BuildID() == ""
	reuse := fmt.Sprintf("build number %s can be uploaded again once the file is fixed (no build was made)", r.res.BuildVersion)
	if !r.res.BuildNumberReusable {
		reuse = fmt.Sprintf("build number %s is taken by build %s: raise CFBundleVersion (build-version)", r.res.BuildVersion, up.BuildID())
	}
	return fmt.Errorf("%w: %s; %s", ErrUploadFailed, describe(r.res.Errors, "no reason given; see App Store Connect > TestFlight and the email Apple sends"), reuse)
}

// buildFailed ends a run whose build processing ended INVALID or FAILED,
// after reading the upload and its file again for Apple's reasons. The
// build exists, so its number is taken.
func (r *run) buildFailed(ctx context.Context, buildID, state string, seen map[string]bool) error {
	r.res.ProcessingFailed = true
	r.res.BuildNumberReusable = false
	if up, _, err := r.api.GetBuildUpload(ctx, r.res.BuildUploadID); err == nil {
		r.diagnostics(up, seen)
	}
	r.fileRead = false // read it again: the build's reasons may have arrived since
	r.fileDiagnostics(ctx, seen)
	why := describe(r.res.Errors, "App Store Connect gave no reason through the API; Apple emails the reasons to the Account Holder, and App Store Connect > TestFlight > the build shows them")
	return fmt.Errorf("%w: build %s ended %s: %s; build number %s is taken by this build: raise CFBundleVersion (build-version) before uploading again", ErrBuildInvalid, buildID, state, why, r.res.BuildVersion)
}

func describe(ds []asc.StateDetail, none string) string {
	if len(ds) == 0 {
		return none
	}
	var parts []string
	for _, d := range ds {
		parts = append(parts, strings.TrimSpace(d.Code+": "+d.Description))
	}
	return strings.Join(parts, "; ")
}
