// Package cli runs a command from a terminal: flags generated from the
// command's inputs (with ASC_* environment variables as fallbacks), --help,
// --json, a progress bar on a TTY, and exit statuses 0, 1 and 2.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// IO is the terminal: streams and whether stderr is a TTY.
type IO struct {
	In          io.Reader
	Out, Err    io.Writer
	ErrIsTTY    bool
	ProgramName string
}

// Runner runs commands from the command line.
type Runner struct {
	Commands []*command.Command
	IO       IO
	Getenv   func(string) string
	Now      func() time.Time
	HTTP     *http.Client
	Version  string
}

func (r *Runner) prog() string {
	if r.IO.ProgramName != "" {
		return r.IO.ProgramName
	}
	return "asc-action"
}

// Run parses args (without the program name) and returns the exit status.
func (r *Runner) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c := r.find(args[1]); c != nil {
				r.commandHelp(r.IO.Out, c)
				return command.ExitOK
			}
		}
		r.topHelp(r.IO.Out)
		if len(args) == 0 {
			return command.ExitUsage
		}
		return command.ExitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(r.IO.Out, r.prog(), r.Version)
		return command.ExitOK
	}
	cmd := r.find(args[0])
	if cmd == nil {
		fmt.Fprintln(r.IO.Err, untrusted.Log("%s: unknown command %q\nRun '%s --help' for the list of commands.", r.prog(), args[0], r.prog()))
		return command.ExitUsage
	}
	vals, jsonOut, quiet, err := r.parse(cmd, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		r.commandHelp(r.IO.Out, cmd)
		return command.ExitOK
	}
	if err != nil {
		fmt.Fprintln(r.IO.Err, untrusted.Log("%s %s: %v\nRun '%s %s --help' for usage.", r.prog(), cmd.Name, err, r.prog(), cmd.Name))
		return command.ExitUsage
	}
	rep := &Reporter{err: r.IO.Err, quiet: quiet, tty: r.IO.ErrIsTTY, now: r.Now, outputs: map[string]string{}}
	env := &command.Env{
		Mode:        command.ModeCLI,
		Inputs:      vals,
		Report:      rep,
		Now:         r.Now,
		HTTP:        r.HTTP,
		Getenv:      r.Getenv,
		Interactive: r.IO.ErrIsTTY && !quiet,
	}
	err = command.RunSafely(ctx, cmd, env, "please report it")
	if err != nil {
		var done *command.Reported
		if !errors.As(err, &done) {
			fmt.Fprintln(r.IO.Err, untrusted.LogRedacted(rep.redact.Redact, "error: %s", err.Error()))
		}
	}
	if err == nil || command.ExitCode(err) != command.ExitUsage {
		r.printOutputs(cmd, rep, jsonOut)
	}
	return command.ExitCode(err)
}

func (r *Runner) printOutputs(cmd *command.Command, rep *Reporter, jsonOut bool) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if jsonOut {
		obj := make(map[string]string, len(rep.outputs))
		for k, v := range rep.outputs {
			obj[strings.ReplaceAll(k, "-", "_")] = v
		}
		if len(obj) == 0 {
			return
		}
		b, _ := json.Marshal(obj)
		fmt.Fprintln(r.IO.Out, untrusted.JSON(string(b)))
		return
	}
	if cmd.Primary != "" {
		if v, ok := rep.outputs[cmd.Primary]; ok {
			// Alone on stdout, which a workflow step also reads commands from.
			fmt.Fprintln(r.IO.Out, untrusted.JSON(v))
		}
	}
}

func (r *Runner) find(name string) *command.Command {
	for _, c := range r.Commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

type boolFlag struct {
	name string
	set  map[string]string
}

func (b *boolFlag) String() string   { return "" }
func (b *boolFlag) IsBoolFlag() bool { return true }
func (b *boolFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		b.set[b.name] = "true"
	case "false", "0", "no", "off":
		b.set[b.name] = "false"
	default:
		return fmt.Errorf("must be true or false")
	}
	return nil
}

type strFlag struct {
	name string
	set  map[string]string
}

func (s *strFlag) String() string { return "" }
func (s *strFlag) Set(v string) error {
	if prev, ok := s.set[s.name]; ok && prev != "" {
		s.set[s.name] = prev + "\n" + v // repeated flags build a multi-line input
		return nil
	}
	s.set[s.name] = v
	return nil
}

func (r *Runner) parse(cmd *command.Command, args []string) (vals command.Values, jsonOut, quiet bool, err error) {
	set := map[string]string{}
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, in := range cmd.Inputs {
		if in.Bool {
			fs.Var(&boolFlag{name: in.Name, set: set}, in.Name, in.Usage)
		} else {
			fs.Var(&strFlag{name: in.Name, set: set}, in.Name, in.Usage)
		}
	}
	fs.BoolVar(&jsonOut, "json", false, "print the outputs as one JSON object on stdout")
	fs.BoolVar(&quiet, "quiet", false, "print nothing but the result and errors")
	// Go's flag package stops at the first positional argument; accept
	// flags after it too, as people type `upload app.ipa --wait processing`.
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, false, false, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	var pos *command.Input
	for i := range cmd.Inputs {
		if cmd.Inputs[i].Positional {
			pos = &cmd.Inputs[i]
		}
	}
	switch {
	case len(positional) == 0:
	case pos == nil:
		return nil, false, false, fmt.Errorf("unexpected argument %q", positional[0])
	case len(positional) > 1:
		return nil, false, false, fmt.Errorf("takes one %s argument, got %d", strings.ToUpper(pos.Name), len(positional))
	default:
		if _, dup := set[pos.Name]; dup {
			return nil, false, false, fmt.Errorf("give %s either as --%s or as an argument, not both", pos.Name, pos.Name)
		}
		set[pos.Name] = positional[0]
	}
	explicit := func(name string) (string, bool) { v, ok := set[name]; return v, ok }
	return command.Resolve(cmd, explicit, r.Getenv), jsonOut, quiet, nil
}

