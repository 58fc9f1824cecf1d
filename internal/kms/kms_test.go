package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/asc-action/asc-action/internal/testkeys"
)

func spki(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemOf(t *testing.T, pub crypto.PublicKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki(t, pub)}))
}

// signAndCheck signs a digest through s and checks it with the key's public half.
func signAndCheck(t *testing.T, s *Signer, pub *ecdsa.PublicKey) {
	t.Helper()
	sum := sha256.Sum256([]byte("header.claims"))
	der, err := s.Sign(nil, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub, sum[:], der) {
		t.Fatal("the KMS signature does not verify with the key's public half")
	}
}

func TestIsURIAndBadURIs(t *testing.T) {
	for _, v := range []string{"awskms:///alias/x", " gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k ", "azurekms://v.vault.azure.net/k", "hashivault://k", "AWSKMS:///alias/x"} {
		if !IsURI(v) {
			t.Errorf("IsURI(%q) = false", v)
		}
	}
	for _, v := range []string{"", "-----BEGIN PRIVATE KEY-----", "AuthKey_ABCDE12345.p8", "kms://x", "https://kms.amazonaws.com",
		"awskms:///alias/x\n-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----", "hashivault://k extra"} {
		if IsURI(v) {
			t.Errorf("IsURI(%q) = true", v)
		}
	}
	for _, v := range []string{"awskms://", "gcpkms://projects/p", "azurekms://vault-only", "hashivault://"} {
		_, err := Open(context.Background(), v)
		if !errors.Is(err, ErrBadURI) || !strings.Contains(err.Error(), "write it as") {
			t.Errorf("Open(%q) = %v", v, err)
		}
	}
}

