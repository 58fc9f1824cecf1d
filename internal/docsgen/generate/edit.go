package generate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// ErrNoMarkers reports a file that lacks the markers around a generated part.
var ErrNoMarkers = errors.New("markers missing")

// lines splits text into lines without their line ends.
func lines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func join(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// ReplaceMarked replaces the lines between the line holding begin and the
// line holding end by content, each line indented like the begin marker.
func ReplaceMarked(doc, begin, end, content string) (string, error) {
	ls := lines(doc)
	b, e := -1, -1
	for i, l := range ls {
		switch strings.TrimSpace(l) {
		case begin:
			if b >= 0 {
				return "", fmt.Errorf("marker %s appears twice", begin)
			}
			b = i
		case end:
			if e >= 0 {
				return "", fmt.Errorf("marker %s appears twice", end)
			}
			e = i
		}
	}
	switch {
	case b < 0 && e < 0:
		return "", fmt.Errorf("%w: add a line %s and a line %s where the generated part goes", ErrNoMarkers, begin, end)
	case b < 0:
		return "", fmt.Errorf("%w: found %s but not %s above it", ErrNoMarkers, end, begin)
	case e < 0:
		return "", fmt.Errorf("%w: found %s but not %s below it", ErrNoMarkers, begin, end)
	case e < b:
		return "", fmt.Errorf("%w: %s comes before %s", ErrNoMarkers, end, begin)
	}
	indent := ls[b][:len(ls[b])-len(strings.TrimLeft(ls[b], " \t"))]
	out := append([]string{}, ls[:b+1]...)
	for _, l := range lines(content) {
		if l == "" {
			out = append(out, "")
		} else {
			out = append(out, indent+l)
		}
	}
	out = append(out, ls[e:]...)
	return join(out), nil
}

// dumpOptions reproduce the action files' style: two-space indent,
// sequences indented under their key, no line wrapping, and double quotes
// where the generator asks for them.
var dumpOptions = []yaml.Option{
	yaml.WithIndent(2), yaml.WithCompactSeqIndent(false), yaml.WithLineWidth(-1), yaml.WithQuotePreference(yaml.QuoteLegacy),
}

// sections are the top-level keys of an action file that a blank line
// sets apart.
var sections = []string{"inputs", "outputs", "runs"}

// loadYAML parses an action file into its document node, comments kept.
func loadYAML(src string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the document is not a YAML mapping")
	}
	seen := map[string]bool{}
	for i, top := 0, doc.Content[0]; i+1 < len(top.Content); i += 2 {
		k := top.Content[i].Value
		if seen[k] {
			return nil, fmt.Errorf("top-level key %q appears twice", k)
		}
		seen[k] = true
	}
	return &doc, nil
}

// dumpYAML encodes doc, then puts back the blank lines the encoder does not
// keep: one before each of the sections and one between two steps of
// runs.steps.
func dumpYAML(doc *yaml.Node) (string, error) {
	out, err := yaml.Dump(doc, dumpOptions...)
	if err != nil {
		return "", err
	}
	back, err := loadYAML(string(out))
	if err != nil {
		return "", fmt.Errorf("the encoded document does not parse: %w", err)
	}
	blankBefore := map[int]bool{}
	top := back.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if i > 0 && slices.Contains(sections, top.Content[i].Value) {
			blankBefore[startLine(top.Content[i])] = true
		}
	}
	if steps := lookup(lookup(top, "runs"), "steps"); steps != nil && steps.Kind == yaml.SequenceNode {
		for _, st := range steps.Content[min(1, len(steps.Content)):] {
			start := startLine(st)
			if st.Kind == yaml.MappingNode && len(st.Content) > 0 {
				start = min(start, startLine(st.Content[0]))
			}
			blankBefore[start] = true
		}
	}
	var b strings.Builder
	for i, l := range lines(string(out)) {
		if blankBefore[i+1] {
			b.WriteString("\n")
		}
		b.WriteString(l + "\n")
	}
	return b.String(), nil
}

// startLine is the first line of n's entry: its head comment's, if any.
func startLine(n *yaml.Node) int {
	if n.HeadComment == "" {
		return n.Line
	}
	return n.Line - strings.Count(strings.TrimRight(n.HeadComment, "\n"), "\n") - 1
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// SetTopLevel sets the top-level key of doc to value, with note as the
// key's head comment; an absent key is added at the end. Everything else
// in the document is left as it was.
func SetTopLevel(doc *yaml.Node, key string, value *yaml.Node, note string) {
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == key {
			top.Content[i].HeadComment = note
			top.Content[i+1] = value
			return
		}
	}
	k := scalar(key)
	k.HeadComment = note
	top.Content = append(top.Content, k, value)
}

// runStep returns the mapping of the composite action's step with id id.
func runStep(doc *yaml.Node, id string) (*yaml.Node, error) {
	steps := lookup(lookup(doc.Content[0], "runs"), "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return nil, errors.New("runs.steps is not a list of steps")
	}
	for _, st := range steps.Content {
		if v := lookup(st, "id"); v != nil && v.Value == id {
			return st, nil
		}
	}
	return nil, fmt.Errorf("no step has id %q", id)
}

// ReplaceMarkedPairs replaces the entries of mapping m between the
// comment line begin (above the first) and the comment line end (below the
// last) by pairs, keys and values alternating; the comments stay.
func ReplaceMarkedPairs(m *yaml.Node, begin, end string, pairs []*yaml.Node) error {
	b, e := -1, -1
	endOnNext := false // the end marker heads the entry after the range
	for i := 0; i+1 < len(m.Content); i += 2 {
		if hasLine(m.Content[i].HeadComment, begin) {
			b = i
		}
		if i > 0 && hasLine(m.Content[i].HeadComment, end) {
			e, endOnNext = i-2, true
		}
		if hasLine(m.Content[i].FootComment, end) || hasLine(m.Content[i+1].FootComment, end) {
			e, endOnNext = i, false
		}
	}
	switch {
	case b < 0 || e < 0:
		return fmt.Errorf("%w: the mapping needs a comment %s above its first generated entry and %s below its last", ErrNoMarkers, begin, end)
	case e < b:
		return fmt.Errorf("%w: %s comes before %s", ErrNoMarkers, end, begin)
	case len(pairs) < 2:
		return errors.New("nothing to put between the markers")
	}
	pairs[0].HeadComment = m.Content[b].HeadComment
	if !endOnNext {
		pairs[len(pairs)-2].FootComment = m.Content[e].FootComment + m.Content[e+1].FootComment
	}
	m.Content = slices.Concat(m.Content[:b], pairs, m.Content[e+2:])
	return nil
}

func hasLine(comment, line string) bool {
	return slices.Contains(lines(comment), line)
}

// scalar is a plain string node; quoted is one written in double quotes.
func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func quoted(v string) *yaml.Node {
	n := scalar(v)
	n.Style = yaml.DoubleQuotedStyle
	return n
}

func mapping(pairs ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: pairs}
}