func (r *Runner) topHelp(w io.Writer) {
	fmt.Fprintf(w, "%s: App Store Connect API keys, tokens and build uploads, as a CLI and a GitHub Action.\n\n", r.prog())
	fmt.Fprintf(w, "Usage:\n  %s <command> [flags]\n\nCommands:\n", r.prog())
	width := 14
	for _, c := range r.Commands {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Commands {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", r.prog())
	fmt.Fprintf(w, "Exit status: 0 success, 1 failure, 2 bad usage.\n")
}

func (r *Runner) commandHelp(w io.Writer, c *command.Command) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s %s [flags]", c.Summary, r.prog(), c.Name)
	if c.Args != "" {
		fmt.Fprintf(w, " %s", c.Args)
	}
	fmt.Fprintln(w)
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
	}
	fmt.Fprintln(w, "\nFlags:")
	for _, in := range c.Inputs {
		name := "--" + in.Name
		if !in.Bool {
			name += " value"
		}
		extra := ""
		if in.Env != "" {
			extra += " [$" + in.Env + "]"
		}
		if in.Default != "" && !in.Secret {
			extra += fmt.Sprintf(" (default %q)", in.Default)
		}
		fmt.Fprintf(w, "  %-28s %s%s\n", name, in.Usage, extra)
	}
	fmt.Fprintf(w, "  %-28s %s\n", "--json", "print the outputs as one JSON object on stdout")
	fmt.Fprintf(w, "  %-28s %s\n", "--quiet", "print nothing but the result and errors")
	if len(c.Outputs) > 0 {
		fmt.Fprintln(w, "\nOutputs (step outputs; keys of --json with _ for -):")
		outs := append([]command.Output(nil), c.Outputs...)
		sort.SliceStable(outs, func(i, j int) bool { return outs[i].Name == c.Primary && outs[j].Name != c.Primary })
		for _, o := range outs {
			fmt.Fprintf(w, "  %-28s %s\n", o.Name, o.Usage)
		}
	}
}

// Reporter renders reports on a terminal: logs and annotations on stderr,
// outputs collected for stdout.
type Reporter struct {
	err     io.Writer
	quiet   bool
	tty     bool
	now     func() time.Time
	redact  command.Redactor
	mu      sync.Mutex
	outputs map[string]string
}

// Outputs returns a copy of the outputs set so far.
func (r *Reporter) Outputs() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.outputs))
	for k, v := range r.outputs {
		out[k] = v
	}
	return out
}

// Mask implements command.Reporter: masked values are redacted from every
// line printed on stderr.
func (r *Reporter) Mask(values ...string) { r.redact.Add(values...) }

// SetOutput implements command.Reporter.
func (r *Reporter) SetOutput(name, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs[name] = command.SingleLine(value)
	return nil
}

// printf prints a line on stderr: each argument redacted and escaped
// (untrusted.LogRedacted), since the CLI may run inside a workflow step
// whose runner reads commands from stderr too.
func (r *Reporter) printf(always bool, format untrusted.Format, args ...any) {
	if r.quiet && !always {
		return
	}
	line := untrusted.LogRedacted(r.redact.Redact, format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.err, line)
}

// Infof implements command.Reporter.
func (r *Reporter) Infof(format untrusted.Format, args ...any) { r.printf(false, format, args...) }

func (r *Reporter) label(always bool, kind, title, msg string) {
	if title == "" {
		r.printf(always, "%s: %s", kind, msg)
		return
	}
	r.printf(always, "%s: %s: %s", kind, title, msg)
}

// Notice implements command.Reporter.
func (r *Reporter) Notice(title, msg string) { r.label(false, "notice", title, msg) }

// Warning implements command.Reporter.
func (r *Reporter) Warning(title, msg string) { r.label(true, "warning", title, msg) }

// Error implements command.Reporter.
func (r *Reporter) Error(title, msg string) { r.label(true, "error", title, msg) }

// Group implements command.Reporter.
func (r *Reporter) Group(title string) func() {
	r.printf(false, "== %s", title)
	return func() {}
}

// Summary implements command.Reporter: the Markdown goes to stderr, its
// lines guarded (its untrusted parts were escaped when it was built),
// without the zero-width spaces that only stop GitHub's autolinks.
func (r *Reporter) Summary(markdown untrusted.Markdown) {
	if r.quiet {
		return
	}
	md := r.redact.RedactMarkdown(strings.TrimRight(markdown.String(), "\n"))
	md = untrusted.GuardLines(untrusted.WithoutAutolinkBreaks(md))
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.err, "\n%s\n", md)
}

// Progress implements command.Reporter: a live bar on a terminal, lines at
// a steady cadence otherwise, nothing with --quiet.
func (r *Reporter) Progress(title string, total int64) command.Progress {
	if r.quiet {
		return nopProgress{}
	}
	if r.tty {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(r.err),
			progressbar.OptionSetDescription(untrusted.Line(r.redact.Redact(title))),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.err) }),
		)
		return &barProgress{bar: bar}
	}
	return command.NewLineProgress(r.Infof, r.now, title, total, 0)
}

type nopProgress struct{}

func (nopProgress) Set(int64) {}
func (nopProgress) Finish()   {}

type barProgress struct{ bar *progressbar.ProgressBar }

func (b *barProgress) Set(done int64) { _ = b.bar.Set64(done) }
func (b *barProgress) Finish()        { _ = b.bar.Finish() }
