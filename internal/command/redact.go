package command

import (
	"sort"
	"strings"
	"sync"

	"github.com/asc-action/asc-action/internal/untrusted"
)

// Redactor replaces registered secrets in text with ***. Both front ends
// pass every line they print through one, so a secret never reaches a log
// even where the runner's own masking does not apply (a laptop, a file).
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Add registers secrets; empty strings are ignored. Each line of a
// multi-line secret is registered too, as the runner masks them, so a
// secret is found even where escaping a log line wrote its line breaks
// as \n.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		r.secrets = append(r.secrets, v)
		if strings.ContainsAny(v, "\r\n") {
			for _, line := range strings.FieldsFunc(v, func(c rune) bool { return c == '\n' || c == '\r' }) {
				if line = strings.TrimSpace(line); line != "" {
					r.secrets = append(r.secrets, line)
				}
			}
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Redact returns s with every registered secret replaced by ***.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// SingleLine folds line breaks into spaces, for output values.
func SingleLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// RedactMarkdown is Redact for Markdown built by untrusted (the job
// summary): each secret is also found as untrusted.Text wrote it, escaped
// and broken by zero-width spaces.
func (r *Redactor) RedactMarkdown(md string) string {
	md = r.Redact(md)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return untrusted.RedactMarkdown(md, r.secrets)
}
