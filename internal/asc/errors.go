package asc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors matched by *APIError with errors.Is, by status code.
var (
	// ErrUnauthorized: 401, the token was refused (wrong key, issuer, expired, clock skew).
	ErrUnauthorized = errors.New("App Store Connect refused the token (401)")
	// ErrForbidden: 403, the key's role lacks access, or an individual key on a team-only resource.
	ErrForbidden = errors.New("App Store Connect denied access (403)")
	// ErrNotFound: 404.
	ErrNotFound = errors.New("App Store Connect found no such resource (404)")
	// ErrConflict: 409, e.g. a build number that already exists.
	ErrConflict = errors.New("App Store Connect reported a conflict (409)")
	// ErrRateLimited: 429, the key's hourly request budget is spent.
	ErrRateLimited = errors.New("App Store Connect rate limit reached (429)")
	// ErrServer: a 5xx answer.
	ErrServer = errors.New("App Store Connect server error (5xx)")
	// ErrAgreementMissing: a 403 because the Account Holder has not accepted
	// a required agreement (the Program License Agreement, most often). App
	// Store Connect then refuses every call of every key of the account, so
	// no key or role can help. It matches ErrForbidden too.
	ErrAgreementMissing = errors.New("App Store Connect blocks the account until the Account Holder accepts a required agreement (403)")
)

// CodeAgreementMissing is the error code App Store Connect answers every
// call with while a required agreement is not accepted.
const CodeAgreementMissing = "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"

// ErrorSource points at the part of the request an error is about.
type ErrorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

