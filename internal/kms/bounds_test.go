package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// hugeAnswer is the size of the answer streamHuge sends: far past any limit.
const hugeAnswer = 250 << 20

// streamHuge answers 250 MB of one JSON string, so that a decoder reads on
// until something stops it, and stops when the client hangs up.
func streamHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "262144012")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(`{"data":{"x":"`)); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("a", 64<<10))
	for sent := 0; sent < hugeAnswer; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// allocated runs f and returns the bytes allocated meanwhile.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 250 MB answer from Vault or AWS is cut at MaxAnswerBytes: the error
// names the limit, and the step allocates a few MB, not hundreds.
func TestHugeAnswers(t *testing.T) {
	key := testkeys.New(t).Private
	t.Run("Vault", func(t *testing.T) {
		ts := httptest.NewServer(&fakeVault{key: key, huge: true})
		defer ts.Close()
		vaultEnv(t, ts.URL, "hvs.fake")
		var err error
		n := allocated(func() { _, err = Open(context.Background(), "hashivault://asc") })
		checkTooLarge(t, err, n)
	})
	t.Run("AWS", func(t *testing.T) {
		f := &fakeAWS{key: key, pub: &key.PublicKey, hugeOp: "GetPublicKey"}
		ts := httptest.NewServer(f)
		defer ts.Close()
		awsEnv(t, ts.URL)
		var err error
		n := allocated(func() { _, err = Open(context.Background(), "awskms:///alias/app-store-connect") })
		checkTooLarge(t, err, n)
	})
}

func checkTooLarge(t *testing.T, err error, alloc uint64) {
	t.Helper()
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "kms.MaxAnswerBytes") {
		t.Fatalf("got %v, want ErrTooLarge naming kms.MaxAnswerBytes", err)
	}
	if alloc > 64<<20 {
		t.Errorf("%d MB allocated reading a refused answer; the limit is %d bytes", alloc>>20, MaxAnswerBytes)
	}
	t.Log(err)
}

// A Vault that never answers fails the call within Timeout, and the error
// says which limit it hit.
func TestVaultNeverAnswers(t *testing.T) {
	saved := Timeout
	Timeout = 300 * time.Millisecond
	t.Cleanup(func() { Timeout = saved })
	ts := httptest.NewServer(&fakeVault{hang: true})
	defer ts.Close()
	vaultEnv(t, ts.URL, "hvs.fake")
	start := time.Now()
	_, err := Open(context.Background(), "hashivault://asc")
	if took := time.Since(start); took > 10*Timeout {
		t.Errorf("Open took %s with a bound of %s", took, Timeout)
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "kms.Timeout") {
		t.Fatalf("got %v, want ErrUnavailable naming kms.Timeout", err)
	}
	t.Log(err)
}

// Every signature is checked with the public key read at Open: one made by
// another key (a rotation) or a malformed one (r=1, s=1) is refused, naming
// the KMS and the key, and no signature is returned.
func TestSignatureVerified(t *testing.T) {
	key := testkeys.New(t).Private
	other := testkeys.New(t).Private
	bad := map[string]func([]byte) []byte{
		"another key": func(d []byte) []byte { s, _ := ecdsa.SignASN1(rand.Reader, other, d); return s },
		"r=1 s=1": func([]byte) []byte {
			s, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(1), big.NewInt(1)})
			return s
		},
		"garbage": func([]byte) []byte { return []byte("not a signature") },
	}
	for name, sig := range bad {
		t.Run("AWS "+name, func(t *testing.T) {
			ts := httptest.NewServer(&fakeAWS{key: key, pub: &key.PublicKey, signature: sig})
			defer ts.Close()
			awsEnv(t, ts.URL)
			checkBadSignature(t, "awskms:///alias/app-store-connect", "AWS KMS key awskms:///alias/app-store-connect")
		})
		t.Run("Vault "+name, func(t *testing.T) {
			ts := httptest.NewServer(&fakeVault{key: key, pubPEM: pemOf(t, &key.PublicKey), signature: sig})
			defer ts.Close()
			vaultEnv(t, ts.URL, "hvs.fake")
			checkBadSignature(t, "hashivault://asc", "HashiCorp Vault transit key hashivault://asc")
		})
	}
}

