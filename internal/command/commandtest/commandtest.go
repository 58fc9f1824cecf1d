// Package commandtest gives tests of commands a Reporter that records
// everything, and an Env to run a command with.
package commandtest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// Annotation is one recorded notice, warning or error.
type Annotation struct{ Level, Title, Msg string }

// Recorder is a command.Reporter that records every call.
type Recorder struct {
	mu          sync.Mutex
	Masks       []string
	Outputs     map[string]string
	Logs        []string
	Annotations []Annotation
	Summaries   []string
	Groups      []string
	ProgressMax int64
	ProgressSet int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{Outputs: map[string]string{}} }

// Env returns an Env over inputs, reporting to r, with the given clock (nil: time.Now).
func (r *Recorder) Env(inputs map[string]string, now func() time.Time) *command.Env {
	if now == nil {
		now = time.Now
	}
	return &command.Env{Mode: command.ModeCLI, Inputs: command.MapValues(inputs), Report: r, Now: now, Getenv: func(string) string { return "" }}
}

// Mask implements command.Reporter.
func (r *Recorder) Mask(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Masks = append(r.Masks, values...)
}

// SetOutput implements command.Reporter.
func (r *Recorder) SetOutput(name, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Outputs[name] = command.SingleLine(value)
	return nil
}

// Infof implements command.Reporter.
func (r *Recorder) Infof(format untrusted.Format, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Logs = append(r.Logs, untrusted.Log(format, args...))
}

func (r *Recorder) annotate(level, title, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Annotations = append(r.Annotations, Annotation{level, title, msg})
}

// Notice implements command.Reporter.
func (r *Recorder) Notice(title, msg string) { r.annotate("notice", title, msg) }

// Warning implements command.Reporter.
func (r *Recorder) Warning(title, msg string) { r.annotate("warning", title, msg) }

// Error implements command.Reporter.
func (r *Recorder) Error(title, msg string) { r.annotate("error", title, msg) }

// Group implements command.Reporter.
func (r *Recorder) Group(title string) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Groups = append(r.Groups, title)
	return func() {}
}

// Summary implements command.Reporter.
func (r *Recorder) Summary(md untrusted.Markdown) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Summaries = append(r.Summaries, md.String())
}

// Progress implements command.Reporter.
func (r *Recorder) Progress(title string, total int64) command.Progress {
	return &progress{r: r, total: total}
}

type progress struct {
	r     *Recorder
	total int64
}

func (p *progress) Set(done int64) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	p.r.ProgressSet++
	if done > p.r.ProgressMax {
		p.r.ProgressMax = done
	}
}
func (p *progress) Finish() {}

// Text returns every log line, annotation and summary, for leak checks.
func (r *Recorder) Text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, l := range r.Logs {
		b.WriteString(l + "\n")
	}
	for _, a := range r.Annotations {
		fmt.Fprintf(&b, "%s %s %s\n", a.Level, a.Title, a.Msg)
	}
	for _, s := range r.Summaries {
		b.WriteString(s + "\n")
	}
	return b.String()
}

// Has reports whether an annotation of level contains substr.
func (r *Recorder) Has(level, substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.Annotations {
		if a.Level == level && (strings.Contains(a.Msg, substr) || strings.Contains(a.Title, substr)) {
			return true
		}
	}
	return false
}
