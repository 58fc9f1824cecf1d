// Package command is the contract between the commands (token, verify,
// upload, ...) and the two front ends that run them: the GitHub Actions
// adapter and the terminal CLI. A command declares its inputs and outputs
// once; each front end reads the inputs its own way and renders what the
// command reports through a Reporter.
package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/untrusted"
)

// Input is one named input of a command: an Action input (`with: name:`),
// a CLI flag (`--name`) and, optionally, an environment variable.
type Input struct {
	Name    string // kebab-case, as in action.yml
	Env     string // environment variable read when neither input nor flag is set
	Default string
	// ActionDefault, when set, is action.yml's default instead of Default:
	// an expression such as ${{ github.token }} that only a runner evaluates.
	ActionDefault string
	Usage         string
	Bool          bool // a CLI switch (--name / --name=false)
	// Secret inputs are never echoed, not even in --help defaults.
	Secret bool
	// CLIOnly inputs are flags with no Action input (for example --json).
	CLIOnly bool
	// Positional names the input a CLI positional argument fills.
	Positional bool
}

// Output is one step output (and one key of the CLI's --json object).
type Output struct {
	Name  string
	Usage string
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	// Args describes positional arguments for the usage line, e.g. "[PATH]".
	Args string
	// Long is free text shown by --help after the usage line.
	Long    string
	Inputs  []Input
	Outputs []Output
	// Primary is the output the CLI prints alone on stdout (without --json).
	Primary string
	// CLIOnly commands are not offered as an Action's `command` (a server
	// that runs until interrupted, say).
	CLIOnly bool
	Run     func(ctx context.Context, env *Env) error
}

// Input returns the declared input called name, or nil.
func (c *Command) Input(name string) *Input {
	for i := range c.Inputs {
		if c.Inputs[i].Name == name {
			return &c.Inputs[i]
		}
	}
	return nil
}

// Values looks up an input's raw value as the front end received it.
type Values interface {
	// Lookup returns the value and whether it was set (explicitly, through
	// its environment variable, or by a default).
	Lookup(name string) (string, bool)
}

// MapValues is a Values over a map, for tests and embedded runs.
type MapValues map[string]string

// Lookup implements Values.
func (m MapValues) Lookup(name string) (string, bool) { v, ok := m[name]; return v, ok }

// Mode says which front end runs the command.
type Mode int

// The front ends.
const (
	ModeCLI Mode = iota
	ModeAction
)

// Env is everything a command's Run gets from outside: inputs, a reporter,
// a clock and an HTTP client. Front ends build it; tests build it by hand.
type Env struct {
	Mode   Mode
	Inputs Values
	Report Reporter
	Now    func() time.Time
	HTTP   *http.Client
	Getenv func(string) string
	// Interactive is true when a person watches a terminal (progress bars).
	Interactive bool

	closers []func()
}

// OnClose registers f to run when the command is over (front ends call
// Close after Run); later registrations run first.
func (e *Env) OnClose(f func()) { e.closers = append(e.closers, f) }

// Sub returns an Env for a command run inside another (the demo's steps):
// the same clock, HTTP client and mode, other inputs and reporter, and its
// own OnClose list, which the caller closes.
func (e *Env) Sub(inputs Values, report Reporter) *Env {
	return &Env{Mode: e.Mode, Inputs: inputs, Report: report, Now: e.Now, HTTP: e.HTTP, Getenv: e.Getenv, Interactive: e.Interactive}
}

// Close runs the functions registered with OnClose, once.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// Resolve returns the Values both front ends read a command's inputs
// through: the value the user gave (explicit: an INPUT_* variable or a
// flag), else the input's environment variable, else its default.
func Resolve(cmd *Command, explicit func(name string) (string, bool), getenv func(string) string) Values {
	return resolved{cmd: cmd, explicit: explicit, getenv: getenv}
}

type resolved struct {
	cmd      *Command
	explicit func(string) (string, bool)
	getenv   func(string) string
}

func (r resolved) Lookup(name string) (string, bool) {
	if v, ok := r.explicit(name); ok {
		return v, true
	}
	in := r.cmd.Input(name)
	if in == nil {
		return "", false
	}
	if in.Env != "" && r.getenv != nil {
		if e := r.getenv(in.Env); e != "" {
			return e, true
		}
	}
	if in.Default != "" {
		return in.Default, true
	}
	return "", false
}

// RunSafely runs cmd, then the functions env registered with OnClose. A
// panic becomes an internal error that names the command but not the
// panic's value, which may hold anything; advice says what to do about it.
func RunSafely(ctx context.Context, cmd *Command, env *Env, advice string) (err error) {
	defer env.Close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in %s (a bug; %s)", cmd.Name, advice)
		}
	}()
	return cmd.Run(ctx, env)
}

// Reporter is how a command speaks: the Actions adapter turns these calls
// into workflow commands and files, the CLI into terminal text.
//
// It is the output boundary (package untrusted): formats are constants of
// ours; every argument, title, message and output value may hold text from
// a server, a file or an input, and implementations pass it through
// untrusted before it reaches a log line, an annotation or stdout. The job
// summary takes untrusted.Markdown, which only escaping builds.
type Reporter interface {
	// Mask registers secret values; nothing printed after contains them.
	Mask(values ...string)
	// SetOutput sets a step output. Values are single lines: line breaks
	// are folded into spaces.
	SetOutput(name, value string) error
	// Infof logs a line; each argument is escaped (untrusted.Log).
	Infof(format untrusted.Format, args ...any)
	// Notice, Warning and Error are annotations with a title; both are
	// escaped (untrusted.Line).
	Notice(title, msg string)
	Warning(title, msg string)
	Error(title, msg string)
	// Group starts a collapsible log group; call the returned func to end it.
	Group(title string) func()
	// Summary appends Markdown to the job summary.
	Summary(markdown untrusted.Markdown)
	// Progress starts a progress display for total units (bytes).
	Progress(title string, total int64) Progress
}

// Progress receives the amount done so far.
type Progress interface {
	Set(done int64)
	Finish()
}

// ExitError carries an exit status other than 1 (2 for bad usage).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Usagef builds a bad-usage error (exit status 2).
func Usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// ExitCode maps an error returned by Run to the process exit status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// Reported wraps an error whose message the command has already shown (as
// an annotation, say), so the front end only sets the exit status.
type Reported struct{ Err error }

func (r *Reported) Error() string { return r.Err.Error() }
func (r *Reported) Unwrap() error { return r.Err }
