// Package token mints the ES256 JSON Web Tokens App Store Connect expects and
// keeps one fresh for operations that outlive a token (uploads, long waits).
package token

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// KeyType is the kind of App Store Connect API key.
type KeyType string

// Key types. Team keys carry the issuer ID in `iss`; individual keys carry
// `sub: "user"` and no issuer.
const (
	Team       KeyType = "team"
	Individual KeyType = "individual"
)

// Audience is the `aud` claim App Store Connect requires, as a string.
const Audience = "appstoreconnect-v1"

// Lifetime limits, from Apple's "Generating Tokens for API Requests".
const (
	MaxLifetime          = 20 * time.Minute
	MaxLongLivedLifetime = 180 * 24 * time.Hour
	// DefaultBackdate sets `iat` this far in the past so that a runner whose
	// clock runs a little ahead of Apple's is not refused.
	DefaultBackdate = 60 * time.Second
)

// LongLivedResources are the resources whose GET requests Apple accepts
// tokens of up to six months for (Xcode Cloud and source control ones).
// Build uploads, apps, certificates and profiles are not among them.
var LongLivedResources = []string{
	"ciArtifacts", "ciBuildActions", "ciBuildRuns", "ciIssues", "ciMacOsVersions", "ciProducts",
	"ciTestResults", "ciWorkflows", "ciXcodeVersions", "scmGitReferences", "scmProviders",
	"scmPullRequests", "scmRepositories",
}

// Options describe the token to mint. Build them with the Parse and
// Validate helpers at the edge; Minter trusts them.
type Options struct {
	KeyID    string
	IssuerID string
	Type     KeyType
	Scope    []string
	// Lifetime is exp - iat. Zero means MaxLifetime.
	Lifetime time.Duration
	// Backdate is how far iat lies before the clock's now. Zero means DefaultBackdate.
	Backdate time.Duration
}

// Input errors, for errors.Is. Their messages say where to find the value.
var (
	ErrKeyID    = errors.New("key-id must be the 10-character Key ID (capital letters and digits), shown in App Store Connect > Users and Access > Integrations > App Store Connect API, and in the .p8 file name AuthKey_<KEYID>.p8")
	ErrIssuerID = errors.New("issuer-id must be the Issuer ID, a UUID such as 57246542-96fe-1a63-e053-0824d011072a, shown above the keys table in App Store Connect > Users and Access > Integrations > App Store Connect API (Team Keys tab); individual keys have none: set key-type: individual")
	ErrKeyType  = errors.New("key-type must be team or individual")
	ErrScope    = errors.New("scope entries must be one per line, each `METHOD /v1/path` with an optional ?query, for example `GET /v1/apps?filter[bundleId]=com.example.app`")
	ErrLifetime = errors.New("expires-in is too long")
)

var (
	keyIDRe    = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	issuerIDRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	scopeRe    = regexp.MustCompile(`^(GET|POST|PATCH|PUT|DELETE) (/v[0-9]+/[A-Za-z0-9_\-./{}]+)(\?\S*)?$`)
)

// CleanValue trims whitespace and surrounding quotes, which secrets stores
// often keep when a value was pasted with them.
func CleanValue(v string) string {
	v = strings.TrimSpace(v)
	for len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}

// ParseKeyID validates a Key ID after cleaning it.
func ParseKeyID(v string) (string, error) {
	v = CleanValue(v)
	if v == "" {
		return "", fmt.Errorf("key-id is empty: %w", ErrKeyID)
	}
	if !keyIDRe.MatchString(v) {
		hint := ""
		if keyIDRe.MatchString(strings.ToUpper(v)) {
			hint = " (it has lower-case letters; Key IDs are upper case)"
		} else {
			hint = fmt.Sprintf(" (the value given has %d characters)", len(v))
		}
		return "", fmt.Errorf("key-id is malformed%s: %w", hint, ErrKeyID)
	}
	return v, nil
}

// ParseIssuerID validates an Issuer ID after cleaning it. An empty value is
// returned as "" without error: individual keys have no issuer.
func ParseIssuerID(v string) (string, error) {
	v = CleanValue(v)
	if v == "" {
		return "", nil
	}
	if !issuerIDRe.MatchString(v) {
		return "", fmt.Errorf("issuer-id is malformed (%d characters, not a UUID): %w", len(v), ErrIssuerID)
	}
	return strings.ToLower(v), nil
}

