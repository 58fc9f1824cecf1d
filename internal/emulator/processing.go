package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// The processing blocker: App Store Connect takes the upload and then
// refuses it, with its reasons in the state objects Apple's document gives
// them: the build upload's attributes.state.errors[] and warnings[]
// ({code, description}), and its file's attributes.assetDeliveryState. A
// build resource has no such list (only processingState), so the reasons
// for a build that ends INVALID or FAILED are put on the build upload it
// came from, where a client reads them.

// Processing outcomes (Processing.Outcome, the emulator command's
// --processing).
const (
	// ProcessingValid (the default): the upload completes and its build
	// becomes VALID; Warnings, if any, are on the upload.
	ProcessingValid = "valid"
	// ProcessingUploadFailed: the upload ends FAILED with Errors, on the
	// upload and its file; no build is made, so the build number is free.
	ProcessingUploadFailed = "upload-failed"
	// ProcessingBuildInvalid: the upload completes, its build ends INVALID
	// and Errors appear on the upload; the build number is taken.
	ProcessingBuildInvalid = "build-invalid"
	// ProcessingBuildFailed: as ProcessingBuildInvalid, but FAILED.
	ProcessingBuildFailed = "build-failed"
	// ProcessingWarnings is the flag's name for ProcessingValid with
	// Apple's default warning.
	ProcessingWarnings = "warnings"
)

// StateMessage is one of Apple's messages in a state object (Apple's
// StateDetail and AppMediaStateError: a code and a description).
type StateMessage struct {
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
}

// Processing says how processing ends for uploads committed while it is
// set, and with which of Apple's messages.
type Processing struct {
	// Outcome is ProcessingValid (or empty), ProcessingUploadFailed,
	// ProcessingBuildInvalid or ProcessingBuildFailed.
	Outcome string `json:"outcome,omitempty"`
	// Errors are Apple's reasons for a failing outcome; empty means an
	// Apple-shaped default for the outcome. Ignored when it is VALID.
	Errors []StateMessage `json:"errors,omitempty"`
	// Warnings are put on the upload whatever the outcome.
	Warnings []StateMessage `json:"warnings,omitempty"`
}

// Apple's messages the emulator uses when none are given.
var (
	defaultProcessingErrors = map[string][]StateMessage{
		ProcessingUploadFailed: {{Code: "ITMS-90062", Description: "This bundle is invalid. The value for key CFBundleShortVersionString [1.0] in the Info.plist file must contain a higher version than that of the previously approved version [1.0]."}},
		ProcessingBuildInvalid: {{Code: "ITMS-90683", Description: "Missing purpose string in Info.plist - Your app's code references one or more APIs that access sensitive user data. The app's Info.plist file should contain a NSCameraUsageDescription key with a user-facing purpose string explaining clearly and completely why your app needs the data."}},
		ProcessingBuildFailed:  {{Code: "ITMS-90035", Description: "Invalid Signature. A sealed resource is missing or invalid. Make sure you have signed your application with a distribution certificate, not an ad hoc certificate or a development certificate."}},
	}
	defaultProcessingWarning = StateMessage{Code: "ITMS-90078", Description: "Missing Push Notification Entitlement - Your app appears to register with the Apple Push Notification service, but the app signature's entitlements do not include the 'aps-environment' entitlement."}
)

// ParseProcessing reads the --processing flag: valid (or empty),
// upload-failed, build-invalid or build-failed, each failing outcome with
// Apple's default error and warning; or warnings, a VALID build with
// Apple's default warning.
func ParseProcessing(s string) (*Processing, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", ProcessingValid:
		return nil, nil
	case ProcessingWarnings:
		return &Processing{Outcome: ProcessingValid, Warnings: []StateMessage{defaultProcessingWarning}}, nil
	case ProcessingUploadFailed, ProcessingBuildInvalid, ProcessingBuildFailed:
		return &Processing{Outcome: v, Warnings: []StateMessage{defaultProcessingWarning}}, nil
	}
	return nil, fmt.Errorf("processing %q is not valid, warnings, upload-failed, build-invalid or build-failed", s)
}

func (p Processing) validate() error {
	switch p.Outcome {
	case "", ProcessingValid, ProcessingUploadFailed, ProcessingBuildInvalid, ProcessingBuildFailed:
	default:
		return invalidData("blockers.processing.outcome %q is not valid, upload-failed, build-invalid or build-failed", p.Outcome)
	}
	for i, m := range slices.Concat(p.Errors, p.Warnings) {
		if m.Code == "" || m.Description == "" {
			return invalidData("blockers.processing: message %d needs a code and a description, as Apple gives them", i)
		}
	}
	return nil
}

func (p Processing) clone() Processing {
	p.Errors, p.Warnings = slices.Clone(p.Errors), slices.Clone(p.Warnings)
	return p
}

// errors are the reasons given, or the outcome's default.
func (p Processing) errors() []StateMessage {
	if len(p.Errors) > 0 {
		return slices.Clone(p.Errors)
	}
	return slices.Clone(defaultProcessingErrors[p.Outcome])
}

// processingPlan is how processing ends for an upload committed now: the
// blocker when one is set, else what the faults processing:fail and
// build:invalid ask (Apple's default error, no warning). Call with s.mu held.
func (s *Server) processingPlan(faults Faults) Processing {
	if p := s.data.blockers().Processing; p != nil {
		return p.clone()
	}
	switch {
	case faults.FailProcessing:
		return Processing{Outcome: ProcessingUploadFailed}
	case faults.InvalidBuild:
		return Processing{Outcome: ProcessingBuildInvalid}
	}
	return Processing{}
}

// endBuild ends a build's processing as the plan of its upload says (or,
// for a build of the data file, the current plan), putting the reasons on
// the upload. Call with s.mu held.
func (s *Server) endBuild(b *Build, faults Faults) {
	plan := s.processingPlan(faults)
	var up *buildUpload
	for _, id := range s.uploadOrder {
		if u := s.uploads[id]; u != nil && u.buildID == b.ID {
			up = u
			if u.plan.Outcome != "" {
				plan = u.plan
			}
		}
	}
	switch plan.Outcome {
	case ProcessingBuildInvalid:
		b.ProcessingState = "INVALID"
	case ProcessingBuildFailed:
		b.ProcessingState = "FAILED"
	default:
		b.ProcessingState = "VALID"
		return
	}
	if up != nil {
		up.errors = append(up.errors, plan.errors()...)
	}
}
