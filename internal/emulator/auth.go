package emulator

import (
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is an API key registered with the emulator: the public half of a .p8
// key, its Key ID, and whose it is. A team key has an IssuerID; an
// individual key (Individual true) has none and its tokens carry sub "user".
type Key struct {
	ID         string
	IssuerID   string
	Individual bool
	Public     *ecdsa.PublicKey
	// Role is the App Store Connect role the key was given: ADMIN,
	// ACCOUNT_HOLDER, APP_MANAGER, DEVELOPER, FINANCE, SALES, MARKETING,
	// CUSTOMER_SUPPORT, ACCESS_TO_REPORTS. Empty means ADMIN. See Allowed.
	Role    string
	Revoked bool
}

// Roles the emulator knows, as App Store Connect names them.
const (
	RoleAdmin           = "ADMIN"
	RoleAccountHolder   = "ACCOUNT_HOLDER"
	RoleAppManager      = "APP_MANAGER"
	RoleDeveloper       = "DEVELOPER"
	RoleFinance         = "FINANCE"
	RoleSales           = "SALES"
	RoleMarketing       = "MARKETING"
	RoleCustomerSupport = "CUSTOMER_SUPPORT"
	RoleAccessToReports = "ACCESS_TO_REPORTS"
)

// Access is what an operation needs from a key's role.
type Access int

// Access levels, from least to most demanding.
const (
	AccessRead         Access = iota // read apps, builds and build uploads
	AccessProvisioning               // read certificates and profiles
	AccessUpload                     // create, commit and delete build uploads
)

// Allowed reports whether a role may perform operations needing access a.
// The mapping follows App Store Connect's role descriptions:
//   - every role reads apps, builds and build uploads;
//   - certificates and profiles: ADMIN, ACCOUNT_HOLDER, APP_MANAGER, DEVELOPER;
//   - uploading builds: ADMIN, ACCOUNT_HOLDER, APP_MANAGER;
//   - TestFlight: see testflightAllowed;
//   - creating and deleting bundle IDs, certificates and profiles: ADMIN,
//     ACCOUNT_HOLDER, APP_MANAGER (AccessProvisioningWrite);
//   - App Store versions and their localizations: ADMIN, ACCOUNT_HOLDER,
//     APP_MANAGER, MARKETING (AccessMetadata).
//
// Individual keys are refused on certificates, profiles and bundle IDs
// whatever the role.
func Allowed(role string, a Access) bool {
	if role == "" {
		role = RoleAdmin
	}
	switch a {
	case AccessRead:
		return true
	case AccessProvisioning:
		switch role {
		case RoleAdmin, RoleAccountHolder, RoleAppManager, RoleDeveloper:
			return true
		}
	case AccessUpload:
		switch role {
		case RoleAdmin, RoleAccountHolder, RoleAppManager:
			return true
		}
	case AccessTestFlightRead, AccessTestFlight:
		return testflightAllowed(role, a)
	case AccessProvisioningWrite:
		return provisioningManagers[role]
	case AccessMetadata:
		return metadataEditors[role]
	}
	return false
}

// Why a token was refused. Recorded by the server (AuthFailures) and logged;
// the client only ever sees Apple's single 401 body.
var (
	ErrNoToken           = errors.New("no bearer token")
	ErrMalformedToken    = errors.New("token is not a well-formed JWT")
	ErrWrongAlgorithm    = errors.New("token is not signed with ES256")
	ErrWrongType         = errors.New("token header typ is not JWT")
	ErrUnknownKey        = errors.New("token kid names no registered key")
	ErrRevokedKey        = errors.New("key is revoked")
	ErrBadSignature      = errors.New("token signature does not verify with the key")
	ErrWrongAudience     = errors.New(`token aud is neither "appstoreconnect-v1" nor an array holding it`)
	ErrWrongIssuer       = errors.New("token iss is not the key's issuer ID")
	ErrIssuerOnIndividal = errors.New("token for an individual key carries iss")
	ErrWrongSubject      = errors.New(`token for an individual key lacks sub "user"`)
	ErrMissingTimes      = errors.New("token lacks a numeric exp, or its iat is not numeric")
	ErrLifetimeTooLong   = errors.New("token lifetime (exp - iat) is over 20 minutes")
	ErrExpired           = errors.New("token has expired")
	ErrIssuedInFuture    = errors.New("token iat is in the future")
	ErrNotYetValid       = errors.New("token nbf is in the future")
	ErrScope             = errors.New("request is outside the token's scope")
)

const (
	audience        = "appstoreconnect-v1"
	maxLifetime     = 20 * time.Minute
	maxLongLifetime = 183 * 24 * time.Hour
)

// longLivedPrefixes are the resources Apple lists as accepting GET-only
// tokens that live longer than 20 minutes (Xcode Cloud and its source
// control resources). None of the emulated endpoints is among them.
var longLivedPrefixes = []string{
	"/v1/ciArtifacts", "/v1/ciBuildActions", "/v1/ciBuildRuns", "/v1/ciIssues",
	"/v1/ciMacOsVersions", "/v1/ciProducts", "/v1/ciTestResults", "/v1/ciWorkflows",
	"/v1/ciXcodeVersions", "/v1/scmGitReferences", "/v1/scmProviders",
	"/v1/scmPullRequests", "/v1/scmRepositories",
}

func longLivedPath(p string) bool {
	for _, pre := range longLivedPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// tokenCheck is one token under examination: the rules of tokenRules read
// and fill it in order.
type tokenCheck struct {
	s        *Server
	r        *http.Request
	tok      *jwt.Token
	parts    []string
	claims   jwt.MapClaims
	key      *Key
	iat, exp time.Time
	scope    []string
}

// tokenRule is one condition a token must meet, the refusal recorded when
// it does not, and why the rule exists.
type tokenRule struct {
	refusal error
	why     string
	holds   func(c *tokenCheck) bool
}

// tokenRules is every rule the emulator applies to a token, in order: what
// App Store Connect refuses is refused (recorded as the rule's refusal,
// answered with Apple's one 401 body), and what it accepts passes. Where
// Apple's documentation names one form and RFC 7519 allows others, the
// rule follows the RFC, because Apple's servers take tokens from every
// conforming JWT library.
var tokenRules = []tokenRule{
	{ErrWrongAlgorithm, "Apple signs and verifies ES256 only; alg none or HS256 would let anyone forge a token (algorithm confusion)",
		func(c *tokenCheck) bool { return c.tok.Method != nil && c.tok.Method.Alg() == "ES256" }},
	{ErrWrongType, `typ is optional (RFC 7519 section 5.1) and some libraries omit it; when present it must say JWT (case-insensitive), as Apple's documentation sets it`,
		func(c *tokenCheck) bool {
			typ, present := c.tok.Header["typ"]
			s, _ := typ.(string)
			return !present || strings.EqualFold(s, "JWT")
		}},
	{ErrUnknownKey, "kid names the API key whose public half verifies the signature",
		func(c *tokenCheck) bool {
			kid, _ := c.tok.Header["kid"].(string)
			c.s.mu.Lock()
			k, found := c.s.keys[kid]
			c.s.mu.Unlock()
			c.key = &k
			return found
		}},
	{ErrRevokedKey, "a revoked key's tokens are refused from the moment it is revoked",
		func(c *tokenCheck) bool { return !c.key.Revoked }},
	{ErrBadSignature, "the signature must verify with the key kid names, or anyone could name a key",
		func(c *tokenCheck) bool {
			sig, err := base64.RawURLEncoding.DecodeString(c.parts[2])
			return err == nil && jwt.SigningMethodES256.Verify(c.parts[0]+"."+c.parts[1], sig, c.key.Public) == nil
		}},
	{ErrWrongAudience, `aud is "appstoreconnect-v1", as a string or as an array holding it (RFC 7519 section 4.1.3); Node and Python libraries send the array`,
		func(c *tokenCheck) bool { return audienceHolds(c.claims["aud"]) }},
	{ErrWrongIssuer, "a team key's token carries its issuer ID as iss",
		func(c *tokenCheck) bool {
			iss, ok := c.claims["iss"].(string)
			return c.key.Individual || (ok && iss == c.key.IssuerID)
		}},
	{ErrIssuerOnIndividal, "an individual key has no issuer: its token carries no iss",
		func(c *tokenCheck) bool { _, has := c.claims["iss"]; return !c.key.Individual || !has }},
	{ErrWrongSubject, `an individual key's token carries sub "user"`,
		func(c *tokenCheck) bool {
			sub, _ := c.claims["sub"].(string)
			return !c.key.Individual || sub == "user"
		}},
	{ErrMissingTimes, "exp is a required NumericDate (RFC 7519 section 2: seconds, fractions allowed); iat, when present, is one too. " +
		"A token without iat is taken as issued now: appstore-connect-sdk (npm) sends none and App Store Connect accepts it",
		func(c *tokenCheck) bool {
			var okExp bool
			c.exp, okExp = numericTime(c.claims["exp"])
			v, hasIat := c.claims["iat"]
			if !hasIat {
				c.iat = c.s.now()
				return okExp
			}
			var okIat bool
			c.iat, okIat = numericTime(v)
			return okExp && okIat
		}},
	{ErrMalformedToken, "scope, when present, is a list of strings such as \"GET /v1/apps\"",
		func(c *tokenCheck) bool {
			var err error
			c.scope, err = scopeOf(c.claims["scope"])
			return err == nil
		}},
	{ErrLifetimeTooLong, "exp - iat is at most 20 minutes, except GET-only scoped tokens for the resources Apple lists (up to 6 months)",
		func(c *tokenCheck) bool {
			limit := maxLifetime
			if longLivedScope(c.scope) {
				limit = maxLongLifetime
			}
			return c.exp.Sub(c.iat) <= limit
		}},
	{ErrExpired, "a token is refused from its exp on",
		func(c *tokenCheck) bool { return c.s.now().Before(c.exp) }},
	{ErrIssuedInFuture, "iat may be ahead of the server's clock by the leeway only",
		func(c *tokenCheck) bool { return !c.iat.After(c.s.now().Add(c.s.cfg.Leeway)) }},
	{ErrNotYetValid, "nbf, when present, must not be ahead of the server's clock by more than the leeway (RFC 7519 section 4.1.5)",
		func(c *tokenCheck) bool {
			v, present := c.claims["nbf"]
			nbf, ok := numericTime(v)
			return !present || (ok && !nbf.After(c.s.now().Add(c.s.cfg.Leeway)))
		}},
	{ErrScope, "a scoped token is good for the requests its scope names only",
		func(c *tokenCheck) bool { return len(c.scope) == 0 || inScope(c.scope, c.r) }},
}

// audienceHolds reports whether aud is Apple's audience, as a string or an
// array of strings holding it.
func audienceHolds(aud any) bool {
	switch v := aud.(type) {
	case string:
		return v == audience
	case []any:
		return slices.Contains(v, any(audience))
	}
	return false
}

// authenticate checks the request's bearer token against tokenRules. It
// returns the key it was signed with, or why it is refused.
func (s *Server) authenticate(r *http.Request) (*Key, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return nil, ErrNoToken
	}
	c := &tokenCheck{s: s, r: r, claims: jwt.MapClaims{}}
	var err error
	c.tok, c.parts, err = jwt.NewParser().ParseUnverified(raw, c.claims)
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, ErrWrongAlgorithm // alg missing or unknown
	case err != nil || len(c.parts) != 3:
		return nil, ErrMalformedToken
	}
	for _, rule := range tokenRules {
		if !rule.holds(c) {
			return nil, rule.refusal
		}
	}
	return c.key, nil
}

func numericTime(v any) (time.Time, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e12 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func scopeOf(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("scope is not a list")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("scope entry is not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

func longLivedScope(scope []string) bool {
	if len(scope) == 0 {
		return false
	}
	for _, e := range scope {
		method, target, _ := strings.Cut(e, " ")
		p, _, _ := strings.Cut(target, "?")
		if method != http.MethodGet || !longLivedPath(p) {
			return false
		}
	}
	return true
}

// inScope reports whether one scope entry ("METHOD /path?query") allows r:
// the method and path must be equal, and every query parameter the entry
// names must be present in the request with the same value.
func inScope(scope []string, r *http.Request) bool {
	for _, e := range scope {
		method, target, ok := strings.Cut(e, " ")
		if !ok || method != r.Method {
			continue
		}
		p, q, _ := strings.Cut(target, "?")
		if p != r.URL.Path {
			continue
		}
		want, err := url.ParseQuery(q)
		if err != nil {
			continue
		}
		got := r.URL.Query()
		match := true
		for k, vs := range want {
			if strings.Join(got[k], ",") != strings.Join(vs, ",") {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
