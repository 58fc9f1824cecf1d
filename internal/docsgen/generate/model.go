package generate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/asc-action/asc-action/internal/command"
)

// commandInput is the name of the input that selects the command; the
// Actions adapter reads it itself, so no command declares it.
const commandInput = "command"

// defaultCommand is the command the Actions adapter runs when `command` is
// empty (internal/actions.Runner.Run).
const defaultCommand = "token"

// InputDoc is one Action input: the union of every command's declaration
// of that name.
type InputDoc struct {
	Name string
	// Description is the usage text; when commands describe the input
	// differently, each command's text prefixed with its name.
	Description string
	usage       usageSet
	// Commands lists the commands that read the input, in registry order.
	Commands []string
	// Default is set when every command that reads the input agrees on it.
	// It is the binary's default: action.yml names it in the description
	// and leaves the input's `default:` empty, so that the environment
	// variable the input falls back to can still steer a step (a runner
	// passes every input, with action.yml's default where the step gives
	// none, and an input given wins over the environment).
	Default string
	// Defaults holds each command's default when they differ.
	Defaults map[string]string
	Env      []string
	Secret   bool
	Bool     bool
}

// OutputDoc is one step output: the union over the commands that set it.
type OutputDoc struct {
	Name        string
	Description string // as InputDoc.Description
	usage       usageSet
	Commands    []string
}

// Model is everything the generated sections are rendered from.
type Model struct {
	// CommandNames lists every command, in registry order.
	CommandNames []string
	Inputs       []InputDoc
	Outputs      []OutputDoc
}

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Collect builds the model from the commands: inputs and outputs in order
// of first appearance, `command` first, CLI-only commands and inputs left
// out. It
// refuses declarations the Action could not carry (bad or duplicate names,
// missing descriptions, an input named `command`).
func Collect(cmds []*command.Command) (*Model, error) {
	c := collector{m: &Model{}, inIdx: map[string]int{}, outIdx: map[string]int{}, seenCmd: map[string]bool{}}
	for _, cmd := range cmds {
		c.command(cmd)
	}
	if len(c.m.CommandNames) == 0 && len(c.errs) == 0 {
		c.errs = append(c.errs, "no commands are registered")
	}
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("the command declarations cannot be rendered:\n  %s", strings.Join(c.errs, "\n  "))
	}
	c.m.settle()
	return c.m, nil
}

// collector gathers the model one command at a time, noting every
// declaration the Action could not carry.
type collector struct {
	m             *Model
	inIdx, outIdx map[string]int
	seenCmd       map[string]bool
	errs          []string
}

func (c *collector) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *collector) command(cmd *command.Command) {
	switch {
	case cmd == nil:
		c.errorf("a nil command is registered")
		return
	case cmd.CLIOnly:
		return // not offered as an Action's command: none of its inputs or outputs either
	}
	if !kebab.MatchString(cmd.Name) {
		c.errorf("command %q: name must be kebab-case", cmd.Name)
	}
	if c.seenCmd[cmd.Name] {
		c.errorf("command %q is registered twice", cmd.Name)
		return
	}
	c.seenCmd[cmd.Name] = true
	c.m.CommandNames = append(c.m.CommandNames, cmd.Name)
	seenIn := map[string]bool{}
	for _, in := range cmd.Inputs {
		if !in.CLIOnly && c.inputOK(cmd.Name, in, seenIn) {
			c.input(cmd.Name, in)
		}
	}
	seenOut := map[string]bool{}
	for _, out := range cmd.Outputs {
		if c.outputOK(cmd.Name, out, seenOut) {
			c.output(cmd.Name, out)
		}
	}
}

func (c *collector) inputOK(cmd string, in command.Input, seen map[string]bool) bool {
	if in.Name == commandInput {
		c.errorf("command %s: input %q is reserved for choosing the command", cmd, in.Name)
		return false
	}
	return c.declared(cmd, "input", in.Name, in.Usage, " (lower-case letters, digits, single hyphens)", seen)
}

func (c *collector) outputOK(cmd string, out command.Output, seen map[string]bool) bool {
	return c.declared(cmd, "output", out.Name, out.Usage, "", seen)
}

// declared checks one input or output declaration of cmd: a kebab-case
// name, declared once, with a usage text.
func (c *collector) declared(cmd, kind, name, usage, kebabHint string, seen map[string]bool) bool {
	switch {
	case !kebab.MatchString(name):
		c.errorf("command %s: %s %q must be kebab-case%s", cmd, kind, name, kebabHint)
	case seen[name]:
		c.errorf("command %s: %s %q is declared twice", cmd, kind, name)
	case strings.TrimSpace(usage) == "":
		c.errorf("command %s: %s %q has no Usage text to describe it", cmd, kind, name)
	default:
		seen[name] = true
		return true
	}
	return false
}

