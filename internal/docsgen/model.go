package main

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
	m := &Model{}
	inIdx := map[string]int{}
	outIdx := map[string]int{}
	var errs []string
	seenCmd := map[string]bool{}
	for _, c := range cmds {
		if c == nil {
			errs = append(errs, "a nil command is registered")
			continue
		}
		if c.CLIOnly {
			continue // not offered as an Action's command: none of its inputs or outputs either
		}
		if !kebab.MatchString(c.Name) {
			errs = append(errs, fmt.Sprintf("command %q: name must be kebab-case", c.Name))
		}
		if seenCmd[c.Name] {
			errs = append(errs, fmt.Sprintf("command %q is registered twice", c.Name))
			continue
		}
		seenCmd[c.Name] = true
		m.CommandNames = append(m.CommandNames, c.Name)

		seenIn := map[string]bool{}
		for _, in := range c.Inputs {
			if in.CLIOnly {
				continue
			}
			switch {
			case in.Name == commandInput:
				errs = append(errs, fmt.Sprintf("command %s: input %q is reserved for choosing the command", c.Name, in.Name))
				continue
			case !kebab.MatchString(in.Name):
				errs = append(errs, fmt.Sprintf("command %s: input %q must be kebab-case (lower-case letters, digits, single hyphens)", c.Name, in.Name))
				continue
			case seenIn[in.Name]:
				errs = append(errs, fmt.Sprintf("command %s: input %q is declared twice", c.Name, in.Name))
				continue
			case strings.TrimSpace(in.Usage) == "":
				errs = append(errs, fmt.Sprintf("command %s: input %q has no Usage text to describe it", c.Name, in.Name))
				continue
			}
			seenIn[in.Name] = true
			i, ok := inIdx[in.Name]
			if !ok {
				i = len(m.Inputs)
				inIdx[in.Name] = i
				m.Inputs = append(m.Inputs, InputDoc{Name: in.Name, Defaults: map[string]string{}})
			}
			d := &m.Inputs[i]
			d.usage.add(c.Name, in.Usage)
			d.Commands = append(d.Commands, c.Name)
			def := in.Default
			if in.ActionDefault != "" {
				def = in.ActionDefault
			}
			d.Defaults[c.Name] = def
			d.Secret = d.Secret || in.Secret
			d.Bool = d.Bool || in.Bool
			if in.Env != "" && !slices.Contains(d.Env, in.Env) {
				d.Env = append(d.Env, in.Env)
			}
		}

		seenOut := map[string]bool{}
		for _, out := range c.Outputs {
			switch {
			case !kebab.MatchString(out.Name):
				errs = append(errs, fmt.Sprintf("command %s: output %q must be kebab-case", c.Name, out.Name))
				continue
			case seenOut[out.Name]:
				errs = append(errs, fmt.Sprintf("command %s: output %q is declared twice", c.Name, out.Name))
				continue
			case strings.TrimSpace(out.Usage) == "":
				errs = append(errs, fmt.Sprintf("command %s: output %q has no Usage text to describe it", c.Name, out.Name))
				continue
			}
			seenOut[out.Name] = true
			i, ok := outIdx[out.Name]
			if !ok {
				i = len(m.Outputs)
				outIdx[out.Name] = i
				m.Outputs = append(m.Outputs, OutputDoc{Name: out.Name})
			}
			o := &m.Outputs[i]
			o.usage.add(c.Name, out.Usage)
			o.Commands = append(o.Commands, c.Name)
		}
	}
	if len(m.CommandNames) == 0 && len(errs) == 0 {
		errs = append(errs, "no commands are registered")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("the command declarations cannot be rendered:\n  %s", strings.Join(errs, "\n  "))
	}
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
			// A secret's default would be published in action.yml.
			d.Default, d.Defaults = "", nil
		}
	}
	return m, nil
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
	return fmt.Sprintf("Which command to run: %s.", strings.Join(m.CommandNames, ", "))
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
	if len(d.Defaults) > 0 {
		var parts []string
		for _, c := range d.Commands {
			v := d.Defaults[c]
			if v == "" {
				v = "none"
			}
			parts = append(parts, fmt.Sprintf("%s for %s", v, c))
		}
		fmt.Fprintf(&b, " Default: %s.", strings.Join(parts, "; "))
	}
	if len(d.Env) > 0 && d.Default == "" {
		fmt.Fprintf(&b, " When empty, read from the environment variable %s.", strings.Join(d.Env, " or "))
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
