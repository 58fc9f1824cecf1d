package upload

import (
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// EventKind says which step an Event reports.
type EventKind string

// Event kinds, in the order a run meets them.
const (
	EventInspected   EventKind = "inspected"    // facts read from the file
	EventApp         EventKind = "app"          // the app was found
	EventExisting    EventKind = "existing"     // the build number exists already
	EventStaleUpload EventKind = "stale-upload" // an unfinished upload of this build number was deleted
	EventCreated     EventKind = "created"      // build upload created
	EventReserved    EventKind = "reserved"     // file reserved; part plan known
	EventTransfer    EventKind = "transfer"     // part progress (Transfer is set)
	EventTransferred EventKind = "transferred"  // every part acknowledged
	EventCommitted   EventKind = "committed"    // uploaded:true accepted (or found applied)
	EventState       EventKind = "state"        // the upload's state changed
	EventDiagnostic  EventKind = "diagnostic"   // one of Apple's errors, warnings or infos
	EventBuild       EventKind = "build"        // the build's processingState changed
	EventDeleted     EventKind = "deleted"      // an upload that could not complete was deleted
	EventWaiting     EventKind = "waiting"      // a poll found no change; next read after a pause
)

// Level grades an event for the adapters: warnings and errors become
// annotations in GitHub Actions.
type Level int

// Levels.
const (
	LevelInfo Level = iota
	LevelWarning
	LevelError
)

// Event is one step of a run. Message is a complete human sentence; the
// other fields carry the same facts for machines.
type Event struct {
	Kind    EventKind
	Level   Level
	Message string
	// State is the upload state (EventState) or processingState (EventBuild).
	State string
	// Code is Apple's code for an EventDiagnostic.
	Code string
	// Transfer is the part progress for EventTransfer.
	Transfer *transfer.Event
}

// Result is what a run achieved; it backs the step's outputs and summary.
type Result struct {
	BundleID, ShortVersion, BuildVersion string
	Platform                             string
	FileName                             string
	AppID                                string
	BuildUploadID                        string
	BuildUploadFileID                    string
	BuildID                              string
	UploadState                          string // AWAITING_UPLOAD, PROCESSING, COMPLETE, FAILED
	ProcessingState                      string // PROCESSING, VALID, FAILED, INVALID
	// Skipped is true when the build number existed and SkipExisting was set.
	Skipped bool
	// Bytes is the file size; Parts the number of parts sent.
	Bytes int64
	Parts int
	// Transfer is the part transfer's summary (nil when nothing was sent).
	Transfer *transfer.Result
	// Errors, Warnings and Infos are Apple's messages from the upload's
	// state and its file's delivery state; Diagnostics the same, in the
	// order reported, each with where it was read.
	Errors, Warnings, Infos []asc.StateDetail
	Diagnostics             []Diagnostic
	// ProcessingFailed is true when App Store Connect refused the build:
	// the upload ended FAILED, or the build INVALID or FAILED.
	ProcessingFailed bool
	// BuildNumberReusable, when ProcessingFailed, says whether the same
	// build number may be uploaded again: yes after a FAILED upload that
	// made no build, no once a build exists (even INVALID).
	BuildNumberReusable bool
	// Duration is the whole run; TransferDuration only the parts.
	Duration, TransferDuration time.Duration
}
