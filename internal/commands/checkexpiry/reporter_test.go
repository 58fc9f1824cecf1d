package checkexpiry

import (
	"strings"
	"sync"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// recorder is a command.Reporter that keeps everything it is told, so a
// test can check outputs, annotations and the summary, and that nothing
// secret was ever said (it does not redact: anything masked that reaches it
// is a leak the real adapters would have had to catch).
type recorder struct {
	mu       sync.Mutex
	masks    []string
	outputs  map[string]string
	infos    []string
	errors   []string // "title: message"
	warnings []string
	notices  []string
	summary  strings.Builder
}

func newRecorder() *recorder { return &recorder{outputs: map[string]string{}} }

func (r *recorder) Mask(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.masks = append(r.masks, values...)
}

func (r *recorder) SetOutput(name, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs[name] = command.SingleLine(value)
	return nil
}

func (r *recorder) Infof(format untrusted.Format, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.infos = append(r.infos, untrusted.Log(format, args...))
}

func (r *recorder) Notice(title, msg string) { r.add(&r.notices, title, msg) }
func (r *recorder) Warning(title, msg string) {
	r.add(&r.warnings, title, msg)
}
func (r *recorder) Error(title, msg string) { r.add(&r.errors, title, msg) }

func (r *recorder) add(list *[]string, title, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, title+": "+msg)
}

func (r *recorder) Group(title string) func() {
	r.Infof("== %s", title)
	return func() {}
}

func (r *recorder) Summary(md untrusted.Markdown) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.summary.WriteString(md.String())
}

func (r *recorder) Progress(string, int64) command.Progress { return nopProgress{} }

type nopProgress struct{}

func (nopProgress) Set(int64) {}
func (nopProgress) Finish()   {}

// transcript is everything the command said, outputs included.
func (r *recorder) transcript() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for k, v := range r.outputs {
		b.WriteString(k + "=" + v + "\n")
	}
	for _, l := range [][]string{r.infos, r.errors, r.warnings, r.notices} {
		b.WriteString(strings.Join(l, "\n") + "\n")
	}
	b.WriteString(r.summary.String())
	return b.String()
}
