package untrusted

import (
	"fmt"
	"regexp"
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
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case !printable(r):
			return -1 // other controls and invisible format characters
		}
		return r
	}, s)
	brk := autolinkBreaks(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		if brk[i] {
			b.WriteString(zwsp)
		}
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case strings.ContainsRune("\\`*[]|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if brk[len(s)] {
		b.WriteString(zwsp)
	}
	return b.String()
}

// zwsp is a zero-width space, as an entity: invisible, yet it stops
// GitHub from reading what surrounds it as a mention, a reference or a link.
const zwsp = "&#8203;"

// autolinkBreaks marks the byte offsets of s before which Text puts a
// zero-width space, so that nothing in s autolinks in GitHub's Markdown:
// after `@` (mentions) and `#` (#123); after the `:` of `://` (bare URLs,
// issue URLs among them); between `www` and `.`; after the hyphen of a
// letter-hyphen-digit (GH-67, JIRA-12 and other autolink references); and
// every 6 characters of a word of 7 or more hexadecimal digits (commit
// SHAs, which GitHub links from 7 digits on).
func autolinkBreaks(s string) []bool {
	brk := make([]bool, len(s)+1)
	word := -1 // start of the current word of [0-9A-Za-z_], or -1
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
		}
		if isWordByte(c) && i < len(s) {
			if word < 0 {
				word = i
			}
		} else if word >= 0 {
			breakHex(brk, s[word:i], word)
			word = -1
		}
		switch {
		case i == len(s):
		case c == '@' || c == '#':
			brk[i+1] = true
		case c == ':' && strings.HasPrefix(s[i+1:], "//"):
			brk[i+1] = true
		case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			brk[i] = true
		case c == '-' && i > 0 && isLetterByte(s[i-1]) && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			brk[i+1] = true
		}
	}
	return brk
}

// breakHex marks every 6th offset of w, a word found at off, when it is 7
// or more hexadecimal digits.
func breakHex(brk []bool, w string, off int) {
	if len(w) < 7 || strings.IndexFunc(w, func(r rune) bool { return !isHex(r) }) >= 0 {
		return
	}
	for k := 6; k < len(w); k += 6 {
		brk[off+k] = true
	}
}

func isLetterByte(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isWordByte(c byte) bool { return isLetterByte(c) || (c >= '0' && c <= '9') || c == '_' }

func isHex(r rune) bool { return (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'f') }

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

// WithoutAutolinkBreaks removes from Markdown source the zero-width spaces
// Text put in to stop GitHub's autolinks, for a reader that is not GitHub
// (a terminal), where they would show as entities.
func WithoutAutolinkBreaks(md string) string { return strings.ReplaceAll(md, zwsp, "") }

// RedactMarkdown replaces with *** each of the secrets found in md as Text
// writes it: with its characters escaped and the zero-width spaces Text may
// put between two of them, which depend on what surrounds the secret (a
// plain search for the secret, or for Text of it alone, would miss it).
func RedactMarkdown(md string, secrets []string) string {
	for _, s := range secrets {
		var p strings.Builder
		n := 0
		for _, r := range s {
			if r == '\n' || r == '\r' || r == '\t' || !printable(r) {
				continue // dropped or folded by Text; such secrets are found line by line
			}
			if n > 0 {
				p.WriteString("(?:" + regexp.QuoteMeta(zwsp) + ")?")
			}
			p.WriteString(regexp.QuoteMeta(Text(string(r))))
			n++
		}
		if n == 0 {
			continue
		}
		md = regexp.MustCompile(p.String()).ReplaceAllLiteralString(md, "***")
	}
	return md
}
