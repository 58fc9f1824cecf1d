package untrusted

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

// hostile are strings a server, a file or an input could carry.
var hostile = []string{
	"profile\n::add-mask::abc",
	"x\r::set-output name=token::stolen",
	"::stop-commands::pwned",
	"  \t::warning::indented",
	"\u00a0::error::after a no-break space",
	"\u2028::notice::line separator",
	"name ##[add-mask]secret",
	"##[set-output name=a;]b",
	"a\r\n::debug::crlf",
	"\x1b[31mred\x1b[0m and \x1b]8;;https://evil\x07link",
	"right-to-left \u202e override",
	"bad utf-8 \xff\xfe::x",
	"%0A::add-mask::percent-encoded",
}

// commandsIn fails t if the runner would read a workflow command in log.
func noCommands(t *testing.T, what, log string) {
	t.Helper()
	if cmds := actionstest.Commands(log); len(cmds) > 0 {
		t.Errorf("%s: the runner would execute %q from %q", what, cmds[0].Line, log)
	}
}

func TestLineNeutralisesWorkflowCommands(t *testing.T) {
	for _, s := range hostile {
		got := Line(s)
		noCommands(t, "Line", got)
		if strings.ContainsAny(got, "\r\n\x1b\u202e\u2028") {
			t.Errorf("Line(%q) = %q keeps a control character", s, got)
		}
		noCommands(t, "Log %s", Log("%s", s))
		noCommands(t, "Log %v error", Log("%v", errors.New(s)))
		noCommands(t, "Log %q", Log("%q", s))
		noCommands(t, "Log %-20s", Log("%-20s|", s))
	}
}

func TestLineKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{"", "certificate Distribution: expires 2027-01-01 (12 days left)", "tab\tseparated", "naïve café ✅ 日本", "a::b (colons inside)", "# heading-like", "100% done"} {
		if got := Line(s); got != s {
			t.Errorf("Line(%q) = %q, want it unchanged", s, got)
		}
	}
	if got, want := Line("a\nb"), `a\nb`; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got, want := Line("::x::y"), ": :x::y"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

func TestLogFormatsThenEscapes(t *testing.T) {
	got := Log("%-6s|%d|%q|%v", "ab", 42, "q\"", errors.New("e\n::add-mask::x"))
	want := `ab    |42|"q\""|e\n::add-mask::x`
	if got != want {
		t.Errorf("Log = %q, want %q", got, want)
	}
	// The format's own line breaks are ours and stay; a line of ours that
	// begins with an argument is still guarded.
	if got, want := Log("first\n%s", "::add-mask::x"), "first\n: :add-mask::x"; got != want {
		t.Errorf("Log = %q, want %q", got, want)
	}
	// A rune printed with %c cannot break the line either.
	if got := Log("%c::add-mask::x", '\n'); strings.Contains(got, "\n") {
		t.Errorf("Log with %%c = %q", got)
	}
}

func TestLogRedactedFindsSecretsSplitByEscaping(t *testing.T) {
	secret := "line-one\nline-two"
	redact := func(s string) string { return strings.ReplaceAll(s, secret, "***") }
	if got := LogRedacted(redact, "value: %s", "x "+secret+" y"); strings.Contains(got, "line-one") {
		t.Errorf("LogRedacted = %q leaks the secret", got)
	}
}

func TestTextEscapesMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain name", "plain name"},
		{"@octocat please", "@&#8203;octocat please"},
		{"fixes #1", "fixes #&#8203;1"},
		{"<img src=x onerror=alert(1)>", `&lt;img src=x onerror=alert(1)&gt;`},
		{"a|b", `a\|b`},
		{"**bold** [link](https://evil) ASC_PRIVATE_KEY", `\*\*bold\*\* \[link\](https:&#8203;//evil) ASC_PRIVATE_KEY`},
		{"line\nbreak\r\n| x |", `line break  \| x \|`},
		{"`code`", "\\`code\\`"},
		{"&amp;", "&amp;amp;"},
		{"bidi\u202eoverride\x1b", "bidioverride"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABC123", "`ABC123`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"a|b\nc", "`a\\|b c`"},
		{"", ""},
		{"@octocat <b>", "`@octocat <b>`"},
	}
	for _, tt := range tests {
		if got := Code(tt.in).String(); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownf(t *testing.T) {
	got := Markdownf("| %s | %v | %s | %d |\n", "@team <b>", errors.New("a|b"), Code("ID|1"), 7).String()
	want := "| @&#8203;team &lt;b&gt; | a\\|b | `ID\\|1` | 7 |\n"
	if got != want {
		t.Errorf("Markdownf = %q, want %q", got, want)
	}
	var b MarkdownBuilder
	b.Printf("## %s\n", "title")
	b.Append(Markdownf("%s", "@x"))
	if got, want := b.Markdown().String(), "## title\n@&#8203;x"; got != want {
		t.Errorf("builder = %q, want %q", got, want)
	}
}

func TestJSONKeepsTheValue(t *testing.T) {
	in := `{"name":"Dist ##[add-mask]x","n":1}`
	got := JSON(in)
	noCommands(t, "JSON", got)
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &b); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("JSON(%s) = %s decodes to %v (%v), want %v", in, got, b, err, a)
	}
	if got := JSON("::add-mask::x"); got != ": :add-mask::x" {
		t.Errorf("JSON of text that is not JSON = %q", got)
	}
}

