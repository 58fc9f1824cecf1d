package command

import (
	"fmt"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/bytesize"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// DefaultProgressEvery is the cadence of progress lines in logs.
const DefaultProgressEvery = 5 * time.Second

// LineProgress prints `title: 40.0 MiB / 100.0 MiB (40%), 12.5 MB/s, ETA 5s`
// at most once per interval, and once at the end. The CLI uses it too when
// stderr is not a terminal.
type LineProgress struct {
	logf     func(untrusted.Format, ...any)
	now      func() time.Time
	title    string
	total    int64
	every    time.Duration
	mu       sync.Mutex
	start    time.Time
	last     time.Time
	done     int64
	finished bool
}

// NewLineProgress returns a LineProgress; every 0 means DefaultProgressEvery.
func NewLineProgress(logf func(untrusted.Format, ...any), now func() time.Time, title string, total int64, every time.Duration) *LineProgress {
	if now == nil {
		now = time.Now
	}
	if every <= 0 {
		every = DefaultProgressEvery
	}
	t := now()
	return &LineProgress{logf: logf, now: now, title: title, total: total, every: every, start: t, last: t}
}

// Set records the amount done and prints a line when one is due.
func (p *LineProgress) Set(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if t := p.now(); t.Sub(p.last) >= p.every {
		p.last = t
		p.logf("%s", p.lineLocked(t))
	}
}

// Finish prints the final line once.
func (p *LineProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.logf("%s", p.lineLocked(p.now()))
}

func (p *LineProgress) lineLocked(t time.Time) string {
	elapsed := t.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	eta := "-"
	if rate > 0 && p.done < p.total {
		eta = fmt.Sprint(time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second))
	}
	return fmt.Sprintf("%s: %s / %s (%.0f%%), %.1f MB/s, ETA %s", p.title, bytesize.Format(p.done), bytesize.Format(p.total), pct, rate/1e6, eta)
}