func checkBadSignature(t *testing.T, uri, names string) {
	t.Helper()
	s, err := Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("header.claims"))
	sig, err := s.Sign(nil, sum[:], crypto.SHA256)
	if sig != nil || !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), names) {
		t.Fatalf("got %x, %v; want no signature and ErrBadSignature naming %q", sig, err, names)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hashivault://user:s3cretpass@vault.example.com/asc", "hashivault://vault.example.com/asc"},
		{"awskms:///alias/x?X-Amz-Security-Token=tok3n", "awskms:///alias/x"},
		{"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k#frag", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"},
		{"azurekms://tok3n@v.vault.azure.net/k", "azurekms://v.vault.azure.net/k"},
		{"awskms:///alias/plain", "awskms:///alias/plain"},
		// A password holding "/", "?" or "#": nothing of it is printed.
		{"hashivault://user:pa/s3c?re#t@vault.example.com/asc", "hashivault://vault.example.com/asc"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if HoldsCredentials(tc.in) != (tc.in != tc.want) {
			t.Errorf("HoldsCredentials(%q) = %v", tc.in, !(tc.in != tc.want))
		}
	}
	parts := strings.Join(SecretParts("hashivault://user:s3cretpass@host/asc?token=q1#f2"), "|")
	for _, w := range []string{"user:s3cretpass", "s3cretpass", "token=q1", "f2"} {
		if !strings.Contains(parts, w) {
			t.Errorf("SecretParts lacks %q: %s", w, parts)
		}
	}
	parts = strings.Join(SecretParts("hashivault://user:pa/s3c#ret@host/asc"), "|")
	if !strings.Contains(parts, "|pa/s3c#ret") {
		t.Errorf("SecretParts lacks a password holding / and #: %s", parts)
	}
}

// A URI with credentials in it is refused, and no error prints them.
func TestOpenKeepsCredentialsOut(t *testing.T) {
	for _, uri := range []string{
		"hashivault://user:s3cretpass@vault.example.com/asc",
		"awskms://AKIDs3cretpass:x@/alias/x",
		"awskms:///alias/x?X-Amz-Security-Token=s3cretpass",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k#s3cretpass",
		"azurekms://s3cretpass@v.vault.azure.net/k",
		"vault://user:s3cretpass@host/k",
	} {
		_, err := Open(context.Background(), uri)
		if !errors.Is(err, ErrBadURI) || strings.Contains(err.Error(), "s3cretpass") {
			t.Errorf("Open(%q) = %v", Redact(uri), err)
		}
	}
}

// A credentials path that does not exist is left as it is: no file of the
// workspace with the same name stands in for it.
func TestWorkspacePathsLeftAlone(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An unrelated repository file whose tail matches the missing path.
	if err := os.WriteFile(filepath.Join(ws, "testdata", "credentials.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_WORKSPACE", ws)
	missing := "/home/runner/.config/gcloud/testdata/credentials.json"
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", missing)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/root/.aws/testdata/credentials.json")
	key := testkeys.New(t).Private
	ts := httptest.NewServer(&fakeVault{key: key, pubPEM: pemOf(t, &key.PublicKey)})
	defer ts.Close()
	vaultEnv(t, ts.URL, "hvs.fake")
	if _, err := Open(context.Background(), "hashivault://asc"); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); got != missing {
		t.Errorf("GOOGLE_APPLICATION_CREDENTIALS = %q, want it left as %q", got, missing)
	}
	if got := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); got != "/root/.aws/testdata/credentials.json" {
		t.Errorf("AWS_SHARED_CREDENTIALS_FILE = %q", got)
	}
}
