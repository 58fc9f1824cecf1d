package ipa

import (
	"errors"
	"strings"
)

// Sentinel errors, matched with errors.Is against an *Error.
//
//lint:file-ignore ST1005 Info.plist is a file name
var (
	ErrOpen                 = errors.New("cannot open the build file")
	ErrNotRegular           = errors.New("not a regular file")
	ErrNotZip               = errors.New("not a zip archive")
	ErrNoApp                = errors.New("no Payload/<Name>.app")
	ErrNoInfoPlist          = errors.New("no Info.plist")
	ErrBadPlist             = errors.New("unreadable Info.plist")
	ErrBadProvision         = errors.New("unreadable embedded.mobileprovision")
	ErrMissingKey           = errors.New("Info.plist lacks a required key")
	ErrUnknownPlatform      = errors.New("unknown platform")
	ErrPackageNeedsVersions = errors.New("a .pkg needs explicit versions")
)

// Error is a failure to read a build file: which file, what is wrong, and what
// to do. Err is one of the sentinels above.
type Error struct {
	File   string   // the path as given (empty from Read)
	Err    error    // sentinel
	Detail string   // what was found
	Fix    string   // what the user should do
	Keys   []string // for ErrMissingKey: the missing Info.plist keys
}

// Error formats as "<file>: <problem>: <detail>; <fix>".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
