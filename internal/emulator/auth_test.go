package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokensCheckedAsAppleDoes(t *testing.T) {
	e := newEnv(t, Config{})
	now := e.clock.Now()
	other := genKey(t, "OTHERKEY01", false, RoleAdmin) // not registered
	indiv := genKey(t, "INDIVKEY01", true, RoleAdmin)
	e.srv.AddKey(indiv.Key)
	revoked := genKey(t, "REVOKED001", false, RoleAdmin)
	e.srv.AddKey(revoked.Key)
	e.srv.RevokeKey(revoked.ID)

	with := func(mod func(jwt.MapClaims)) string {
		c := e.key.claims(now)
		mod(c)
		return e.key.sign(t, c)
	}
	unsigned := func(header, claims map[string]any) string {
		h, _ := json.Marshal(header)
		c, _ := json.Marshal(claims)
		s := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
		m := hmac.New(sha256.New, []byte("secret"))
		m.Write([]byte(s))
		return s + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	wrongTyp := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, e.key.claims(now))
		tok.Header["kid"] = e.key.ID
		tok.Header["typ"] = "JOSE"
		s, _ := tok.SignedString(e.key.priv)
		return s
	}
	forgedKid := func() string { // signed by another key but naming ours
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, e.key.claims(now))
		tok.Header["kid"] = e.key.ID
		s, _ := tok.SignedString(other.priv)
		return s
	}

	tests := []struct {
		name string
		path string
		tok  string
		want error // nil: accepted
	}{
		{"valid team token", "/v1/apps", e.key.token(t, now), nil},
		{"valid individual token", "/v1/apps", indiv.token(t, now), nil},
		{"no Authorization header", "/v1/apps", "-", ErrNoToken},
		{"not a JWT", "/v1/apps", "not.a.jwt", ErrMalformedToken},
		{"HS256 instead of ES256", "/v1/apps", unsigned(map[string]any{"alg": "HS256", "kid": e.key.ID, "typ": "JWT"}, map[string]any{"aud": audience}), ErrWrongAlgorithm},
		{"alg none", "/v1/apps", unsigned(map[string]any{"alg": "none", "kid": e.key.ID, "typ": "JWT"}, map[string]any{"aud": audience}), ErrWrongAlgorithm},
		{"typ not JWT", "/v1/apps", wrongTyp(), ErrWrongType},
		{"unknown kid", "/v1/apps", other.token(t, now), ErrUnknownKey},
		{"signed by another key", "/v1/apps", forgedKid(), ErrBadSignature},
		{"revoked key", "/v1/apps", revoked.token(t, now), ErrRevokedKey},
		{"wrong audience", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = "appstoreconnect-v2" }), ErrWrongAudience},
		{"audience as a list (RFC 7519 4.1.3)", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = []string{audience} }), nil},
		{"audience list holding ours among others", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = []string{"other", audience} }), nil},
		{"audience list without ours", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = []string{"appstoreconnect-v2"} }), ErrWrongAudience},
		{"empty audience list", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = []string{} }), ErrWrongAudience},
		{"audience a number", "/v1/apps", with(func(c jwt.MapClaims) { c["aud"] = 1 }), ErrWrongAudience},
		{"no typ header (RFC 7519 5.1)", "/v1/apps", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, e.key.claims(now))
			tok.Header["kid"] = e.key.ID
			delete(tok.Header, "typ")
			s, _ := tok.SignedString(e.key.priv)
			return s
		}(), nil},
		{"fractional iat and exp (NumericDate)", "/v1/apps", with(func(c jwt.MapClaims) {
			c["iat"] = float64(now.Unix()) + 0.25
			c["exp"] = float64(now.Add(10*time.Minute).Unix()) + 0.5
		}), nil},
		{"extra claims jti and nbf in the past", "/v1/apps", with(func(c jwt.MapClaims) { c["jti"] = "x"; c["nbf"] = now.Add(-time.Minute).Unix() }), nil},
		{"nbf in the future", "/v1/apps", with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), ErrNotYetValid},
		{"unknown alg", "/v1/apps", unsigned(map[string]any{"alg": "XY99", "kid": e.key.ID}, map[string]any{"aud": audience}), ErrWrongAlgorithm},
		{"scope not a list", "/v1/apps", with(func(c jwt.MapClaims) { c["scope"] = "GET /v1/apps" }), ErrMalformedToken},
		{"wrong issuer", "/v1/apps", with(func(c jwt.MapClaims) { c["iss"] = "00000000-0000-0000-0000-000000000000" }), ErrWrongIssuer},
		{"team key used as individual", "/v1/apps", with(func(c jwt.MapClaims) { delete(c, "iss"); c["sub"] = "user" }), ErrWrongIssuer},
		{"individual key with iss", "/v1/apps", func() string {
			c := indiv.claims(now)
			c["iss"] = e.key.IssuerID
			return indiv.sign(t, c)
		}(), ErrIssuerOnIndividal},
		{"individual key without sub", "/v1/apps", func() string {
			c := indiv.claims(now)
			delete(c, "sub")
			return indiv.sign(t, c)
		}(), ErrWrongSubject},
		{"no iat, exp within 20 minutes (taken as issued now)", "/v1/apps", with(func(c jwt.MapClaims) { delete(c, "iat") }), nil},
		{"no iat, exp 21 minutes ahead", "/v1/apps", with(func(c jwt.MapClaims) { delete(c, "iat"); c["exp"] = now.Add(21 * time.Minute).Unix() }), ErrLifetimeTooLong},
		{"no exp", "/v1/apps", with(func(c jwt.MapClaims) { delete(c, "exp") }), ErrMissingTimes},
		{"iat a string", "/v1/apps", with(func(c jwt.MapClaims) { c["iat"] = "now" }), ErrMissingTimes},
		{"lifetime 21 minutes", "/v1/apps", with(func(c jwt.MapClaims) { c["exp"] = now.Add(21 * time.Minute).Unix() }), ErrLifetimeTooLong},
		{"lifetime exactly 20 minutes", "/v1/apps", with(func(c jwt.MapClaims) { c["exp"] = now.Add(20 * time.Minute).Unix() }), nil},
		{"expired", "/v1/apps", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(-30 * time.Minute).Unix()
			c["exp"] = now.Add(-11 * time.Minute).Unix()
		}), ErrExpired},
		{"iat 5 minutes ahead (clock skew)", "/v1/apps", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(5 * time.Minute).Unix()
			c["exp"] = now.Add(15 * time.Minute).Unix()
		}), ErrIssuedInFuture},
		{"iat 5 seconds ahead (within leeway)", "/v1/apps", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(5 * time.Second).Unix()
			c["exp"] = now.Add(15 * time.Minute).Unix()
		}), nil},
		{"scope allows the request", "/v1/apps?filter[bundleId]=com.example.demo", with(func(c jwt.MapClaims) {
			c["scope"] = []string{"GET /v1/apps?filter[bundleId]=com.example.demo"}
		}), nil},
		{"scope names another path", "/v1/apps", with(func(c jwt.MapClaims) { c["scope"] = []string{"GET /v1/builds"} }), ErrScope},
		{"scope names another method", "/v1/apps", with(func(c jwt.MapClaims) { c["scope"] = []string{"POST /v1/apps"} }), ErrScope},
		{"scope query differs", "/v1/apps?filter[bundleId]=other", with(func(c jwt.MapClaims) {
			c["scope"] = []string{"GET /v1/apps?filter[bundleId]=com.example.demo"}
		}), ErrScope},
		{"long-lived token for apps", "/v1/apps", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(2 * time.Hour).Unix()
			c["scope"] = []string{"GET /v1/apps"}
		}), ErrLifetimeTooLong},
		{"long-lived GET token for Xcode Cloud passes auth", "/v1/ciProducts", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(24 * time.Hour).Unix()
			c["scope"] = []string{"GET /v1/ciProducts"}
		}), nil},
	}
	tested := map[error]bool{}
	for _, tt := range tests {
		tested[tt.want] = true
	}
	for _, rule := range tokenRules {
		if !tested[rule.refusal] {
			t.Errorf("token rule %q (%s) has no case here", rule.refusal, rule.why)
		}
		if rule.why == "" {
			t.Errorf("token rule %q gives no reason", rule.refusal)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.srv.AuthFailures())
			r := e.do("GET", tt.path, nil, tt.tok)
			fails := e.srv.AuthFailures()
			if tt.want == nil {
				if r.status == http.StatusUnauthorized || len(fails) != before {
					t.Fatalf("refused (%d, %v): %s", r.status, fails[before:], r.body)
				}
				if r.header.Get("X-Rate-Limit") == "" {
					t.Error("accepted request without X-Rate-Limit")
				}
				return
			}
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.body)
			}
			if len(fails) != before+1 || fails[before] != tt.want.Error() {
				t.Errorf("refused for %v, want %q", fails[before:], tt.want)
			}
			var doc struct{ Errors []apiError }
			if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.Errors) != 1 {
				t.Fatalf("body: %s", r.body)
			}
			got := doc.Errors[0]
			if got.Status != "401" || got.Code != "NOT_AUTHORIZED" || got.Title != unauthorizedTitle || got.Detail != unauthorizedDetail || len(got.ID) != 36 {
				t.Errorf("401 body is not Apple's: %+v", got)
			}
			if strings.Contains(string(r.body), tt.tok) && tt.tok != "-" {
				t.Error("the token was echoed in the response")
			}
		})
	}
}