// fakeAWS speaks AWS KMS's JSON protocol for GetPublicKey, DescribeKey and
// Sign; fail names an operation to refuse with an error code.
type fakeAWS struct {
	key        *ecdsa.PrivateKey
	pub        crypto.PublicKey
	failOp     string
	failCode   string
	usage      string                     // KeyUsage; SIGN_VERIFY when empty
	signature  func(digest []byte) []byte // replaces the signature when set
	hugeOp     string                     // answer this operation with 250 MB
	requests   atomic.Int32
	operations []string
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	f.operations = append(f.operations, op)
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if op == f.failOp {
		w.Header().Set("X-Amzn-Errortype", f.failCode)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": f.failCode, "message": "refused by the fake for " + op})
		return
	}
	if op == f.hugeOp {
		streamHuge(w)
		return
	}
	switch op {
	case "GetPublicKey":
		usage, algs := "SIGN_VERIFY", []string{"ECDSA_SHA_256"}
		if f.usage != "" {
			usage, algs = f.usage, nil
		}
		json.NewEncoder(w).Encode(map[string]any{"KeyId": "k", "PublicKey": spkiRaw(f.pub), "KeySpec": "ECC_NIST_P256", "KeyUsage": usage, "SigningAlgorithms": algs, "KeyAgreementAlgorithms": []string{"ECDH"}})
	case "DescribeKey":
		json.NewEncoder(w).Encode(map[string]any{"KeyMetadata": map[string]any{"KeyId": "k", "KeyState": "Enabled", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": []string{"ECDSA_SHA_256"}}})
	case "Sign":
		msg, _ := base64.StdEncoding.DecodeString(in["Message"].(string))
		if in["SigningAlgorithm"] != "ECDSA_SHA_256" || in["MessageType"] != "DIGEST" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sig, _ := ecdsa.SignASN1(rand.Reader, f.key, msg)
		if f.signature != nil {
			sig = f.signature(msg)
		}
		json.NewEncoder(w).Encode(map[string]any{"KeyId": "k", "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"})
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func spkiRaw(pub crypto.PublicKey) []byte { der, _ := x509.MarshalPKIXPublicKey(pub); return der }

func awsEnv(t *testing.T, url string) {
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL_KMS", url)
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "c"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "s"))
}

// AWS KMS's refusals, from a fake that answers as AWS does: access denied
// names the operation's permission and is not retried.
func TestAWSRefusals(t *testing.T) {
	key := testkeys.New(t).Private
	cases := []struct {
		op, code string
		kind     error
		want     string
	}{
		{"GetPublicKey", "AccessDeniedException", ErrAccessDenied, "grant kms:GetPublicKey"},
		{"Sign", "AccessDeniedException", ErrAccessDenied, "grant kms:Sign"},
		{"GetPublicKey", "NotFoundException", ErrKeyNotFound, "no such key"},
		{"Sign", "DisabledException", ErrKeyDisabled, "enable the key"},
		{"Sign", "KMSInvalidStateException", ErrKeyDisabled, "cancel its deletion"},
		{"Sign", "InvalidKeyUsageException", ErrWrongKeyType, "P-256 signing key"},
		{"GetPublicKey", "UnrecognizedClientException", ErrNoCredentials, "aws-actions/configure-aws-credentials"},
		// A role session that ended during a long step.
		{"Sign", "ExpiredTokenException", ErrExpired, "role-duration-seconds"},
		{"GetPublicKey", "ExpiredTokenException", ErrExpired, "last 1 hour"},
	}
	for _, tc := range cases {
		t.Run(tc.op+" "+tc.code, func(t *testing.T) {
			f := &fakeAWS{key: key, pub: &key.PublicKey, failOp: tc.op, failCode: tc.code}
			ts := httptest.NewServer(f)
			defer ts.Close()
			awsEnv(t, ts.URL)
			err := openAndSign(t, "awskms:///alias/app-store-connect", tc.kind, tc.want)
			// openAndSign checked the kind: none of these is ErrUnavailable.
			var ke *Error
			if !errors.As(err, &ke) || errors.Is(err, ErrUnavailable) {
				t.Errorf("not a permanent *Error: %#v", err)
			}
			refused := 0
			for _, op := range f.operations {
				if op == tc.op {
					refused++
				}
			}
			if refused != 1 {
				t.Errorf("%s was sent %d times; a permanent refusal must not be retried", tc.op, refused)
			}
		})
	}

	t.Run("signs", func(t *testing.T) {
		ts := httptest.NewServer(&fakeAWS{key: key, pub: &key.PublicKey})
		defer ts.Close()
		awsEnv(t, ts.URL)
		s, err := Open(context.Background(), "awskms:///alias/app-store-connect")
		if err != nil {
			t.Fatal(err)
		}
		signAndCheck(t, s, &key.PublicKey)
	})

	t.Run("key agreement key", func(t *testing.T) {
		// A P-256 key for ECDH: refused at open, by name, not a panic at
		// the first signature.
		f := &fakeAWS{key: key, pub: &key.PublicKey, usage: "KEY_AGREEMENT"}
		ts := httptest.NewServer(f)
		defer ts.Close()
		awsEnv(t, ts.URL)
		openAndSign(t, "awskms:///alias/app-store-connect", ErrWrongKeyType, "KeyUsage is KEY_AGREEMENT")
		if slices.Contains(f.operations, "Sign") {
			t.Error("Sign was sent for a key-agreement key")
		}
	})

	t.Run("RSA key", func(t *testing.T) {
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		ts := httptest.NewServer(&fakeAWS{key: key, pub: &rk.PublicKey})
		defer ts.Close()
		awsEnv(t, ts.URL)
		_, err := Open(context.Background(), "awskms:///alias/app-store-connect")
		if !errors.Is(err, ErrWrongKeyType) || !strings.Contains(err.Error(), "RSA-2048") {
			t.Fatal(err)
		}
	})
}

// fakeVault answers Vault's transit API: the key's public half and signing.
type fakeVault struct {
	key       *ecdsa.PrivateKey
	pubPEM    string
	status    map[string]int // path prefix -> status to refuse with
	hang      bool           // never answer
	huge      bool           // answer 250 MB
	signature func(digest []byte) []byte
	requests  atomic.Int32 // every request but lookup-self
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/auth/token/lookup-self" {
		f.requests.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	if f.hang {
		<-r.Context().Done()
		return
	}
	if f.huge {
		streamHuge(w)
		return
	}
	switch r.Header.Get("X-Vault-Token") {
	case "hvs.fake":
	case "hvs.expired":
		// Vault's answer to an expired or revoked token, on every path.
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]any{"errors": []string{"permission denied"}})
		return
	default:
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]any{"errors": []string{"permission denied", "invalid token"}})
		return
	}
	if r.URL.Path == "/v1/auth/token/lookup-self" {
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"ttl": 3600, "policies": []string{"default", "asc"}}})
		return
	}
	for prefix, code := range f.status {
		if strings.HasPrefix(r.URL.Path, prefix) {
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]any{"errors": []string{"1 error occurred:\n\t* permission denied\n\n"}})
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/v1/transit/keys/aes" || r.URL.Path == "/v1/transit/keys/hmac"):
		typ := map[string]string{"/v1/transit/keys/aes": "aes256-gcm96", "/v1/transit/keys/hmac": "hmac"}[r.URL.Path]
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"type": typ, "latest_version": 1, "supports_signing": false,
			"keys": map[string]any{"1": 1700000000}}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/transit/keys/asc":
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"type": "ecdsa-p256", "latest_version": 1,
			"keys": map[string]any{"1": map[string]any{"name": "P-256", "public_key": f.pubPEM}}}})
	case (r.Method == http.MethodPut || r.Method == http.MethodPost) && r.URL.Path == "/v1/transit/sign/asc/sha2-256":
		var in struct {
			Input     string `json:"input"`
			Prehashed bool   `json:"prehashed"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		digest, _ := base64.StdEncoding.DecodeString(in.Input)
		if !in.Prehashed || len(digest) != 32 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sig, _ := ecdsa.SignASN1(rand.Reader, f.key, digest)
		if f.signature != nil {
			sig = f.signature(digest)
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig)}})
	default:
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"errors": []string{}})
	}
}

func vaultEnv(t *testing.T, url, token string) {
	t.Setenv("VAULT_ADDR", url)
	t.Setenv("VAULT_TOKEN", token)
	t.Setenv("HOME", t.TempDir()) // no ~/.vault-token
	t.Setenv("VAULT_MAX_RETRIES", "2")
}

func TestVaultTransit(t *testing.T) {
	key := testkeys.New(t).Private
	f := &fakeVault{key: key, pubPEM: pemOf(t, &key.PublicKey)}
	ts := httptest.NewServer(f)
	defer ts.Close()

	t.Run("signs", func(t *testing.T) {
		vaultEnv(t, ts.URL, "hvs.fake")
		s, err := Open(context.Background(), "hashivault://asc")
		if err != nil {
			t.Fatal(err)
		}
		signAndCheck(t, s, &key.PublicKey)
	})
	cases := []struct {
		name, uri, token string
		status           map[string]int
		kind             error
		want             string
	}{
		{"sign denied", "hashivault://asc", "hvs.fake", map[string]int{"/v1/transit/sign/": 403}, ErrAccessDenied, `"update" on transit/sign/KEY`},
		{"read denied", "hashivault://asc", "hvs.fake", map[string]int{"/v1/transit/keys/": 403}, ErrAccessDenied, `"read" on transit/keys/KEY`},
		{"bad token", "hashivault://asc", "hvs.wrong", nil, ErrExpired, "hashicorp/vault-action"},
		// An expired token: Vault answers "permission denied", as to a
		// token without the policy, but refuses its lookup-self too.
		{"expired token", "hashivault://asc", "hvs.expired", nil, ErrExpired, "token_ttl"},
		{"no such key", "hashivault://other", "hvs.fake", nil, ErrKeyNotFound, "no such key"},
		{"aes key", "hashivault://aes", "hvs.fake", nil, ErrWrongKeyType, `its type is "aes256-gcm96"`},
		{"hmac key", "hashivault://hmac", "hvs.fake", nil, ErrWrongKeyType, `its type is "hmac"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vaultEnv(t, ts.URL, tc.token)
			f.status = tc.status
			defer func() { f.status = nil }()
			before := f.requests.Load()
			openAndSign(t, tc.uri, tc.kind, tc.want)
			if n := f.requests.Load() - before; n > 2 { // lookup-self not counted
				t.Errorf("%d requests: a permanent refusal was retried", n)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		vaultEnv(t, ts.URL, "")
		_, err := Open(context.Background(), "hashivault://asc")
		if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "VAULT_TOKEN") {
			t.Fatal(err)
		}
	})
}

func p384(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openAndSign opens uri and signs a digest with it, and fails the test
// unless that is refused with an error of kind whose text holds want.
func openAndSign(t *testing.T, uri string, kind error, want string) error {
	t.Helper()
	s, err := Open(context.Background(), uri)
	if err == nil {
		sum := sha256.Sum256(nil)
		_, err = s.Sign(nil, sum[:], crypto.SHA256)
	}
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %v with %q", err, kind, want)
	}
	t.Log(err)
	return err
}
