// Package actions runs a command as a GitHub Action step: it reads INPUT_*
// variables through go-githubactions, registers masks before anything else
// is printed, and writes outputs, the job summary and annotations.
package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// outputDelimiter is the heredoc delimiter go-githubactions writes output
// values with; a value equal to it would end the heredoc early.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// Runner runs commands in a GitHub Actions step.
type Runner struct {
	Commands []*command.Command
	Getenv   func(string) string
	Stdout   io.Writer
	Now      func() time.Time
	HTTP     *http.Client
}

// Run selects the command from the `command` input (default token), runs
// it and returns the process exit status.
func (r *Runner) Run(ctx context.Context) int {
	gha := githubactions.New(githubactions.WithWriter(r.Stdout), githubactions.WithGetenv(r.Getenv))
	rep := &Reporter{gha: gha, out: r.Stdout, now: r.Now}
	name := strings.ToLower(strings.TrimSpace(gha.GetInput("command")))
	if name == "" {
		name = "token"
	}
	var cmd *command.Command
	var names []string
	for _, c := range r.Commands {
		if c.CLIOnly {
			continue
		}
		names = append(names, c.Name)
		if c.Name == name {
			cmd = c
		}
	}
	if cmd == nil {
		gha.WithFieldsMap(map[string]string{"title": "command"}).Errorf("%s", untrusted.Log("command %q is not known; use one of: %s", name, strings.Join(names, ", ")))
		return command.ExitUsage
	}
	// INPUT_<NAME> (hyphens kept, as the runner sets them), then the
	// input's environment variable, then its default.
	explicit := func(name string) (string, bool) {
		raw := r.Getenv("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
		return raw, strings.TrimSpace(raw) != ""
	}
	env := &command.Env{
		Mode:   command.ModeAction,
		Inputs: command.Resolve(cmd, explicit, r.Getenv),
		Report: rep,
		Now:    r.Now,
		HTTP:   r.HTTP,
		Getenv: r.Getenv,
	}
	err := command.RunSafely(ctx, cmd, env, "please report it with the step's log")
	if err != nil {
		var done *command.Reported
		if !errors.As(err, &done) {
			rep.Error(cmd.Name, err.Error())
		}
	}
	return command.ExitCode(err)
}

// Reporter renders a command's reports as workflow commands. Every line it
// prints passes through its Redactor as well as the runner's masks.
type Reporter struct {
	gha    *githubactions.Action
	out    io.Writer
	now    func() time.Time
	redact command.Redactor
	mu     sync.Mutex
}

// Mask implements command.Reporter: `::add-mask::` for each value, one per
// line of a multi-line value, on the same stream as the logs.
func (r *Reporter) Mask(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.redact.Add(values...) // the value and each of its lines
	for _, v := range values {
		for _, line := range strings.FieldsFunc(v, func(c rune) bool { return c == '\n' || c == '\r' }) {
			if line = strings.TrimSpace(line); line != "" {
				r.gha.AddMask(line)
			}
		}
	}
}

// SetOutput implements command.Reporter. Values are folded to one line and
// a value equal to the file's heredoc delimiter is refused, so no value can
// end its own entry and add an output.
func (r *Reporter) SetOutput(name, value string) error {
	value = command.SingleLine(value)
	if strings.TrimSpace(value) == outputDelimiter {
		return fmt.Errorf("output %s: the value equals the output file's delimiter and was not written", name)
	}
	if r.gha.Getenv("GITHUB_OUTPUT") == "" {
		return fmt.Errorf("output %s: GITHUB_OUTPUT is not set, so step outputs cannot be written (is this running outside a GitHub Actions step?)", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gha.SetOutput(name, value)
	return nil
}

// Infof implements command.Reporter: each argument is redacted and
// escaped (untrusted.LogRedacted), so no text from outside can start a
// line the runner reads as a workflow command.
func (r *Reporter) Infof(format untrusted.Format, args ...any) {
	line := untrusted.LogRedacted(r.redact.Redact, format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.out, line)
}

// line is a title or message of an annotation or group made safe for the
// log: redacted, then escaped (go-githubactions escapes it once more as
// the command's property or data).
func (r *Reporter) line(s string) string { return untrusted.Line(r.redact.Redact(s)) }

func (r *Reporter) annotate(f func(*githubactions.Action, string, ...any), title, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.gha
	if title != "" {
		a = a.WithFieldsMap(map[string]string{"title": r.line(title)})
	}
	f(a, "%s", r.line(msg))
}

// Notice implements command.Reporter.
func (r *Reporter) Notice(title, msg string) { r.annotate((*githubactions.Action).Noticef, title, msg) }

// Warning implements command.Reporter.
func (r *Reporter) Warning(title, msg string) {
	r.annotate((*githubactions.Action).Warningf, title, msg)
}

// Error implements command.Reporter.
func (r *Reporter) Error(title, msg string) { r.annotate((*githubactions.Action).Errorf, title, msg) }

// Group implements command.Reporter.
func (r *Reporter) Group(title string) func() {
	r.mu.Lock()
	r.gha.Group(r.line(title))
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.gha.EndGroup()
	}
}

// Summary implements command.Reporter. Without GITHUB_STEP_SUMMARY (a
// runner that has none) the summary is skipped.
func (r *Reporter) Summary(markdown untrusted.Markdown) {
	if r.gha.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gha.AddStepSummary(r.redact.RedactMarkdown(markdown.String()))
}

// Progress implements command.Reporter with a log line at a steady cadence.
func (r *Reporter) Progress(title string, total int64) command.Progress {
	return command.NewLineProgress(r.Infof, r.now, title, total, 0)
}