// ParseKeyType resolves key-type: "" means team when an issuer ID is given
// and individual otherwise.
func ParseKeyType(v, issuerID string) (KeyType, error) {
	switch KeyType(strings.ToLower(CleanValue(v))) {
	case "":
		if issuerID != "" {
			return Team, nil
		}
		return Individual, nil
	case Team:
		if issuerID == "" {
			return "", fmt.Errorf("key-type is team but issuer-id is empty: team keys need the Issuer ID; %w", ErrIssuerID)
		}
		return Team, nil
	case Individual:
		return Individual, nil
	}
	return "", fmt.Errorf("key-type %q is not known: %w", CleanValue(v), ErrKeyType)
}

// ParseScope reads one scope entry per line (blank lines and surrounding
// whitespace ignored). It returns nil for an empty input.
func ParseScope(text string) ([]string, error) {
	var out []string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.Join(strings.Fields(CleanValue(line)), " ")
		if line == "" {
			continue
		}
		if !scopeRe.MatchString(line) {
			return nil, fmt.Errorf("scope line %d %q is not valid: %w", i+1, line, ErrScope)
		}
		out = append(out, line)
	}
	return out, nil
}

// ParseLifetime reads expires-in: a Go duration such as `15m` or `2h`, or a
// number of seconds. Empty means MaxLifetime.
func ParseLifetime(v string) (time.Duration, error) {
	v = CleanValue(v)
	if v == "" {
		return MaxLifetime, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0, fmt.Errorf("expires-in %q must be positive", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if days, ok := strings.CutSuffix(v, "d"); ok {
			if n, err := strconv.Atoi(days); err == nil && n > 0 {
				return time.Duration(n) * 24 * time.Hour, nil
			}
		}
		return 0, fmt.Errorf("expires-in %q is not a duration: use seconds (900), a Go duration (15m, 1h30m) or days (30d)", v)
	}
	if d <= 0 {
		return 0, fmt.Errorf("expires-in %q must be positive", v)
	}
	return d, nil
}

// Validate checks the options against Apple's rules, including the lifetime
// rule: over 20 minutes only when every scope entry is a GET on a resource
// that allows long-lived tokens, and never over 180 days.
func (o Options) Validate() error {
	if _, err := ParseKeyID(o.KeyID); err != nil {
		return err
	}
	if o.Type != Team && o.Type != Individual {
		return ErrKeyType
	}
	if o.Type == Team && o.IssuerID == "" {
		return fmt.Errorf("team keys need an issuer-id: %w", ErrIssuerID)
	}
	if o.Lifetime <= MaxLifetime {
		return nil
	}
	if o.Lifetime > MaxLongLivedLifetime {
		return fmt.Errorf("%w: %v is over Apple's 180-day ceiling for long-lived tokens", ErrLifetime, o.Lifetime)
	}
	if len(o.Scope) == 0 {
		return fmt.Errorf("%w: App Store Connect refuses tokens that live over 20 minutes, except GET-only tokens scoped to the resources that allow long-lived tokens (%s); add such a scope or set expires-in to 20m or less", ErrLifetime, strings.Join(LongLivedResources, ", "))
	}
	for _, s := range o.Scope {
		if !longLivedScope(s) {
			return fmt.Errorf("%w: scope %q does not allow a token over 20 minutes; only GET requests on %s do; set expires-in to 20m or less", ErrLifetime, s, strings.Join(LongLivedResources, ", "))
		}
	}
	return nil
}

func longLivedScope(s string) bool {
	m := scopeRe.FindStringSubmatch(s)
	if m == nil || m[1] != "GET" {
		return false
	}
	segs := strings.Split(strings.Trim(m[2], "/"), "/")
	// /v1/<resource>[/id[/<related>]]: the resource named last among the
	// type segments decides.
	var resource string
	for i := 1; i < len(segs); i += 2 {
		resource = segs[i]
	}
	for _, r := range LongLivedResources {
		if r == resource {
			return true
		}
	}
	return false
}
