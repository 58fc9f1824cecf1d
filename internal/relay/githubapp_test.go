package relay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/asc-action/asc-action/internal/testclock"
)

// TestGitHubAppTokens: the dispatcher buys an installation token with a
// JWT GitHub can verify with the App's public key, reuses it while valid,
// and buys another before it expires.
func TestGitHubAppTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	clock := testclock.New(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	minted, dispatchedWith := 0, []string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch r.Method + " " + r.URL.Path {
		case "POST /app/installations/42/access_tokens":
			var claims jwt.RegisteredClaims
			_, err := jwt.ParseWithClaims(auth, &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(clock.Now))
			if err != nil || claims.Issuer != "1234" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			minted++
			_ = json.NewEncoder(w).Encode(map[string]any{"token": "ghs_installation_" + string(rune('0'+minted)),
				"expires_at": clock.Now().Add(time.Hour).Format(time.RFC3339)})
		case "POST /repos/octo/app/dispatches":
			dispatchedWith = append(dispatchedWith, auth)
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	tokens, err := NewAppTokens("1234", "42", pemKey, srv.URL+"/", srv.Client(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGitHubApp("octo/app", tokens, srv.URL+"/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := g.Dispatch(ctx, "asc-x", map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(56 * time.Minute) // within five minutes of expiry: a new token
	if err := g.Dispatch(ctx, "asc-x", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ghs_installation_1", "ghs_installation_1", "ghs_installation_2"}
	if minted != 2 || strings.Join(dispatchedWith, ",") != strings.Join(want, ",") {
		t.Fatalf("minted %d, dispatched with %v; want 2, %v", minted, dispatchedWith, want)
	}
	for _, bad := range [][3]string{{"app", "42", pemKey}, {"1234", "x", pemKey}, {"1234", "42", "not a key"}} {
		if _, err := NewAppTokens(bad[0], bad[1], bad[2], "", nil, nil); err == nil {
			t.Errorf("accepted %q %q", bad[0], bad[1])
		}
	}
}

// TestGitHubAppTokenWithoutExpiry: an answer without expires_at is taken
// as GitHub's hour, so the token is reused rather than bought again for
// every dispatch.
func TestGitHubAppTokenWithoutExpiry(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	clock := testclock.New(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	minted := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		minted++
		_ = json.NewEncoder(w).Encode(map[string]any{"token": "ghs_installation_x"})
	}))
	defer srv.Close()
	tokens, err := NewAppTokens("1234", "42", pemKey, srv.URL+"/", srv.Client(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tokens.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Minute)
	}
	if minted != 1 {
		t.Errorf("minted %d tokens in 20 minutes; want 1", minted)
	}
}