func TestRolesAndIndividualKeys(t *testing.T) {
	e := newEnv(t, Config{})
	now := e.clock.Now()
	keys := map[string]testKey{
		"admin":        e.key,
		"individual":   genKey(t, "INDIV00001", true, RoleAdmin),
		"developer":    genKey(t, "DEVKEY0001", false, RoleDeveloper),
		"finance":      genKey(t, "FINKEY0001", false, RoleFinance),
		"app manager":  genKey(t, "APPMGR0001", false, RoleAppManager),
		"indiv appmgr": genKey(t, "INDIV00002", true, RoleAppManager),
	}
	for _, k := range keys {
		e.srv.AddKey(k.Key)
	}
	upload := map[string]any{"data": map[string]any{"type": "buildUploads",
		"attributes":    map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": "77", "platform": "IOS"},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": "1000000001"}}}}}
	tests := []struct {
		key, method, path string
		body              any
		want              int
	}{
		{"individual", "GET", "/v1/certificates", nil, 403},
		{"individual", "GET", "/v1/profiles", nil, 403},
		{"individual", "GET", "/v1/apps", nil, 200},
		{"individual", "GET", "/v1/builds", nil, 200},
		{"developer", "GET", "/v1/certificates", nil, 200},
		{"developer", "POST", "/v1/buildUploads", upload, 403},
		{"finance", "GET", "/v1/profiles", nil, 403},
		{"finance", "GET", "/v1/apps", nil, 200},
		{"app manager", "GET", "/v1/certificates", nil, 200},
		{"indiv appmgr", "GET", "/v1/profiles", nil, 403},
		{"app manager", "POST", "/v1/buildUploads", upload, 201},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+tt.method+" "+tt.path, func(t *testing.T) {
			k := keys[tt.key]
			r := e.do(tt.method, tt.path, tt.body, k.token(t, now))
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 403 {
				if code := r.errorCode(t); code != "FORBIDDEN_ERROR" {
					t.Errorf("code %q", code)
				}
			}
		})
	}
}

