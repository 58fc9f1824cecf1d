package command

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Field is one declared input bound to the Options field that receives it.
// A command declares its inputs once, as a list of Fields over its Options
// struct (cli/cli's flags bound to an Options struct, in the same spirit):
// the adapters offer them as Action inputs and CLI flags, docsgen documents
// them, and Fill parses and checks them before the command runs. A command
// reads its inputs from its Options only, never by name, so a misspelt
// field does not compile.
type Field struct {
	Input
	// set stores the looked-up value in the field, checking its form.
	set func(value string) error
}

// String binds a text input; surrounding whitespace is trimmed.
func String(p *string, in Input) Field {
	return Field{Input: in, set: func(v string) error { *p = strings.TrimSpace(v); return nil }}
}

// Text binds a text input kept as given (a key or notes whose form the
// command parses itself).
func Text(p *string, in Input) Field {
	return Field{Input: in, set: func(v string) error { *p = v; return nil }}
}

// Lines binds a multi-line input: one entry per line (commas also split),
// blank entries dropped.
func Lines(p *[]string, in Input) Field {
	return Field{Input: in, set: func(v string) error { *p = splitLines(v); return nil }}
}

// Bool binds a switch: true/false, yes/no, on/off, 1/0; empty is false.
func Bool(p *bool, in Input) Field {
	in.Bool = true
	return Field{Input: in, set: func(v string) error {
		b, err := parseBool(in.Name, v)
		*p = b
		return err
	}}
}

// OptionalBool binds a switch whose absence means something: empty leaves
// *p nil, true or false sets it.
func OptionalBool(p **bool, in Input) Field {
	in.Bool = true
	return Field{Input: in, set: func(v string) error {
		*p = nil
		if strings.TrimSpace(v) == "" {
			return nil
		}
		b, err := parseBool(in.Name, v)
		if err == nil {
			*p = &b
		}
		return err
	}}
}

// Int binds a whole number within [min, max]; empty gives the input's
// Default (0 without one).
func Int(p *int, in Input, min, max int) Field {
	return Field{Input: in, set: func(v string) error {
		v = orDefault(v, in.Default)
		if v == "" {
			*p = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return Usagef("%s must be a whole number from %d to %d, not %q", in.Name, min, max, v)
		}
		*p = n
		return nil
	}}
}

// Duration binds a Go duration (90s, 15m, 1h30m) or a number of seconds;
// empty gives the input's Default (0 without one).
func Duration(p *time.Duration, in Input) Field {
	return Field{Input: in, set: func(v string) error {
		v = orDefault(v, in.Default)
		if v == "" {
			*p = 0
			return nil
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			*p = time.Duration(n) * time.Second
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Usagef("%s must be a duration such as 90s, 15m or 1h30m (or a number of seconds), not %q", in.Name, v)
		}
		*p = d
		return nil
	}}
}

// Fields joins lists of bound inputs, in order.
func Fields(lists ...[]Field) []Field {
	var all []Field
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// Declarations returns the inputs the fields declare, in order.
func Declarations(fields []Field) []Input {
	ins := make([]Input, len(fields))
	for i, f := range fields {
		ins[i] = f.Input
	}
	return ins
}

// Fill looks each field's input up in values and stores it, checking its
// form; the first bad value is a usage error naming the input.
func Fill(values Values, fields []Field) error {
	for _, f := range fields {
		v, _ := values.Lookup(f.Name)
		if err := f.set(v); err != nil {
			return err
		}
	}
	return nil
}

// New builds a command from its description, the binding of its inputs to
// an Options struct, and its run. Command.Run fills a fresh Options from
// the front end's values (Env.Inputs) and hands it to run; bind is called
// once on a zero Options to list the inputs for the front ends and docsgen.
func New[O any](c Command, bind func(*O) []Field, run func(ctx context.Context, env *Env, opts *O) error) *Command {
	c.Inputs = Declarations(bind(new(O)))
	c.Run = func(ctx context.Context, env *Env) error {
		opts := new(O)
		if err := Fill(env.Inputs, bind(opts)); err != nil {
			return err
		}
		return run(ctx, env, opts)
	}
	return &c
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

func parseBool(name, raw string) (bool, error) {
	v := strings.TrimSpace(raw)
	switch strings.ToLower(v) {
	case "", "false", "no", "off", "0":
		return false, nil
	case "true", "yes", "on", "1":
		return true, nil
	}
	return false, Usagef("%s must be true or false, not %q", name, v)
}

func splitLines(raw string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
