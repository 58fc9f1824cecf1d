package untrusted

import (
	"fmt"
	"strings"
)

// Markdown is Markdown for the job summary or an issue body whose every
// untrusted part was escaped. Only Markdownf, Code and MarkdownBuilder
// make one; the zero value is empty.
type Markdown struct{ s string }

// String returns the Markdown source.
func (m Markdown) String() string { return m.s }

// Markdownf renders Markdown: the format is ours; each argument is
// formatted with its verb and escaped with Text, except a Markdown
// argument (already safe, from Code or another Markdownf), which is
// inserted as it is.
func Markdownf(format Format, args ...any) Markdown {
	wrapped := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Markdown:
			wrapped[i] = v.s
		case nil:
			wrapped[i] = v
		default:
			wrapped[i] = arg{v: v, escape: Text}
		}
	}
	return Markdown{fmt.Sprintf(string(format), wrapped...)}
}

// Text escapes s as inline Markdown text, safe in a paragraph and in a
// table cell; see the package doc.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case !printable(r):
			// Other controls and invisible format characters are dropped.
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '@' || r == '#':
			// A zero-width space breaks @mentions and #123 references.
			b.WriteRune(r)
			b.WriteString("&#8203;")
		case strings.ContainsRune("\\`*[]|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code renders s as a code span (for IDs and names best read verbatim):
// line breaks become spaces, the fence is longer than any run of backticks
// in s, and `|` is escaped as a table cell requires. Empty s gives an empty
// Markdown.
func Code(s string) Markdown {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case !printable(r):
			return -1
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" {
		return Markdown{}
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return Markdown{fence + strings.ReplaceAll(s, "|", `\|`) + fence}
}

// MarkdownBuilder builds Markdown piece by piece.
type MarkdownBuilder struct{ b strings.Builder }

// Printf appends Markdownf(format, args...).
func (mb *MarkdownBuilder) Printf(format Format, args ...any) {
	mb.b.WriteString(Markdownf(format, args...).s)
}

// Append appends Markdown made elsewhere.
func (mb *MarkdownBuilder) Append(m Markdown) { mb.b.WriteString(m.s) }

// Markdown returns what was built.
func (mb *MarkdownBuilder) Markdown() Markdown { return Markdown{mb.b.String()} }

// Len is the length of the Markdown built so far, in bytes.
func (mb *MarkdownBuilder) Len() int { return mb.b.Len() }