func TestAllowedMapping(t *testing.T) {
	for _, role := range []string{"", RoleAdmin, RoleAccountHolder, RoleAppManager, RoleDeveloper, RoleFinance, RoleSales, RoleMarketing, RoleCustomerSupport, RoleAccessToReports} {
		if !Allowed(role, AccessRead) {
			t.Errorf("%q cannot read", role)
		}
	}
	if Allowed(RoleDeveloper, AccessUpload) || Allowed(RoleSales, AccessProvisioning) || !Allowed("", AccessUpload) {
		t.Error("role mapping differs from the documented one")
	}
}

func TestRateLimitAndDate(t *testing.T) {
	e := newEnv(t, Config{RateLimitPerHour: 3})
	for i, want := range []string{"user-hour-lim:3;user-hour-rem:2;", "user-hour-lim:3;user-hour-rem:1;", "user-hour-lim:3;user-hour-rem:0;"} {
		r := e.do("GET", "/v1/apps", nil)
		if r.status != 200 || r.header.Get("X-Rate-Limit") != want {
			t.Fatalf("request %d: %d %q, want 200 %q", i, r.status, r.header.Get("X-Rate-Limit"), want)
		}
		if d, err := http.ParseTime(r.header.Get("Date")); err != nil || !d.Equal(e.clock.Now()) {
			t.Errorf("Date %q is not the emulator's clock %v", r.header.Get("Date"), e.clock.Now())
		}
	}
	r := e.do("GET", "/v1/apps", nil)
	if r.status != http.StatusTooManyRequests || r.errorCode(t) != "RATE_LIMIT_EXCEEDED" {
		t.Fatalf("over budget: %d %s", r.status, r.body)
	}
	if got := r.header.Get("X-Rate-Limit"); got != "user-hour-lim:3;user-hour-rem:0;" {
		t.Errorf("429 X-Rate-Limit %q", got)
	}
	// The budget is per key.
	k2 := genKey(t, "SECONDKEY1", false, RoleAdmin)
	e.srv.AddKey(k2.Key)
	if r := e.do("GET", "/v1/apps", nil, k2.token(t, e.clock.Now())); r.status != 200 {
		t.Errorf("second key limited by the first key's budget: %d", r.status)
	}
	// A rolling hour later the budget is back.
	e.clock.Advance(time.Hour + time.Second)
	r = e.do("GET", "/v1/apps", nil)
	if r.status != 200 || r.header.Get("X-Rate-Limit") != "user-hour-lim:3;user-hour-rem:2;" {
		t.Errorf("after an hour: %d %q", r.status, r.header.Get("X-Rate-Limit"))
	}
}

