// Package localfile reads the signing files a team keeps in secrets, a .p12
// certificate and a .mobileprovision profile (alone or inside an .ipa), and
// reports their expiry as expiry Items.
//
// Messages never contain the file's bytes, its base64 text or the password:
// every error is an *Error whose text names the input and the fix, with the
// library's cause reachable through errors.Unwrap but not printed.
package localfile

import (
	"errors"
	"fmt"
)

// Sentinel errors, usable with errors.Is on any *Error.
var (
	// ErrNotBase64 means the input is not base64 text.
	ErrNotBase64 = errors.New("not base64")
	// ErrMalformed means the bytes are not the expected kind of file.
	ErrMalformed = errors.New("malformed file")
	// ErrWrongPassword means the .p12 password does not open the file.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNotFound means the file, or the profile inside an .ipa, is missing.
	ErrNotFound = errors.New("not found")
	// ErrTooLarge means the file is larger than any such file should be.
	ErrTooLarge = errors.New("file too large")
)

// Error is a failure reading one input. Its message names the input and says
// what to do; it never quotes the input.
type Error struct {
	Input string // the action input, e.g. "p12-base64"
	Kind  error  // one of the sentinels above
	Hint  string // what was wrong and how to fix it
	cause error  // the library's error; kept for errors.As, never printed
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Input, e.Hint)
}

// Unwrap returns the sentinel and the library's cause.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.cause}
}

func newError(input string, kind error, hint string, cause error) *Error {
	return &Error{Input: input, Kind: kind, Hint: hint, cause: cause}
}
