package main

import (
	"errors"
	"fmt"
	"strings"
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

// isTopLevel reports whether line starts a new top-level YAML node (a key
// or a comment in column one).
func isTopLevel(line string) bool {
	return line != "" && line[0] != ' ' && line[0] != '\t'
}

// ReplaceTopLevel replaces the top-level YAML key `key:` and its block (with
// the generated note right above it) by block, which must
// contain the key line itself. When the key is absent the block is added at
// the end. The rest of the document is kept byte for byte.
func ReplaceTopLevel(doc, key, block string) (string, error) {
	ls := lines(doc)
	start := -1
	for i, l := range ls {
		if strings.TrimRight(l, " ") == key+":" || strings.HasPrefix(l, key+": #") {
			if start >= 0 {
				return "", fmt.Errorf("top-level key %q appears twice", key)
			}
			start = i
		} else if strings.HasPrefix(l, key+":") && isTopLevel(l) {
			return "", fmt.Errorf("top-level key %q must be a block mapping (found %q)", key, l)
		}
	}
	if start < 0 {
		out := ls
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, "")
		}
		return join(out) + block, nil
	}
	end := start + 1
	for end < len(ls) && !isTopLevel(ls[end]) {
		end++
	}
	// Keep the blank lines that separate the block from what follows.
	for end > start+1 && strings.TrimSpace(ls[end-1]) == "" {
		end--
	}
	// Take in the generated note right above the key.
	for start > 0 && ls[start-1] == generatedNote {
		start--
	}
	out := append([]string{}, ls[:start]...)
	out = append(out, lines(block)...)
	out = append(out, ls[end:]...)
	return join(out), nil
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
