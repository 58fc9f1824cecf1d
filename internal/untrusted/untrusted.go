// Package untrusted is the one output boundary. Every string that did not
// come from this program's source (an App Store Connect answer, an
// Info.plist value, a file name, an input echoed back, an error holding any
// of these) passes through it before it reaches a log line, an annotation,
// the job summary or a GitHub issue body.
//
// The printers make it hard to go around: they take a Format, to which only
// a constant converts without an explicit conversion, and treat every
// argument as untrusted (Log); and the job summary and issue bodies take a
// Markdown, which only Markdownf, Code and a MarkdownBuilder make, each
// escaping what is not a constant.
//
// The rules, each in one function here:
//   - Log line (Line): characters that are not printable (line breaks, the
//     carriage return the runner also splits lines on, escape sequences,
//     bidirectional controls, invalid UTF-8) are written as Go escapes
//     (\n, \x1b, \u202e); a line that would start with `::` after leading
//     white space (the runner trims it) gets a space between the colons, and
//     `##[` anywhere (the runner's older command form) becomes `## [`. So
//     no `::add-mask::`, `::set-output`, `::stop-commands::` or
//     `##[add-mask]` can be injected.
//   - Markdown (Text): line breaks become spaces; `<`, `>` and `&` become
//     entities (no HTML); Markdown punctuation is backslash-escaped; a
//     zero-width space breaks every autolink: after `@` and `#` (no
//     @mention notifies anyone, no #123 links an issue), after the `:` of
//     `://` (bare and issue URLs), between `www` and `.`, after the hyphen
//     of GH-67 and other letter-hyphen-digit references, and every 6
//     characters of a word of 7 or more hexadecimal digits (commit SHAs).
//   - Annotation properties (`title=`) and data are escaped by
//     go-githubactions as the runner requires (`%`, `\r`, `\n`, and in
//     properties `:` and `,`), after Line; internal/actions tests it.
package untrusted

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format is a format string written in this program's source. An untyped
// constant converts to it implicitly; a string variable does not, so a
// server's text cannot become a format by accident. Converting a variable
// explicitly (Format(s)) defeats the boundary and is refused by this
// package's tests outside it.
type Format string

// Line makes s safe as (part of) one log line; see the package doc.
func Line(s string) string {
	return guardLines(escapeControls(s))
}

// escapeControls writes every rune that is not printable, except the space
// and the tab, as a Go escape, and bytes that are not UTF-8 as \xNN.
func escapeControls(s string) string {
	clean := true
	for _, r := range s {
		if !printable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case printable(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r) // '\n', '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

func printable(r rune) bool {
	return r == ' ' || r == '\t' || (r != utf8.RuneError && unicode.IsPrint(r))
}

// guardLines applies the workflow-command rules to each line of s, keeping
// its line breaks (for text of ours that has several lines).
func guardLines(s string) string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = guardLine(l)
	}
	return strings.Join(lines, "\n")
}

func guardLine(l string) string {
	l = strings.ReplaceAll(l, "##[", "## [")
	rest := strings.TrimLeftFunc(l, unicode.IsSpace)
	if strings.HasPrefix(rest, "::") {
		l = l[:len(l)-len(rest)] + ": :" + rest[2:]
	}
	return l
}

// GuardLines applies the workflow-command rules to each line of s without
// escaping its line breaks: for Markdown of ours printed on a terminal or a
// log, whose arguments were already escaped by Markdownf.
func GuardLines(s string) string { return guardLines(s) }

// Log renders a log line: the format is ours, every argument is untrusted
// and is formatted with its verb, then escaped as Line does (so even a rune
// printed with %c cannot break the line). Width and precision taken from an
// argument (%*d) are not supported: write them into the format.
func Log(format Format, args ...any) string { return LogRedacted(nil, format, args...) }

// LogRedacted is Log with redact applied to each argument's text before it
// is escaped, and to the whole line after: a secret is found whether or not
// escaping split it.
func LogRedacted(redact func(string) string, format Format, args ...any) string {
	wrapped := make([]any, len(args))
	for i, a := range args {
		wrapped[i] = wrap(a, func(s string) string {
			if redact != nil {
				s = redact(s)
			}
			return escapeControls(s)
		})
	}
	s := fmt.Sprintf(string(format), wrapped...)
	if redact != nil {
		s = redact(s)
	}
	return guardLines(s)
}

// arg formats an untrusted argument with its verb and flags, then escapes
// the result.
type arg struct {
	v      any
	escape func(string) string
}

func (a arg) Format(f fmt.State, verb rune) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), a.v)
	_, _ = f.Write([]byte(a.escape(s)))
}

func wrap(v any, escape func(string) string) any {
	if v == nil {
		return v
	}
	return arg{v: v, escape: escape}
}

// JSON makes a compact JSON document safe as one log line without changing
// the value it encodes: `##[`, which can only occur inside a string, is
// written as `##\u005b`; a document holding a line break, or text that is
// not JSON, goes through Line instead.
func JSON(s string) string {
	if !json.Valid([]byte(s)) || strings.ContainsAny(s, "\r\n") {
		return Line(s)
	}
	return strings.ReplaceAll(s, "##[", `##\u005b`)
}
