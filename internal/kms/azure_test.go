package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	tenant   string // the vault's tenant, named in its challenge
}

func (f *fakeKeyVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer fake-access-token" {
		tenant := f.tenant
		if tenant == "" {
			tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, tenant, f.resource))
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

// fakeEntra plays Microsoft Entra ID's endpoints a confidential client with
// a client assertion uses: instance and tenant discovery, and the token
// endpoint, which accepts only an assertion the fake GitHub OIDC endpoint
// issued.
type fakeEntra struct {
	t        *testing.T
	issued   func(string) bool
	tokens   atomic.Int32
	lifetime int // expires_in, seconds
}

func (f *fakeEntra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := "https://" + r.Host
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/discovery/instance"):
		json.NewEncoder(w).Encode(map[string]any{"tenant_discovery_endpoint": base + "/tenant-1/v2.0/.well-known/openid-configuration",
			"api-version": "1.1", "metadata": []any{map[string]any{"preferred_network": r.Host, "preferred_cache": r.Host, "aliases": []string{r.Host}}}})
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		json.NewEncoder(w).Encode(map[string]any{"token_endpoint": base + "/tenant-1/oauth2/v2.0/token",
			"authorization_endpoint": base + "/tenant-1/oauth2/v2.0/authorize", "issuer": base + "/tenant-1/v2.0"})
	case r.URL.Path == "/tenant-1/oauth2/v2.0/token":
		r.ParseForm()
		if r.Form.Get("client_id") != "client-1" || r.Form.Get("grant_type") != "client_credentials" ||
			r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || !f.issued(r.Form.Get("client_assertion")) {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_description": "AADSTS700211: No matching federated identity record found."})
			return
		}
		f.tokens.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": f.lifetime, "access_token": "fake-access-token"})
	default:
		f.t.Errorf("Entra fake: unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// fakeGitHubOIDC is the runner's ID token endpoint: each request gets a new
// token, for the audience asked for.
type fakeGitHubOIDC struct {
	mu       sync.Mutex
	issued   map[string]bool
	requests atomic.Int32
	audience string
}

func (f *fakeGitHubOIDC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	if r.Header.Get("Authorization") != "bearer request-token-1" || r.URL.Query().Get("api-version") != "2.0" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audience = r.URL.Query().Get("audience")
	tok := fmt.Sprintf("github-oidc-token-%d", n)
	f.issued[tok] = true
	json.NewEncoder(w).Encode(map[string]string{"value": tok})
}

func (f *fakeGitHubOIDC) valid(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued[tok]
}

// In a job (either action) with AZURE_CLIENT_ID and AZURE_TENANT_ID and no
// other Azure credential, the step federates GitHub's OIDC token with Entra
// ID itself, asking the runner for a fresh one whenever the access token must
// be renewed, so a step of any length keeps signing.
func TestAzureGitHubOIDCFederation(t *testing.T) {
	key := testkeys.New(t).Private
	kv := &fakeKeyVault{key: key, crv: "P-256", enabled: true, tenant: "tenant-1"}
	vault := httptest.NewTLSServer(kv)
	defer vault.Close()
	host := strings.TrimPrefix(vault.URL, "https://")
	kv.resource = "https://0.0.1:" + strings.Split(host, ":")[1]
	oidc := &fakeGitHubOIDC{issued: map[string]bool{}}
	gh := httptest.NewServer(oidc)
	defer gh.Close()
	// Access tokens that must be renewed at every use.
	entra := &fakeEntra{t: t, issued: oidc.valid, lifetime: 0}
	login := httptest.NewTLSServer(entra)
	defer login.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vault.Certificate().Raw}), 0o600)
	t.Setenv("SSL_CERT_FILE", ca)
	for _, v := range []string{"AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AZURE_CLIENT_ID", "client-1")
	t.Setenv("AZURE_TENANT_ID", "tenant-1")
	t.Setenv("AZURE_AUTHORITY_HOST", login.URL)
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", gh.URL+"/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token-1")
	t.Setenv("PATH", "") // no az CLI

	s, err := Open(context.Background(), "azurekms://"+host+"/asc")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		signAndCheck(t, s, &key.PublicKey)
	}
	if oidc.audience != "api://AzureADTokenExchange" {
		t.Errorf("audience %q", oidc.audience)
	}
	// One access token for the key's read and one per signature, each from
	// a GitHub token fetched for it.
	if n, m := oidc.requests.Load(), entra.tokens.Load(); m < 4 || n < m {
		t.Errorf("%d GitHub OIDC tokens for %d access tokens; want a fresh GitHub token for each of at least 4", n, m)
	}

	t.Run("no id-token permission", func(t *testing.T) {
		t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "not-the-runner's")
		_, err := Open(context.Background(), "azurekms://"+host+"/asc")
		if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "id-token: write") || strings.Contains(err.Error(), "not-the-runner's") {
			t.Fatal(err)
		}
		t.Log(err)
	})
}
