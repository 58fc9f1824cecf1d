// Package expiry is the domain of the scheduled expiry audit: it turns the
// things that expire (the App Store Connect API key, the age of the secret
// holding it, signing certificates, provisioning profiles, local .p12 and
// .mobileprovision files) into classified Items, and a Report that renders
// them as JSON, a Markdown job summary, annotations and an exit decision.
//
// The package never prints: adapters (actions, cli) turn the Report into
// outputs. Time comes in from outside, so classification is tested with a
// fixed clock.
package expiry

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Kind names what an Item is.
type Kind string

// The kinds of things the audit checks.
const (
	KindAPIKey          Kind = "api-key"
	KindSecretAge       Kind = "secret-age"
	KindCertificate     Kind = "certificate"
	KindProfile         Kind = "profile"
	KindP12             Kind = "p12"
	KindMobileProvision Kind = "mobileprovision"
)

// Status is the verdict on one Item.
type Status string

// Statuses, from best to worst. StatusError means the item could not be
// checked (a permission, a network fault); it is reported but does not by
// itself fail the audit.
const (
	StatusOK      Status = "ok"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusExpired Status = "expired"
	StatusError   Status = "error"
)

// ProfileStateActive is the profileState App Store Connect gives a usable
// provisioning profile.
const ProfileStateActive = "ACTIVE"

// ProfileStateInvalid is the profileState App Store Connect gives a profile
// that can no longer be used (for example, its certificate was revoked).
const ProfileStateInvalid = "INVALID"

// Item is one thing that expires, with its verdict once classified.
type Item struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name"`
	// ID is the App Store Connect resource id, a profile UUID or a serial
	// number: whatever identifies the item to the person fixing it.
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
	// State is the state App Store Connect shows (profiles only).
	State     string    `json:"state,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// DaysLeft is the number of whole days until ExpiresAt (negative once
	// past); nil when the item has no date.
	DaysLeft *int   `json:"daysLeft,omitempty"`
	Status   Status `json:"status"`
	Detail   string `json:"detail,omitempty"`
}

// Thresholds decide when an item is a warning and when it fails the audit.
// An item warns when fewer than WarnDays whole days are left and fails when
// fewer than FailDays are left.
type Thresholds struct {
	WarnDays int
	FailDays int
}

// Default thresholds, matching the action's input defaults.
const (
	DefaultWarnDays = 30
	DefaultFailDays = 7
)

// DefaultThresholds returns warn-days 30 and fail-days 7.
func DefaultThresholds() Thresholds {
	return Thresholds{WarnDays: DefaultWarnDays, FailDays: DefaultFailDays}
}

// ErrThresholds is the sentinel wrapped by Thresholds.Validate.
var ErrThresholds = errors.New("invalid thresholds")

// Validate reports thresholds that cannot be applied, naming the input.
func (t Thresholds) Validate() error {
	switch {
	case t.WarnDays < 0:
		return fmt.Errorf("%w: warn-days is %d; it must be 0 or more (default %d)", ErrThresholds, t.WarnDays, DefaultWarnDays)
	case t.FailDays < 0:
		return fmt.Errorf("%w: fail-days is %d; it must be 0 or more (default %d)", ErrThresholds, t.FailDays, DefaultFailDays)
	case t.FailDays > t.WarnDays:
		return fmt.Errorf("%w: fail-days (%d) is greater than warn-days (%d); set fail-days to at most warn-days", ErrThresholds, t.FailDays, t.WarnDays)
	}
	return nil
}

// DaysBetween returns the whole days from now until at, rounded down, so an
// item expiring in 2 days 23 hours has 2 days left and one that expired an
// hour ago has -1.
func DaysBetween(now, at time.Time) int {
	d := at.Sub(now)
	days := math.Floor(d.Hours() / 24)
	return int(days)
}

// Classify returns the item with DaysLeft and Status set for the clock
// reading now. Items without an expiry date keep the status they were given
// (an empty status becomes StatusError); StatusError is never overridden.
// A profile Apple still shows as ACTIVE after its expiration date is flagged
// in Detail; a profile Apple shows as INVALID fails.
func (t Thresholds) Classify(it Item, now time.Time) Item {
	if it.Status == StatusError {
		if !it.ExpiresAt.IsZero() {
			d := DaysBetween(now, it.ExpiresAt)
			it.DaysLeft = &d
		}
		return it
	}
	if it.ExpiresAt.IsZero() {
		it.DaysLeft = nil
		if it.Status == "" {
			it.Status = StatusError
			if it.Detail == "" {
				it.Detail = "no expiration date known"
			}
		}
		return it
	}
	d := DaysBetween(now, it.ExpiresAt)
	it.DaysLeft = &d
	switch {
	case !it.ExpiresAt.After(now):
		it.Status = StatusExpired
	case d < t.FailDays:
		it.Status = StatusFail
	case d < t.WarnDays:
		it.Status = StatusWarn
	default:
		it.Status = StatusOK
	}
	if it.Kind == KindProfile {
		switch {
		case it.Status == StatusExpired && it.State == ProfileStateActive:
			it.Detail = joinDetail(it.Detail, "Apple still shows this profile as ACTIVE after its expiration date; regenerate it")
		case it.State == ProfileStateInvalid && it.Status != StatusExpired:
			it.Status = StatusFail
			it.Detail = joinDetail(it.Detail, "Apple shows this profile as INVALID; regenerate it")
		}
	}
	return it
}

// UnderWarn reports whether the classified item is under warn-days or
// expired: what the expiring-count output and the tracking issue count.
func (it Item) UnderWarn() bool {
	switch it.Status {
	case StatusWarn, StatusFail, StatusExpired:
		return true
	}
	return false
}

// Failing reports whether the classified item fails the audit: under
// fail-days, expired, or otherwise marked failing.
func (it Item) Failing() bool {
	return it.Status == StatusFail || it.Status == StatusExpired
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
