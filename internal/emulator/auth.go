package emulator

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
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
//   - TestFlight: see testflightAllowed.
//
// Individual keys are refused on certificates and profiles whatever the role.
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
	ErrWrongAudience     = errors.New(`token aud is not the string "appstoreconnect-v1"`)
	ErrWrongIssuer       = errors.New("token iss is not the key's issuer ID")
	ErrIssuerOnIndividal = errors.New("token for an individual key carries iss")
	ErrWrongSubject      = errors.New(`token for an individual key lacks sub "user"`)
	ErrMissingTimes      = errors.New("token lacks a numeric iat or exp")
	ErrLifetimeTooLong   = errors.New("token lifetime (exp - iat) is over 20 minutes")
	ErrExpired           = errors.New("token has expired")
	ErrIssuedInFuture    = errors.New("token iat is in the future")
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

// authenticate checks the request's bearer token. It returns the key it was
// signed with, or why it is refused.
func (s *Server) authenticate(r *http.Request) (*Key, error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, ErrNoToken
	}
	raw = strings.TrimSpace(raw)
	now := s.now()

	var key *Key
	var keyErr error
	parser := jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods([]string{"ES256"}))
	tok, err := parser.Parse(raw, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "JWT" {
			keyErr = ErrWrongType
			return nil, keyErr
		}
		kid, _ := t.Header["kid"].(string)
		s.mu.Lock()
		k, found := s.keys[kid]
		s.mu.Unlock()
		if !found {
			keyErr = ErrUnknownKey
			return nil, keyErr
		}
		key = &k
		return k.Public, nil
	})
	switch {
	case keyErr != nil:
		return nil, keyErr
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && tok.Method.Alg() != "ES256" {
			return nil, ErrWrongAlgorithm
		}
		return nil, ErrBadSignature
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, ErrWrongAlgorithm
	case err != nil:
		return nil, ErrMalformedToken
	}
	if key.Revoked {
		return nil, ErrRevokedKey
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	if aud, ok := claims["aud"].(string); !ok || aud != audience {
		return nil, ErrWrongAudience
	}
	iss, hasIss := claims["iss"]
	if key.Individual {
		if hasIss {
			return nil, ErrIssuerOnIndividal
		}
		if sub, _ := claims["sub"].(string); sub != "user" {
			return nil, ErrWrongSubject
		}
	} else if s, _ := iss.(string); !hasIss || s != key.IssuerID {
		return nil, ErrWrongIssuer
	}
	iat, ok1 := numericTime(claims["iat"])
	exp, ok2 := numericTime(claims["exp"])
	if !ok1 || !ok2 {
		return nil, ErrMissingTimes
	}
	scope, err := scopeOf(claims["scope"])
	if err != nil {
		return nil, ErrMalformedToken
	}
	limit := maxLifetime
	if longLivedScope(scope) {
		limit = maxLongLifetime
	}
	if exp.Sub(iat) > limit {
		return nil, ErrLifetimeTooLong
	}
	if !now.Before(exp) {
		return nil, ErrExpired
	}
	if iat.After(now.Add(s.cfg.Leeway)) {
		return nil, ErrIssuedInFuture
	}
	if len(scope) > 0 && !inScope(scope, r) {
		return nil, ErrScope
	}
	return key, nil
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
