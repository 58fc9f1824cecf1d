package testclock

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := Start
	c := New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	c.Advance(time.Minute)
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if want := start.Add(time.Minute + 2*time.Second); !c.Now().Equal(want) {
		t.Errorf("Now = %v, want %v", c.Now(), want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if want := start.Add(time.Minute + 2*time.Second); !c.Now().Equal(want) {
		t.Errorf("a cancelled Sleep moved the clock to %v", c.Now())
	}
	if got := c.Sleeps(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("Sleeps = %v", got)
	}
}
