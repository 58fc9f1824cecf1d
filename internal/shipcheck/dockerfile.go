// Package shipcheck reads what the project ships besides Go code (the
// Dockerfile, .dockerignore, workflows) so that tests can hold it to its
// promises and the bench commands can measure it without a Docker engine.
package shipcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	Cmd  string // upper-case keyword: FROM, RUN, COPY, ...
	Args string
	Line int // 1-based line of the keyword
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	Base         string // the image after FROM
	Name         string // the AS name, if any
	Instructions []Instruction
}

// Dockerfile is a parsed Dockerfile: its stages in order.
type Dockerfile struct {
	Stages []Stage
}

// ParseDockerfile parses Dockerfile text: comments dropped, lines ending in
// a backslash joined, instructions grouped by stage. It understands enough
// of the format for the checks here, not heredocs or escape directives.
func ParseDockerfile(text string) (*Dockerfile, error) {
	df := &Dockerfile{}
	ls := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(ls); i++ {
		line := strings.TrimSpace(ls[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		start := i + 1
		for strings.HasSuffix(line, `\`) && i+1 < len(ls) {
			line = strings.TrimSuffix(line, `\`)
			i++
			next := strings.TrimSpace(ls[i])
			if strings.HasPrefix(next, "#") {
				continue
			}
			line += " " + next
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := Instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			var st Stage
			for j := 0; j < len(f); j++ {
				switch {
				case strings.HasPrefix(f[j], "--"):
				case st.Base == "":
					st.Base = f[j]
				case strings.EqualFold(f[j], "AS") && j+1 < len(f):
					st.Name = f[j+1]
					j++
				}
			}
			if st.Base == "" {
				return nil, fmt.Errorf("line %d: FROM without an image", start)
			}
			df.Stages = append(df.Stages, st)
			continue
		}
		if len(df.Stages) == 0 {
			if in.Cmd == "ARG" {
				continue // an ARG before the first FROM
			}
			return nil, fmt.Errorf("line %d: %s before the first FROM", start, in.Cmd)
		}
		st := &df.Stages[len(df.Stages)-1]
		st.Instructions = append(st.Instructions, in)
	}
	if len(df.Stages) == 0 {
		return nil, errors.New("no FROM instruction")
	}
	return df, nil
}

// ReadDockerfile parses the file at path.
func ReadDockerfile(path string) (*Dockerfile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDockerfile(string(b))
}

// Final is the stage the image is made of.
func (d *Dockerfile) Final() *Stage { return &d.Stages[len(d.Stages)-1] }

// Stage returns the stage called name (or with that index), or nil.
func (d *Dockerfile) Stage(name string) *Stage {
	for i := range d.Stages {
		if d.Stages[i].Name == name || fmt.Sprint(i) == name {
			return &d.Stages[i]
		}
	}
	return nil
}

// All returns the stage's instructions with keyword cmd.
func (s *Stage) All(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// ExecForm parses an instruction in exec form (a JSON array of strings),
// such as ENTRYPOINT ["/usr/local/bin/asc-action"]. Shell form is an error:
// it runs through /bin/sh, which a scratch image does not have, and the
// shell would not pass signals on.
func ExecForm(in Instruction) ([]string, error) {
	var argv []string
	if !strings.HasPrefix(in.Args, "[") || json.Unmarshal([]byte(in.Args), &argv) != nil {
		return nil, fmt.Errorf("line %d: %s %s is in shell form; write it as a JSON array", in.Line, in.Cmd, in.Args)
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("line %d: %s is empty", in.Line, in.Cmd)
	}
	return argv, nil
}

// Copy is a COPY or ADD instruction's parts.
type Copy struct {
	From    string // the --from stage, if any
	Sources []string
	Dest    string
}

// ParseCopy splits a COPY instruction into its flags, sources and
// destination.
func ParseCopy(in Instruction) (Copy, error) {
	var c Copy
	var rest []string
	for _, f := range strings.Fields(in.Args) {
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			c.From = v
		} else if !strings.HasPrefix(f, "--") {
			rest = append(rest, f)
		}
	}
	if len(rest) < 2 {
		return c, fmt.Errorf("line %d: COPY needs a source and a destination", in.Line)
	}
	c.Sources, c.Dest = rest[:len(rest)-1], rest[len(rest)-1]
	return c, nil
}

// GoBuild is the `go build` command a RUN instruction holds.
type GoBuild struct {
	Env  []string // KEY=VALUE: the stage's ENV and the command's assignments
	Args []string // after `go`: build, flags, package
	// Output is the -o path.
	Output string
}

// valueFlags are the go build flags that take a value as the next word.
var valueFlags = map[string]bool{"-o": true, "-ldflags": true, "-gcflags": true, "-asmflags": true, "-tags": true, "-mod": true, "-p": true, "-pgo": true, "-buildmode": true, "-overlay": true, "-modfile": true}

// Flag returns the value of a go build flag (for -ldflags, -o, -tags), or
// "" and whether it is present for a switch such as -trimpath.
func (g *GoBuild) Flag(name string) (string, bool) {
	for i, a := range g.Args {
		if a == name {
			if valueFlags[name] && i+1 < len(g.Args) {
				return g.Args[i+1], true
			}
			return "", true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// EnvValue returns the last value given to an environment variable.
func (g *GoBuild) EnvValue(key string) string {
	v := ""
	for _, kv := range g.Env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}

var assignRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// FindGoBuild finds the first `go build` in the Dockerfile's RUN
// instructions, with build args substituted from args (and their ARG
// defaults), and the ENV of its stage.
func (d *Dockerfile) FindGoBuild(args map[string]string) (*GoBuild, *Stage, error) {
	for si := range d.Stages {
		st := &d.Stages[si]
		vars := map[string]string{}
		var env []string
		for _, in := range st.Instructions {
			switch in.Cmd {
			case "ARG":
				k, def, _ := strings.Cut(in.Args, "=")
				if v, ok := args[k]; ok {
					def = v
				}
				vars[k] = def
			case "ENV":
				words, err := shellWords(in.Args, vars)
				if err != nil {
					return nil, nil, fmt.Errorf("line %d: %w", in.Line, err)
				}
				for _, w := range words {
					if assignRe.MatchString(w) {
						env = append(env, w)
					}
				}
			case "RUN":
				for _, part := range strings.Split(in.Args, "&&") {
					words, err := shellWords(part, vars)
					if err != nil {
						return nil, nil, fmt.Errorf("line %d: %w", in.Line, err)
					}
					cmdEnv := append([]string{}, env...)
					for len(words) > 0 && assignRe.MatchString(words[0]) {
						cmdEnv = append(cmdEnv, words[0])
						words = words[1:]
					}
					if len(words) >= 2 && words[0] == "go" && words[1] == "build" {
						g := &GoBuild{Env: cmdEnv, Args: words[1:]}
						g.Output, _ = g.Flag("-o")
						return g, st, nil
					}
				}
			}
		}
	}
	return nil, nil, errors.New("no RUN instruction runs go build")
}

// shellWords splits s into words the way sh would for the simple commands
// a Dockerfile RUN holds: single and double quotes, backslash escapes and
// $VAR / ${VAR} expansion from vars.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(i int) int {
		// s[i] == '$'
		name := ""
		j := i + 1
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return len(s)
			}
			name = s[j+1 : j+end]
			j += end + 1
		} else {
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
		}
		cur.WriteString(vars[name])
		return j
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			inWord = true
			i += end + 2
		case c == '"':
			inWord = true
			i++
			for i < len(s) && s[i] != '"' {
				switch {
				case s[i] == '\\' && i+1 < len(s):
					cur.WriteByte(s[i+1])
					i += 2
				case s[i] == '$':
					i = expand(i)
				default:
					cur.WriteByte(s[i])
					i++
				}
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			i++
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i += 2
		case c == '$':
			inWord = true
			i = expand(i)
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// IgnoreMatcher applies .dockerignore patterns: the last matching pattern
// wins, `!` re-includes, `*` and `?` stay within a path element, `**`
// crosses them, and a pattern that matches a directory matches everything
// under it.
type IgnoreMatcher struct {
	pats []ignorePat
}

type ignorePat struct {
	re     *regexp.Regexp
	negate bool
}

// ParseDockerignore reads .dockerignore text.
func ParseDockerignore(text string) (*IgnoreMatcher, error) {
	m := &IgnoreMatcher{}
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		p := ignorePat{}
		if strings.HasPrefix(l, "!") {
			p.negate, l = true, strings.TrimSpace(l[1:])
		}
		l = strings.Trim(strings.TrimPrefix(l, "./"), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(l); i++ {
			switch {
			case strings.HasPrefix(l[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(l[i:], "**"):
				re.WriteString(".*")
				i++
			case l[i] == '*':
				re.WriteString("[^/]*")
			case l[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(l[i : i+1]))
			}
		}
		re.WriteString("(/.*)?$")
		r, err := regexp.Compile(re.String())
		if err != nil {
			return nil, fmt.Errorf(".dockerignore pattern %q: %w", l, err)
		}
		p.re = r
		m.pats = append(m.pats, p)
	}
	return m, nil
}

// Excluded reports whether the path (relative, with forward slashes) is
// left out of the build context.
func (m *IgnoreMatcher) Excluded(path string) bool {
	ex := false
	for _, p := range m.pats {
		if p.re.MatchString(path) {
			ex = !p.negate
		}
	}
	return ex
}