func TestNumericTime(t *testing.T) {
	if _, ok := numericTime("123"); ok {
		t.Error("string iat accepted")
	}
	if tm, ok := numericTime(float64(1700000000)); !ok || tm.Unix() != 1700000000 {
		t.Error("numeric iat refused")
	}
	if !errors.Is(ErrExpired, ErrExpired) {
		t.Fatal("sentinel")
	}
}

// TestEveryOperationRefuses sweeps every emulated operation through the
// refusals that come before its handler: no token (401), a role without
// access (403) and a spent budget (429), each answered in Apple's shape.
func TestEveryOperationRefuses(t *testing.T) {
	e := newEnv(t, Config{})
	finance := genKey(t, "FINANCE001", false, RoleFinance)
	e.srv.AddKey(finance.Key)
	limited := newEnv(t, Config{RateLimitPerHour: 1})
	spent := limited.key
	if r := limited.do("GET", "/v1/apps", nil); r.status != 200 {
		t.Fatalf("first request: %d", r.status)
	}
	for _, rt := range routes {
		method, p, _ := strings.Cut(rt.pattern, " ")
		p = strings.ReplaceAll(p, "{id}", "x")
		t.Run(rt.op, func(t *testing.T) {
			if r := e.do(method, p, nil, "-"); r.status != 401 || r.errorCode(t) != "NOT_AUTHORIZED" {
				t.Errorf("no token: %d %s", r.status, r.body)
			}
			if r := limited.do(method, p, nil, spent.token(t, limited.clock.Now())); r.status != 429 || r.errorCode(t) != "RATE_LIMIT_EXCEEDED" {
				t.Errorf("spent budget: %d %s", r.status, r.body)
			}
			r := e.do(method, p, nil, finance.token(t, e.clock.Now()))
			if rt.access == AccessRead {
				if r.status == 403 {
					t.Errorf("FINANCE refused a read: %s", r.body)
				}
			} else if r.status != 403 || r.errorCode(t) != "FORBIDDEN_ERROR" {
				t.Errorf("FINANCE: %d %s", r.status, r.body)
			}
		})
	}
}
