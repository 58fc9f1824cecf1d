// Package testclock is a fake clock for tests: time passes only when a test
// advances it or something sleeps on it, so renewals, retries and waits are
// tested without real sleeps.
package testclock

import (
	"context"
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. Its Now and Sleep
// methods fit the Now and Sleep hooks that the packages under test take.
type Clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

// Start is where a test's clock starts unless the test needs another moment:
// one fixed date, so that nothing a test compares depends on the day it runs.
var Start = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// New returns a Clock that reads start until it is moved.
func New(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep records d and moves the clock on by d at once, unless ctx is done
// already: then it returns ctx's error and time does not pass.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

// Sleeps returns the durations Sleep was asked for, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
