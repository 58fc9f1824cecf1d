package asc

import "time"

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// EventRetry: an attempt failed and the request will be sent again after Wait.
	EventRetry EventKind = iota + 1
	// EventTokenRenewed: a 401 made the client ask for a freshly minted token.
	EventTokenRenewed
	// EventClockSkew: a 401 came with a Date more than SkewThreshold from the
	// local clock; Skew holds server minus local, Corrected whether the token
	// source's clock was shifted.
	EventClockSkew
	// EventRateLimited: a 429 arrived.
	EventRateLimited
	// EventRateLimitLow: the remaining hourly budget fell to 5% of the limit or below.
	EventRateLimitLow
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case EventRetry:
		return "retry"
	case EventTokenRenewed:
		return "token-renewed"
	case EventClockSkew:
		return "clock-skew"
	case EventRateLimited:
		return "rate-limited"
	case EventRateLimitLow:
		return "rate-limit-low"
	}
	return "unknown"
}

// Event is something a caller may want to log. It never carries a token.
type Event struct {
	Kind EventKind
	// Method and Path name the request (no query).
	Method, Path string
	// Attempt is the 1-based attempt that just ended.
	Attempt int
	// Status is the HTTP status of that attempt (0 for a network failure).
	Status int
	// Err is the failure that caused a retry, if any.
	Err error
	// Wait is the pause before the next attempt (EventRetry).
	Wait time.Duration
	// FromServer is true when Wait came from the server's Retry-After.
	FromServer bool
	// Skew is the server's Date minus the local clock (EventClockSkew).
	Skew time.Duration
	// Corrected is true when the token source's clock was shifted (EventClockSkew).
	Corrected bool
	// RateLimit is the last X-Rate-Limit seen.
	RateLimit RateLimit
}
