package emulator

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func publicPEM(t *testing.T, k testKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// A data file lists keys by Key ID, Issuer ID, role and public key: tokens
// they sign are accepted with the role's rights, and nothing else is needed
// (the key held in a KMS never leaves it).
func TestDataFileKeys(t *testing.T) {
	team := genKey(t, "KMSKEY0001", false, RoleDeveloper)
	indiv := genKey(t, "KMSKEY0002", true, "")
	clock := newClock()
	file := map[string]any{
		"apps": []any{map[string]any{"id": "1000000001", "bundleId": DemoBundleID, "name": "Demo"}},
		"keys": []any{
			map[string]any{"keyId": team.ID, "issuerId": team.IssuerID, "role": "developer", "publicKey": publicPEM(t, team)},
			map[string]any{"keyId": indiv.ID, "individual": true, "publicKey": publicPEM(t, indiv)},
		},
	}
	b, _ := json.Marshal(file)
	data, err := ParseData(b)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Data: data, Now: clock.Now})
	for _, k := range []testKey{team, indiv} {
		if r := e.do(http.MethodGet, "/v1/apps", nil, k.token(t, e.clock.Now())); r.status != http.StatusOK {
			t.Errorf("%s: GET /v1/apps: %d %s", k.ID, r.status, r.body)
		}
	}
	// The role is kept: a DEVELOPER may not create build uploads.
	body := map[string]any{"data": map[string]any{"type": "buildUploads",
		"attributes":    map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": "77", "platform": "IOS"},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": "1000000001"}}}}}
	if r := e.do(http.MethodPost, "/v1/buildUploads", body, team.token(t, e.clock.Now())); r.status != http.StatusForbidden {
		t.Errorf("DEVELOPER key created a build upload: %d", r.status)
	}
	// A key the file does not list is refused.
	other := genKey(t, "KMSKEY0003", false, "")
	if r := e.do(http.MethodGet, "/v1/apps", nil, other.token(t, e.clock.Now())); r.status != http.StatusUnauthorized {
		t.Errorf("unlisted key: %d", r.status)
	}
}

func TestDataFileKeysRefused(t *testing.T) {
	k := genKey(t, "KMSKEY0001", false, "")
	pub := publicPEM(t, k)
	cases := map[string]string{
		"bad key id":        `{"keys":[{"keyId":"abc","issuerId":"x","publicKey":` + q(pub) + `}]}`,
		"no issuer":         `{"keys":[{"keyId":"KMSKEY0001","publicKey":` + q(pub) + `}]}`,
		"issuer+individual": `{"keys":[{"keyId":"KMSKEY0001","issuerId":"x","individual":true,"publicKey":` + q(pub) + `}]}`,
		"private key":       `{"keys":[{"keyId":"KMSKEY0001","issuerId":"x","publicKey":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}]}`,
		"unknown role":      `{"keys":[{"keyId":"KMSKEY0001","issuerId":"x","role":"BOSS","publicKey":` + q(pub) + `}]}`,
		"twice":             `{"keys":[{"keyId":"KMSKEY0001","issuerId":"x","publicKey":` + q(pub) + `},{"keyId":"KMSKEY0001","issuerId":"x","publicKey":` + q(pub) + `}]}`,
	}
	for name, doc := range cases {
		_, err := ParseData([]byte(doc))
		if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "keys[") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }
