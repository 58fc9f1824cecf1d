// Package actionstest reads what a GitHub Actions step leaves behind, with
// the runner's own rules, for the tests of anything that runs as a step.
package actionstest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v4"
)

// ErrOutputFile is wrapped by every error of ParseOutputFile: the runner
// would fail the step on such a file.
var ErrOutputFile = errors.New("invalid GITHUB_OUTPUT file")

// ParseOutputFile reads a GITHUB_OUTPUT file as the runner does: line breaks
// are LF or CRLF; a line is `name=value`, or `name<<DELIMITER` followed by
// the value's lines up to one equal to DELIMITER; empty lines are skipped.
// Errors name the line or the output, never a value, which may be secret.
func ParseOutputFile(data string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			out[line[:eq]] = line[eq+1:]
		case hd > 0:
			name, delim := line[:hd], line[hd+2:]
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i >= len(lines) {
				return out, fmt.Errorf("%w: the value of %s has no line closing it with its delimiter", ErrOutputFile, name)
			}
			out[name] = strings.Join(val, "\n")
		default:
			return out, fmt.Errorf("%w: line %d is neither name=value nor name<<DELIMITER", ErrOutputFile, i+1)
		}
	}
	return out, nil
}

// Command is a workflow command as the runner reads it from a log line.
type Command struct {
	Name       string
	Properties map[string]string
	Data       string
	// Line is the log line it was read from.
	Line string
}

// Commands returns the workflow commands the runner would execute in a step's
// log, read with its rules: lines end at LF, CR or CRLF; a line whose text
// after leading white space starts with `::` is `::name props::data`; failing
// that, `##[name props]data` anywhere in the line is the older form. Names
// are returned whatever they are (the runner ignores unknown ones).
func Commands(log string) []Command {
	var out []Command
	for _, line := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if c, ok := parseV2(line); ok {
			out = append(out, c)
		} else if c, ok := parseV1(line); ok {
			out = append(out, c)
		}
	}
	return out
}

func parseV2(line string) (Command, bool) {
	msg := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return Command{}, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return Command{}, false
	}
	info := strings.TrimSpace(msg[2 : 2+end])
	name, props, _ := strings.Cut(info, " ")
	if name == "" {
		return Command{}, false
	}
	c := Command{Name: name, Properties: map[string]string{}, Data: unescape(msg[2+end+2:], false), Line: line}
	for _, p := range strings.Split(strings.TrimSpace(props), ",") {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
			c.Properties[k] = unescape(v, true)
		}
	}
	return c, true
}

func parseV1(line string) (Command, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return Command{}, false
	}
	rb := strings.Index(line[i:], "]")
	if rb < 0 {
		return Command{}, false
	}
	info := line[i+3 : i+rb]
	name, props, _ := strings.Cut(info, " ")
	c := Command{Name: name, Properties: map[string]string{}, Data: line[i+rb+1:], Line: line}
	for _, p := range strings.Split(props, ";") {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
			c.Properties[k] = v
		}
	}
	return c, name != ""
}

func unescape(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	pairs = append(pairs, "%25", "%")
	return strings.NewReplacer(pairs...).Replace(s)
}

// Masked returns text as the runner would show it: every value that log
// registers with ::add-mask:: is replaced by ***, wherever it stands in text.
// Tests print a step's output through it, so that no failure message shows
// key material or a token, throwaway or not.
func Masked(log, text string) string {
	var secrets []string
	for _, c := range Commands(log) {
		if c.Name == "add-mask" && c.Data != "" {
			secrets = append(secrets, c.Data)
		}
	}
	// Longest first, so that a value that holds another is hidden whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "***")
	}
	return text
}

// ActionInputs reads the inputs an action.yml declares, each with its
// `default:` ("" when it has none), as a runner reads them.
func ActionInputs(actionYML []byte) (map[string]string, error) {
	var doc struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(actionYML, &doc); err != nil {
		return nil, fmt.Errorf("reading action.yml: %w", err)
	}
	out := make(map[string]string, len(doc.Inputs))
	for name, in := range doc.Inputs {
		out[name] = ""
		if in.Default != nil {
			out[name] = *in.Default
		}
	}
	return out, nil
}

// InputEnv returns the INPUT_* variables a runner gives a step that uses an
// action declaring inputs (from ActionInputs): one for every declared input,
// with the step's `with:` value or else the input's default, empty when it
// has none (GitHub's runner and act both pass every input). Names are
// INPUT_ and the input's name upper-cased, hyphens kept, spaces as
// underscores. A `with:` key the action does not declare is an error: the
// runner only warns about it, but a test that names one tests nothing.
func InputEnv(inputs, with map[string]string) ([]string, error) {
	for name := range with {
		if _, ok := inputs[name]; !ok {
			return nil, fmt.Errorf("the step gives input %q, which action.yml does not declare", name)
		}
	}
	names := slices.Sorted(maps.Keys(inputs))
	env := make([]string, 0, len(names))
	for _, name := range names {
		v, ok := with[name]
		if !ok {
			v = inputs[name]
		}
		env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))+"="+v)
	}
	return env, nil
}