func (c *collector) input(cmd string, in command.Input) {
	d := entry(c.inIdx, &c.m.Inputs, in.Name, func() InputDoc { return InputDoc{Name: in.Name, Defaults: map[string]string{}} })
	d.usage.add(cmd, in.Usage)
	d.Commands = append(d.Commands, cmd)
	def := in.Default
	if in.ActionDefault != "" {
		def = in.ActionDefault
	}
	d.Defaults[cmd] = def
	d.Secret = d.Secret || in.Secret
	d.Bool = d.Bool || in.Bool
	if in.Env != "" && !slices.Contains(d.Env, in.Env) {
		d.Env = append(d.Env, in.Env)
	}
}

func (c *collector) output(cmd string, out command.Output) {
	o := entry(c.outIdx, &c.m.Outputs, out.Name, func() OutputDoc { return OutputDoc{Name: out.Name} })
	o.usage.add(cmd, out.Usage)
	o.Commands = append(o.Commands, cmd)
}

// entry returns the element of list called name (its index in idx), adding
// a new one made by add the first time the name is seen.
func entry[T any](idx map[string]int, list *[]T, name string, add func() T) *T {
	i, ok := idx[name]
	if !ok {
		i = len(*list)
		idx[name] = i
		*list = append(*list, add())
	}
	return &(*list)[i]
}

// settle fills the descriptions and folds the defaults every command
// agrees on into one; a secret's default is dropped, as action.yml would
// publish it.
func (m *Model) settle() {
	for i := range m.Outputs {
		m.Outputs[i].Description = m.Outputs[i].usage.String()
	}
	for i := range m.Inputs {
		d := &m.Inputs[i]
		d.Description = d.usage.String()
		first := d.Defaults[d.Commands[0]]
		agree := true
		for _, c := range d.Commands {
			if d.Defaults[c] != first {
				agree = false
			}
		}
		if agree {
			d.Default, d.Defaults = first, nil
		}
		if d.Secret {
			d.Default, d.Defaults = "", nil
		}
	}
}

// usageSet collects each command's usage text for one input or output.
type usageSet struct {
	texts []string            // distinct texts, in order of first appearance
	cmds  map[string][]string // text -> commands that use it
}

func (u *usageSet) add(cmd, text string) {
	text = strings.TrimSuffix(strings.Join(strings.Fields(text), " "), ".")
	if u.cmds == nil {
		u.cmds = map[string][]string{}
	}
	if _, ok := u.cmds[text]; !ok {
		u.texts = append(u.texts, text)
	}
	u.cmds[text] = append(u.cmds[text], cmd)
}

// String is the one text when every command agrees, else
// "cmd, cmd2: text; cmd3: text3".
func (u *usageSet) String() string {
	if len(u.texts) == 1 {
		return u.texts[0]
	}
	var parts []string
	for _, t := range u.texts {
		parts = append(parts, strings.Join(u.cmds[t], ", ")+": "+t)
	}
	return strings.Join(parts, "; ")
}

// commandList renders the commands an input or output belongs to: "all
// commands" when it is every one of them.
func (m *Model) commandList(names []string) string {
	if len(names) == len(m.CommandNames) && len(names) > 1 {
		return "all commands"
	}
	return strings.Join(names, ", ")
}

// CommandDescription is the description of the `command` input.
func (m *Model) CommandDescription() string {
	return fmt.Sprintf("Which command to run: %s. Default: %s.", strings.Join(m.CommandNames, ", "), defaultCommand)
}

// FullDescription is an input's description as action.yml shows it: its
// usage, the commands that read it, its per-command defaults and the
// environment variable it falls back to.
func (m *Model) FullDescription(d InputDoc) string {
	var b strings.Builder
	b.WriteString(sentence(d.Description))
	fmt.Fprintf(&b, " Used by: %s.", m.commandList(d.Commands))
	if d.Bool {
		b.WriteString(" true or false.")
	}
	def := d.Default
	if len(d.Defaults) > 0 {
		var parts []string
		for _, c := range d.Commands {
			v := d.Defaults[c]
			if v == "" {
				v = "none"
			}
			parts = append(parts, fmt.Sprintf("%s for %s", v, c))
		}
		def = strings.Join(parts, "; ")
	}
	switch {
	case len(d.Env) > 0 && def != "":
		fmt.Fprintf(&b, " When empty, read from the environment variable %s; default: %s.", strings.Join(d.Env, " or "), def)
	case len(d.Env) > 0:
		fmt.Fprintf(&b, " When empty, read from the environment variable %s.", strings.Join(d.Env, " or "))
	case def != "":
		fmt.Fprintf(&b, " Default: %s.", def)
	}
	if d.Secret {
		b.WriteString(" Pass it from a secret.")
	}
	return b.String()
}

// OutputDescription is an output's description with the commands that set it.
func (m *Model) OutputDescription(d OutputDoc) string {
	return fmt.Sprintf("%s Set by: %s.", sentence(d.Description), m.commandList(d.Commands))
}

// sentence folds s onto one line and ends it with a full stop. The first
// letter is kept as written: descriptions often start with a literal value.
func sentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
