package asc

import (
	"strconv"
	"strings"
)

// RateLimit is App Store Connect's X-Rate-Limit header: the per-key hourly
// request budget and what is left of it.
type RateLimit struct {
	// Limit is user-hour-lim, requests allowed per rolling hour.
	Limit int
	// Remaining is user-hour-rem.
	Remaining int
	// Known is true when both values were present and well formed.
	Known bool
}

// ParseRateLimit reads an X-Rate-Limit value such as
// "user-hour-lim:3500;user-hour-rem:500;". Unknown keys are ignored; a
// missing or malformed limit or remaining leaves Known false.
func ParseRateLimit(v string) RateLimit {
	var rl RateLimit
	haveLim, haveRem := false, false
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, ":")
		if !ok {
			return RateLimit{}
		}
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		switch strings.ToLower(k) {
		case "user-hour-lim", "user-hour-rem":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return RateLimit{}
			}
			if strings.EqualFold(k, "user-hour-lim") {
				if haveLim {
					return RateLimit{}
				}
				rl.Limit, haveLim = n, true
			} else {
				if haveRem {
					return RateLimit{}
				}
				rl.Remaining, haveRem = n, true
			}
		}
	}
	if !haveLim || !haveRem {
		return RateLimit{}
	}
	rl.Known = true
	return rl
}

// Low reports whether the budget left is down to 5% of the hourly limit
// or below: the point where the client warns, and verify's readiness
// check.
func (r RateLimit) Low() bool { return r.Known && r.Limit > 0 && r.Remaining*20 <= r.Limit }

// String renders the budget as "500/3500 left", or "unknown".
func (r RateLimit) String() string {
	if !r.Known {
		return "unknown"
	}
	return strconv.Itoa(r.Remaining) + "/" + strconv.Itoa(r.Limit) + " left"
}