// ErrorItem is one entry of Apple's error document.
type ErrorItem struct {
	ID     string       `json:"id,omitempty"`
	Status string       `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *ErrorSource `json:"source,omitempty"`
}

// ErrorDocument is Apple's error response body.
type ErrorDocument struct {
	Errors []ErrorItem `json:"errors"`
}

// APIError is a non-2xx answer from App Store Connect. Use errors.As to get
// it and errors.Is with ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrConflict, ErrRateLimited, ErrServer or ErrAgreementMissing to classify
// it.
type APIError struct {
	// Method and Path name the request (the path has no query).
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Errors is the decoded error document (empty when the body was not one).
	Errors []ErrorItem
	// Body is a short, printable excerpt of a body that was not an error
	// document (an HTML page from a proxy, say).
	Body string
	// RetryAfter is the server's Retry-After, when given.
	RetryAfter time.Duration
	// ClockSkew is the server's Date minus the local clock, measured on a 401.
	ClockSkew time.Duration
	// ClockCorrected is true when the token source's clock had already been
	// corrected for skew before this refused attempt was sent.
	ClockCorrected bool
	// RateLimit is the response's X-Rate-Limit.
	RateLimit RateLimit
	// Header is the response's header.
	Header http.Header
}

// Error summarises the status and the first error item.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "App Store Connect %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Errors) > 0 {
		it := e.Errors[0]
		b.WriteString(": ")
		if it.Code != "" {
			b.WriteString(it.Code)
			b.WriteString(": ")
		}
		b.WriteString(it.Title)
		if it.Detail != "" && it.Detail != it.Title {
			b.WriteString(" (")
			b.WriteString(it.Detail)
			b.WriteString(")")
		}
		if it.Source != nil {
			if it.Source.Pointer != "" {
				b.WriteString(" at ")
				b.WriteString(it.Source.Pointer)
			} else if it.Source.Parameter != "" {
				b.WriteString(" in parameter ")
				b.WriteString(it.Source.Parameter)
			}
		}
		if len(e.Errors) > 1 {
			fmt.Fprintf(&b, " (and %d more)", len(e.Errors)-1)
		}
	} else if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %v", e.RetryAfter)
	}
	if e.StatusCode == http.StatusUnauthorized && e.ClockSkew.Abs() > SkewThreshold {
		size, direction := SkewWords(e.ClockSkew)
		fmt.Fprintf(&b, "; this machine's clock is %v %s App Store Connect's", size, direction)
		if e.ClockCorrected {
			b.WriteString(" (the token was re-minted with corrected time and still refused)")
		} else {
			b.WriteString("; set the clock right (NTP) and try again")
		}
	}
	return b.String()
}

// Is matches the sentinel errors by status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrAgreementMissing:
		return e.AgreementMissing()
	}
	return false
}

// AgreementMissing reports whether e is App Store Connect's answer to an
// account whose Account Holder has not accepted a required agreement, in
// either of its two forms: a 403 with the code
// FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED ("A required agreement is
// missing or has expired."), or, on older accounts, a 403 with the code
// FORBIDDEN, the title "Access Unavailable" and a detail naming the Program
// License Agreement.
func (e *APIError) AgreementMissing() bool {
	if e.StatusCode != http.StatusForbidden {
		return false
	}
	for _, it := range e.Errors {
		if strings.HasPrefix(it.Code, "FORBIDDEN.REQUIRED_AGREEMENTS") {
			return true
		}
		if it.Code == "FORBIDDEN" && strings.Contains(strings.ToLower(it.Title+" "+it.Detail), "agreement") {
			return true
		}
	}
	return false
}

// HasCode reports whether any error item's code is code or lies under it in
// Apple's hierarchy: HasCode("ENTITY_ERROR.ATTRIBUTE") matches
// "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE".
func (e *APIError) HasCode(code string) bool {
	for _, it := range e.Errors {
		if it.Code == code || strings.HasPrefix(it.Code, code+".") {
			return true
		}
	}
	return false
}

// Code returns the first error item's code, or "".
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// NetworkError is a request that got no HTTP answer: the connection failed,
// broke, timed out, or the body could not be read in full.
type NetworkError struct {
	Method, Path string
	// Attempts is how many times the request was sent.
	Attempts int
	// Timeout is true when the per-attempt timeout ended it.
	Timeout bool
	// Err is the underlying transport error.
	Err error
}

// Error names the request and the cause.
func (e *NetworkError) Error() string {
	what := "network failure"
	if e.Timeout {
		what = "timed out"
	}
	s := fmt.Sprintf("App Store Connect %s %s: %s", e.Method, e.Path, what)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the transport error.
func (e *NetworkError) Unwrap() error { return e.Err }

// DecodeError is a 2xx answer whose body is not the document expected.
type DecodeError struct {
	Method, Path string
	StatusCode   int
	Err          error
}

// Error names the request and what failed to decode.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("App Store Connect %s %s: %d answer is not the expected JSON: %v", e.Method, e.Path, e.StatusCode, e.Err)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

// TokenError is a failure of the token source; no request was sent.
type TokenError struct {
	Method, Path string
	Err          error
}

// Error names the request the token was for.
func (e *TokenError) Error() string {
	return fmt.Sprintf("App Store Connect %s %s: no token: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the token source's error.
func (e *TokenError) Unwrap() error { return e.Err }

// ParseErrorDocument decodes Apple's error document. ok is false when body
// is not one (not JSON, or no errors array).
func ParseErrorDocument(body []byte) (items []ErrorItem, ok bool) {
	var doc struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Errors == nil {
		return nil, false
	}
	items = make([]ErrorItem, 0, len(doc.Errors))
	for _, raw := range doc.Errors {
		it, ok := decodeErrorItem(raw)
		if !ok {
			return nil, false
		}
		items = append(items, it)
	}
	return items, true
}

// decodeErrorItem is lenient where servers have been seen to differ from the
// document: a numeric status is accepted and turned into a string.
func decodeErrorItem(raw json.RawMessage) (ErrorItem, bool) {
	var loose struct {
		ID     any          `json:"id"`
		Status any          `json:"status"`
		Code   string       `json:"code"`
		Title  string       `json:"title"`
		Detail string       `json:"detail"`
		Source *ErrorSource `json:"source"`
	}
	if err := json.Unmarshal(raw, &loose); err != nil {
		return ErrorItem{}, false
	}
	return ErrorItem{
		ID: scalarString(loose.ID), Status: scalarString(loose.Status),
		Code: loose.Code, Title: loose.Title, Detail: loose.Detail, Source: loose.Source,
	}, true
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	return ""
}

// excerpt returns a short printable version of a non-JSON body, with secret
// (the token sent) removed should a misbehaving server echo it.
func excerpt(body []byte, secret string) string {
	s := string(body)
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[token]")
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (!unicode.IsPrint(r) && r != ' ') {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// SkewWords describes a clock skew (the server's Date minus the local
// clock) for people: its size, rounded to the second, and where the local
// clock stands, "ahead of" or "behind" the server's.
func SkewWords(skew time.Duration) (size time.Duration, direction string) {
	direction = "ahead of"
	if skew > 0 { // the server is later: the local clock is behind
		direction = "behind"
	}
	return skew.Abs().Round(time.Second), direction
}