// A Markdown printed on a log (the CLI prints the summary on stderr) is
// guarded line by line.
func TestGuardLinesKeepsLineBreaks(t *testing.T) {
	if got, want := GuardLines("| a |\n::add-mask::x\n##[x]"), "| a |\n: :add-mask::x\n## [x]"; got != want {
		t.Errorf("GuardLines = %q, want %q", got, want)
	}
}

// FuzzLine: whatever the text, what Line and Log make of it holds no
// workflow command and no line break, and plain text comes back unchanged.
func FuzzLine(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("ordinary text")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Log("%s", s), Log("%v: %q", s, s), GuardLines(Markdownf("%s", s).String())} {
			noCommands(t, "output", out)
		}
		if got := Line(s); strings.ContainsAny(got, "\r\n") {
			t.Fatalf("Line(%q) = %q has a line break", s, got)
		}
		clean := !strings.Contains(s, "##[") && !strings.HasPrefix(strings.TrimLeftFunc(s, unicode.IsSpace), "::")
		for _, r := range s {
			if !printable(r) {
				clean = false
			}
		}
		if clean && Line(s) != s {
			t.Fatalf("Line changed plain text %q to %q", s, Line(s))
		}
	})
}

// FuzzText: the Markdown escape leaves no HTML tag, no line break and no
// @mention for GitHub to render.
// rendered is what GitHub reads of Text's output: entities decoded (the
// zero-width space as U+200B) and backslash escapes removed.
func rendered(md string) string {
	md = strings.NewReplacer("&#8203;", "\u200b", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(md)
	var b strings.Builder
	for i := 0; i < len(md); i++ {
		if md[i] == '\\' && i+1 < len(md) && strings.IndexByte("\\`*[]|~", md[i+1]) >= 0 {
			i++
		}
		b.WriteByte(md[i])
	}
	return b.String()
}

// autolinked finds, in rendered Markdown, what GitHub turns into a link,
// a mention or a reference: @ and # not followed by a zero-width space, a
// scheme's ://, www., GH-67 and other letter-hyphen-digit references, and
// a word of 7 or more hexadecimal digits (a commit SHA).
var autolinked = regexp.MustCompile(`[@#]($|[^\x{200b}])|://|(?i)www\.|[A-Za-z]-[0-9]|(^|[^0-9A-Za-z_])[0-9A-Fa-f]{7,}($|[^0-9A-Za-z_])`)

func TestTextBreaksAutolinks(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct{ in, want string }{
		{"see GH-67", "see GH-&#8203;67"},
		{"gh-1 and JIRA-12", "gh-&#8203;1 and JIRA-&#8203;12"},
		{"https://github.com/o/r/issues/67", "https:&#8203;//github.com/o/r/issues/67"},
		{"www.example.com", "www&#8203;.example.com"},
		{"WWW.Example.com", "WWW&#8203;.Example.com"},
		{"commit " + sha, "commit 012345&#8203;6789ab&#8203;cdef01&#8203;23456" + "7&#8203;89abcd&#8203;ef0123&#8203;4567"},
		{"short abc1234 deadbee", "short abc123&#8203;4 deadbe&#8203;e"},
		{"not hex: build-2.1 v1.2.3 123456 xyz1234567", "not hex: build-&#8203;2.1 v1.2.3 123456 xyz1234567"},
		{"o/r@" + sha[:7], "o/r@&#8203;012345&#8203;6"},
	}
	for _, tt := range tests {
		got := Text(tt.in)
		if got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if m := autolinked.FindString(rendered(got)); m != "" {
			t.Errorf("Text(%q) = %q still autolinks %q", tt.in, got, m)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("@octocat <script>alert(1)</script> | #12")
	f.Add("GH-67 https://github.com/o/r/issues/1 www.x.io 0123456789abcdef0123456789abcdef01234567")
	f.Add("wWw.\u200bx  \x00abcdef\u200b0123456 a-\u200b1 http:/\u200b/x")
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if strings.ContainsAny(got, "<>\n\r") {
			t.Fatalf("Text(%q) = %q keeps <, > or a line break", s, got)
		}
		if m := autolinked.FindString(rendered(got)); m != "" {
			t.Fatalf("Text(%q) = %q: %q still autolinks", s, got, m)
		}
	})
}
