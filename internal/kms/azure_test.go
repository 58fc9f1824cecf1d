package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// fakeKeyVault plays Azure Key Vault's key API (get key, sign) behind its
// challenge-based login, and the App Service managed identity endpoint
// DefaultAzureCredential gets its token from.
type fakeKeyVault struct {
	key      *ecdsa.PrivateKey
	crv      string
	enabled  bool
	forbid   string // "sign" or "get": answer 403 to it
	signs    atomic.Int32
	resource string
}

func (f *fakeKeyVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer fake-access-token" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="%s"`, f.resource))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fail := func(code int, errCode, msg string) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": errCode, "message": msg}})
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // keys/NAME[/VERSION][/sign]
	if len(parts) < 2 || parts[0] != "keys" || parts[1] != "asc" {
		fail(http.StatusNotFound, "KeyNotFound", "A key with (name/id) "+strings.Join(parts[1:], "/")+" was not found in this key vault.")
		return
	}
	isSign := strings.HasSuffix(r.URL.Path, "/sign")
	if isSign {
		f.signs.Add(1)
	}
	if !f.enabled {
		fail(http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled key.")
		return
	}
	if (isSign && f.forbid == "sign") || (!isSign && f.forbid == "get") {
		fail(http.StatusForbidden, "Forbidden", "Caller is not authorized to perform action on resource.")
		return
	}
	kid := "https://" + r.Host + "/keys/asc/0123456789abcdef"
	if !isSign {
		raw, _ := f.key.PublicKey.Bytes() // 0x04, X, Y
		x, y := raw[1:1+len(raw)/2], raw[1+len(raw)/2:]
		json.NewEncoder(w).Encode(map[string]any{"key": map[string]any{"kid": kid, "kty": "EC", "crv": f.crv,
			"x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y), "key_ops": []string{"sign"}},
			"attributes": map[string]any{"enabled": true}})
		return
	}
	var in struct{ Alg, Value string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	digest, _ := base64.RawURLEncoding.DecodeString(in.Value)
	if in.Alg != "ES256" || len(digest) != 32 {
		fail(http.StatusBadRequest, "BadParameter", "bad algorithm or digest")
		return
	}
	rr, ss, _ := ecdsa.Sign(rand.Reader, f.key, digest)
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	json.NewEncoder(w).Encode(map[string]any{"kid": kid, "value": base64.RawURLEncoding.EncodeToString(sig)})
}

func TestAzureKeyVault(t *testing.T) {
	key := testkeys.New(t).Private
	f := &fakeKeyVault{key: key, crv: "P-256", enabled: true}
	ts := httptest.NewTLSServer(f)
	defer ts.Close()
	// Key Vault's client checks that the challenge's resource is a parent
	// domain of the vault's host: "0.0.1:PORT" is one of "127.0.0.1:PORT".
	host := strings.TrimPrefix(ts.URL, "https://")
	f.resource = "https://0.0.1:" + strings.Split(host, ":")[1]
	// The client trusts the system's roots: give it the fake's certificate.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600)
	t.Setenv("SSL_CERT_FILE", ca)
	// An App Service managed identity: the token endpoint DefaultAzureCredential asks.
	var tokenRequests atomic.Int32
	mi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		if r.Header.Get("X-IDENTITY-HEADER") != "fake-identity-header" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "fake-access-token", "token_type": "Bearer",
			"expires_on": fmt.Sprint(time.Now().Add(time.Hour).Unix()), "resource": r.URL.Query().Get("resource")})
	}))
	defer mi.Close()
	for _, v := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("IDENTITY_ENDPOINT", mi.URL)
	t.Setenv("IDENTITY_HEADER", "fake-identity-header")
	t.Setenv("PATH", "") // no az CLI to fall back to

	uri := "azurekms://" + host + "/asc"
	t.Run("signs", func(t *testing.T) {
		s, err := Open(context.Background(), uri)
		if err != nil {
			t.Fatal(err)
		}
		signAndCheck(t, s, &key.PublicKey)
		if tokenRequests.Load() == 0 {
			t.Error("the managed identity endpoint was never asked")
		}
	})
	cases := []struct {
		name   string
		change func(*fakeKeyVault)
		uri    string
		kind   error
		want   string
		signs  int32
	}{
		{"sign denied", func(f *fakeKeyVault) { f.forbid = "sign" }, uri, ErrAccessDenied, "grant keys/sign", 1},
		{"get denied", func(f *fakeKeyVault) { f.forbid = "get" }, uri, ErrAccessDenied, "grant keys/get", 0},
		{"disabled", func(f *fakeKeyVault) { f.enabled = false }, uri, ErrKeyDisabled, "enable the key", 0},
		{"no such key", nil, "azurekms://" + host + "/other", ErrKeyNotFound, "no such key", 0},
		{"P-384", func(f *fakeKeyVault) { f.key = p384(t); f.crv = "P-384" }, uri, ErrWrongKeyType, "P-384", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, crv := f.key, f.crv
			defer func() { f.key, f.crv, f.enabled, f.forbid = key, crv, true, "" }()
			if tc.change != nil {
				tc.change(f)
			}
			before := f.signs.Load()
			openAndSign(t, tc.uri, tc.kind, tc.want)
			if n := f.signs.Load() - before; n != tc.signs {
				t.Errorf("%d sign requests, want %d: a permanent refusal must not be retried", n, tc.signs)
			}
		})
	}
}
