package e2e

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

const (
	keyID  = "ABCDE12345"
	issuer = "57246542-96fe-1a63-e053-0824d011072a"
)

func verifyJWT(t *testing.T, tok string, pub *ecdsa.PublicKey) map[string]any {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("token has %d parts", len(p))
	}
	sig, _ := base64.RawURLEncoding.DecodeString(p[2])
	sum := sha256.Sum256([]byte(p[0] + "." + p[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("token signature does not verify")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(p[1])
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestTokenStepOutputsAndMasks(t *testing.T) {
	k := newKey(t)
	forms := map[string]string{
		"pem":        k.pem,
		"escaped":    `"` + strings.ReplaceAll(strings.TrimSpace(k.pem), "\n", `\n`) + `"`,
		"base64-der": base64.StdEncoding.EncodeToString(k.der),
		"base64-pem": base64.StdEncoding.EncodeToString([]byte(k.pem)),
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			s := runStep(t, map[string]string{"private-key": form, "key-id": keyID, "issuer-id": issuer, "scope": "GET /v1/apps\nGET /v1/builds"})
			if s.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", s.code, actionstest.Masked(s.stdout, s.stdout), actionstest.Masked(s.stdout, s.stderr))
			}
			if s.outputErr != nil {
				t.Fatal(s.outputErr)
			}
			tok := s.outputs["token"]
			claims := verifyJWT(t, tok, &k.priv.PublicKey)
			if claims["iss"] != issuer || claims["aud"] != "appstoreconnect-v1" {
				t.Errorf("claims = %v", claims)
			}
			if sc, _ := claims["scope"].([]any); len(sc) != 2 {
				t.Errorf("scope claim = %v", claims["scope"])
			}
			if s.outputs["key-id"] != keyID || s.outputs["key-type"] != "team" {
				t.Errorf("outputs = %v", s.outputs)
			}
			exp, err := time.Parse(time.RFC3339, s.outputs["expires-at"])
			if err != nil || int64(claims["exp"].(float64)) != exp.Unix() {
				t.Errorf("expires-at %q vs exp %v (%v)", s.outputs["expires-at"], claims["exp"], err)
			}
			vals, firstOther := masks(s.stdout)
			if !slices.Contains(vals, tok) {
				t.Error("the token was not masked")
			}
			for _, m := range k.material() {
				if !slices.Contains(vals, m) {
					t.Errorf("key material (%d chars) was not masked", len(m))
				}
			}
			// Every mask comes before the first line that is not a mask.
			lines := strings.Split(s.stdout, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "::add-mask::") && firstOther >= 0 && i > firstOther {
					t.Errorf("mask on line %d comes after output on line %d", i, firstOther)
				}
			}
			assertNoLeak(t, s, append(k.material(), tok, strings.TrimSpace(form)), "token")
			for _, want := range []string{keyID, "SHA256:", "GET /v1/apps", "team"} {
				if !strings.Contains(s.summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, s.summary)
				}
			}
		})
	}
}

func TestTokenStepErrorPathsLeakNothing(t *testing.T) {
	k := newKey(t)
	other := newKey(t)
	body := strings.Split(strings.TrimSpace(k.pem), "\n")
	cases := []struct {
		name   string
		inputs map[string]string
		code   int
		msg    string
	}{
		{"no key", map[string]string{"key-id": keyID, "issuer-id": issuer}, 1, "no private key was given"},
		{"truncated key", map[string]string{"private-key": strings.Join(body[:2], "\n"), "key-id": keyID, "issuer-id": issuer}, 1, "truncated"},
		{"bad key id", map[string]string{"private-key": k.pem, "key-id": "abc", "issuer-id": issuer}, 1, "key-id is malformed"},
		{"bad issuer", map[string]string{"private-key": k.pem, "key-id": keyID, "issuer-id": "nope"}, 1, "issuer-id is malformed"},
		{"bad scope", map[string]string{"private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "scope": "FETCH apps"}, 1, "scope line 1"},
		{"too long", map[string]string{"private-key": k.pem, "key-id": keyID, "issuer-id": issuer, "expires-in": "2h"}, 1, "over 20 minutes"},
		{"unknown command", map[string]string{"private-key": k.pem, "command": "launch"}, 2, "not known"},
		{"team without issuer", map[string]string{"private-key": k.pem, "key-id": keyID, "key-type": "team"}, 1, "Issuer ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := runStep(t, tc.inputs)
			if s.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", s.code, tc.code, actionstest.Masked(s.stdout, s.stdout), actionstest.Masked(s.stdout, s.stderr))
			}
			if !strings.Contains(s.stdout, "::error") || !strings.Contains(s.stdout, tc.msg) {
				t.Errorf("no error annotation with %q:\n%s", tc.msg, actionstest.Masked(s.stdout, s.stdout))
			}
			if _, ok := s.outputs["token"]; ok {
				t.Error("a token output was set on an error path")
			}
			assertNoLeak(t, s, append(k.material(), other.material()...))
		})
	}
}

func TestIndividualKeyStep(t *testing.T) {
	k := newKey(t)
	s := runStep(t, map[string]string{"private-key": k.pem, "key-id": keyID, "key-type": "individual"})
	if s.code != 0 {
		t.Fatalf("exit %d: %s", s.code, actionstest.Masked(s.stdout, s.stdout))
	}
	claims := verifyJWT(t, s.outputs["token"], &k.priv.PublicKey)
	if claims["sub"] != "user" || claims["iss"] != nil {
		t.Errorf("claims = %v", claims)
	}
	if s.outputs["key-type"] != "individual" {
		t.Errorf("key-type = %q", s.outputs["key-type"])
	}
}
