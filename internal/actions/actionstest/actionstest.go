// Package actionstest reads what a GitHub Actions step leaves behind, with
// the runner's own rules, for the tests of anything that runs as a step.
package actionstest

import (
	"errors"
	"fmt"
	"strings"
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
