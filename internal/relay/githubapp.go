package relay

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v93/github"
)

// AppTokens mints GitHub App installation tokens for the dispatcher: a
// short RS256 JWT signed with the App's private key buys an installation
// token (one hour), kept until five minutes before it expires. Safe for
// concurrent use.
type AppTokens struct {
	appID          string
	installationID int64
	key            *rsa.PrivateKey
	client         *github.Client
	now            func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// appTokenMargin is how long before its expiry a token is replaced.
const appTokenMargin = 5 * time.Minute

// NewAppTokens reads the App's private key (the PEM GitHub gives, PKCS#1
// or PKCS#8) and returns a token source for installationID at apiURL.
// now may be nil (time.Now); httpClient may be nil.
func NewAppTokens(appID, installationID, privateKeyPEM, apiURL string, httpClient *http.Client, now func() time.Time) (*AppTokens, error) {
	if _, err := strconv.ParseInt(appID, 10, 64); err != nil {
		return nil, fmt.Errorf("github-app-id: %q is not the App's numeric ID (the App's settings page shows it)", appID)
	}
	inst, err := strconv.ParseInt(installationID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("github-app-installation-id: %q is not numeric (the installation's settings URL ends with it)", installationID)
	}
	key, err := parseRSAKey(privateKeyPEM)
	if err != nil {
		return nil, err
	}
	if apiURL == "" {
		apiURL = DefaultGitHubAPIURL
	}
	opts := []github.ClientOptionsFunc{github.WithURLs(&apiURL, &apiURL)}
	if httpClient != nil {
		opts = append(opts, github.WithHTTPClient(httpClient))
	}
	c, err := github.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github-api-url: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &AppTokens{appID: appID, installationID: inst, key: key, client: c, now: now}, nil
}

func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	const fix = "github-app-private-key: give the .pem file GitHub generated for the App (Settings > Developer settings > GitHub Apps > Private keys)"
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		return nil, errors.New(fix + ": no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if rk, ok := k.(*rsa.PrivateKey); err == nil && ok {
		return rk, nil
	}
	return nil, errors.New(fix + ": not an RSA private key")
}

// Token returns a valid installation token, minting one when needed.
func (a *AppTokens) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.token != "" && now.Before(a.expires.Add(-appTokenMargin)) {
		return a.token, nil
	}
	claims := jwt.RegisteredClaims{Issuer: a.appID, IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(now.Add(9 * time.Minute))}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
	if err != nil {
		return "", err
	}
	req, err := a.client.NewRequest(ctx, http.MethodPost, fmt.Sprintf("app/installations/%d/access_tokens", a.installationID), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+signed)
	var tok github.InstallationToken
	resp, err := a.client.Do(req, &tok)
	if err != nil {
		if resp != nil {
			return "", fmt.Errorf("GitHub refused an installation token (HTTP %d): check github-app-id, github-app-installation-id and the key", resp.StatusCode)
		}
		return "", errors.New("GitHub did not answer the installation token request")
	}
	if tok.GetToken() == "" {
		return "", errors.New("GitHub's installation token answer holds no token")
	}
	// GitHub's installation tokens last an hour; an answer without
	// expires_at is taken as that, so the token is still reused.
	exp := tok.GetExpiresAt().Time
	if exp.IsZero() {
		exp = now.Add(time.Hour)
	}
	a.token, a.expires = tok.GetToken(), exp
	return a.token, nil
}

// tokenTransport puts a fresh token on each request to GitHub.
type tokenTransport struct {
	base   http.RoundTripper
	tokens *AppTokens
}

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.tokens.Token(r.Context())
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r)
}

// NewGitHubApp returns a dispatcher to repo that authenticates with the
// App's installation tokens.
func NewGitHubApp(repo string, tokens *AppTokens, apiURL string, httpClient *http.Client) (*GitHub, error) {
	base := http.DefaultTransport
	if httpClient != nil && httpClient.Transport != nil {
		base = httpClient.Transport
	}
	hc := &http.Client{Transport: tokenTransport{base: base, tokens: tokens}}
	if httpClient != nil {
		hc.Timeout = httpClient.Timeout
	}
	return newGitHub(repo, apiURL, hc, nil)
}
