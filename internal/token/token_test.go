package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/testkeys"
)

const (
	testKeyID  = "ABCDE12345"
	testIssuer = "57246542-96fe-1a63-e053-0824d011072a"
)

// verifyES256 checks a JWT with crypto/ecdsa alone (not the library that
// signed it) and returns its header and claims as generic JSON.
func verifyES256(t *testing.T, tok string, pub *ecdsa.PublicKey) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature is not 64 raw bytes: %v", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, sum[:], r, s) {
		t.Fatal("signature does not verify against the key's public half")
	}
	var header, claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func TestMintedTokensVerifyWithExactlyTheClaims(t *testing.T) {
	key := testkeys.New(t).Private
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	scope := []string{"GET /v1/apps?filter[platform]=IOS", "POST /v1/buildUploads"}
	cases := []struct {
		name   string
		opts   Options
		claims map[string]any
	}{
		{"team", Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team},
			map[string]any{"iss": testIssuer, "aud": "appstoreconnect-v1"}},
		{"team with scope", Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team, Scope: scope},
			map[string]any{"iss": testIssuer, "aud": "appstoreconnect-v1", "scope": []any{scope[0], scope[1]}}},
		{"individual", Options{KeyID: testKeyID, Type: Individual},
			map[string]any{"sub": "user", "aud": "appstoreconnect-v1"}},
		{"individual with scope", Options{KeyID: testKeyID, Type: Individual, Scope: scope[:1]},
			map[string]any{"sub": "user", "aud": "appstoreconnect-v1", "scope": []any{scope[0]}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMinter(key, tc.opts, clock)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := m.Mint()
			if err != nil {
				t.Fatal(err)
			}
			header, claims := verifyES256(t, tok.Value, &key.PublicKey)
			wantHeader := map[string]any{"alg": "ES256", "kid": testKeyID, "typ": "JWT"}
			if !reflect.DeepEqual(header, wantHeader) {
				t.Errorf("header = %v, want %v", header, wantHeader)
			}
			iat := now.Add(-DefaultBackdate)
			tc.claims["iat"] = float64(iat.Unix())
			tc.claims["exp"] = float64(iat.Add(MaxLifetime).Unix())
			if !reflect.DeepEqual(claims, tc.claims) {
				t.Errorf("claims = %v\nwant %v", claims, tc.claims)
			}
			if !tok.ExpiresAt.Equal(iat.Add(MaxLifetime)) {
				t.Errorf("ExpiresAt = %v", tok.ExpiresAt)
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	long := 30 * 24 * time.Hour
	cases := []struct {
		name string
		opts Options
		want error
	}{
		{"team ok", Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil},
		{"bad key id", Options{KeyID: "abc", IssuerID: testIssuer, Type: Team}, ErrKeyID},
		{"team without issuer", Options{KeyID: testKeyID, Type: Team}, ErrIssuerID},
		{"unknown type", Options{KeyID: testKeyID, Type: "robot"}, ErrKeyType},
		{"21 minutes unscoped", Options{KeyID: testKeyID, Type: Individual, Lifetime: 21 * time.Minute}, ErrLifetime},
		{"long on apps", Options{KeyID: testKeyID, Type: Individual, Lifetime: long, Scope: []string{"GET /v1/apps"}}, ErrLifetime},
		{"long POST on ciProducts", Options{KeyID: testKeyID, Type: Individual, Lifetime: long, Scope: []string{"POST /v1/ciProducts"}}, ErrLifetime},
		{"long GET on ciProducts", Options{KeyID: testKeyID, Type: Individual, Lifetime: long, Scope: []string{"GET /v1/ciProducts", "GET /v1/ciProducts/123/workflows"}}, ErrLifetime},
		{"long GET on ci resources", Options{KeyID: testKeyID, Type: Individual, Lifetime: long, Scope: []string{"GET /v1/ciProducts", "GET /v1/ciBuildRuns/1/actions"}}, ErrLifetime},
		{"long GET ok", Options{KeyID: testKeyID, Type: Individual, Lifetime: long, Scope: []string{"GET /v1/ciProducts", "GET /v1/scmRepositories?limit=5", "GET /v1/ciWorkflows/9"}}, nil},
		{"over 180 days", Options{KeyID: testKeyID, Type: Individual, Lifetime: 181 * 24 * time.Hour, Scope: []string{"GET /v1/ciProducts"}}, ErrLifetime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.want == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestInputParsers(t *testing.T) {
	if id, err := ParseKeyID(` "ABCDE12345" `); err != nil || id != testKeyID {
		t.Errorf("quoted key id: %q %v", id, err)
	}
	if _, err := ParseKeyID("abcde12345"); err == nil || !strings.Contains(err.Error(), "lower-case") {
		t.Errorf("lower-case key id: %v", err)
	}
	if _, err := ParseKeyID("ABCDE1234"); !errors.Is(err, ErrKeyID) || !strings.Contains(err.Error(), "Users and Access") {
		t.Errorf("short key id: %v", err)
	}
	if id, err := ParseIssuerID("'" + strings.ToUpper(testIssuer) + "'"); err != nil || id != testIssuer {
		t.Errorf("issuer: %q %v", id, err)
	}
	if _, err := ParseIssuerID("not-a-uuid"); !errors.Is(err, ErrIssuerID) {
		t.Errorf("bad issuer: %v", err)
	}
	for _, tc := range []struct {
		in, issuer string
		want       KeyType
		err        bool
	}{
		{"", testIssuer, Team, false}, {"", "", Individual, false}, {"Team", testIssuer, Team, false},
		{"team", "", "", true}, {"individual", testIssuer, Individual, false}, {"admin", "", "", true},
	} {
		got, err := ParseKeyType(tc.in, tc.issuer)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseKeyType(%q,%q) = %q, %v", tc.in, tc.issuer, got, err)
		}
	}
	sc, err := ParseScope("GET /v1/apps\r\n\n  POST   /v1/buildUploads \nGET /v1/apps?filter[bundleId]=com.x\n")
	if err != nil || len(sc) != 3 || sc[1] != "POST /v1/buildUploads" {
		t.Errorf("scope = %q, %v", sc, err)
	}
	for _, bad := range []string{"FETCH /v1/apps", "GET apps", "GET /apps", "GET"} {
		if _, err := ParseScope(bad); !errors.Is(err, ErrScope) {
			t.Errorf("scope %q accepted: %v", bad, err)
		}
	}
	for in, want := range map[string]time.Duration{"": MaxLifetime, "900": 15 * time.Minute, "15m": 15 * time.Minute, "30d": 720 * time.Hour, `"10m"`: 10 * time.Minute} {
		if got, err := ParseLifetime(in); err != nil || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"-5", "0", "soon", "0s"} {
		if _, err := ParseLifetime(bad); err == nil {
			t.Errorf("ParseLifetime(%q) accepted", bad)
		}
	}
}

// TestSourceNeverHandsOutAnExpiredToken runs a fake clock across two hours
// of requests arriving every 7 seconds and checks every token handed out.
func TestSourceNeverHandsOutAnExpiredToken(t *testing.T) {
	key := testkeys.New(t).Private
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m, err := NewMinter(key, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, clock)
	if err != nil {
		t.Fatal(err)
	}
	minted := 0
	src := NewSource(m, 0, func(Token) { minted++ })
	end := now.Add(2 * time.Hour)
	for clock().Before(end) {
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, claims := verifyES256(t, tok, &key.PublicKey)
		exp := time.Unix(int64(claims["exp"].(float64)), 0)
		if !clock().Add(time.Minute).Before(exp) {
			t.Fatalf("at %v handed out a token expiring %v", clock(), exp)
		}
		mu.Lock()
		now = now.Add(7 * time.Second)
		mu.Unlock()
	}
	// 2 h with tokens renewed 5 min before their 19 min of validity: about 9.
	if minted < 8 || minted > 10 {
		t.Errorf("minted %d tokens over two hours", minted)
	}
	before := minted
	if _, err := src.Renew(context.Background()); err != nil || minted != before+1 {
		t.Errorf("Renew did not mint: %v", err)
	}
}

func TestClockOffsetShiftsClaims(t *testing.T) {
	key := testkeys.New(t).Private
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, _ := NewMinter(key, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, func() time.Time { return now })
	src := NewSource(m, 0, nil)
	first, _ := src.Current()
	src.SetClockOffset(-3 * time.Minute)
	second, _ := src.Current()
	if first.Value == second.Value {
		t.Fatal("offset did not drop the cached token")
	}
	_, claims := verifyES256(t, second.Value, &key.PublicKey)
	wantIat := now.Add(-3 * time.Minute).Add(-DefaultBackdate).Unix()
	if int64(claims["iat"].(float64)) != wantIat {
		t.Errorf("iat = %v, want %v", claims["iat"], wantIat)
	}
	if !second.ExpiresAt.Equal(now.Add(-DefaultBackdate).Add(MaxLifetime)) {
		t.Errorf("local ExpiresAt = %v", second.ExpiresAt)
	}
}

func TestConcurrentUseMintsOnce(t *testing.T) {
	key := testkeys.New(t).Private
	m, _ := NewMinter(key, Options{KeyID: testKeyID, Type: Individual}, nil)
	var minted int
	src := NewSource(m, 0, func(Token) { minted++ })
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = src.Token(context.Background()) }()
	}
	wg.Wait()
	if minted != 1 {
		t.Errorf("minted %d tokens for concurrent callers", minted)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func BenchmarkMint(b *testing.B) {
	key := testkeys.New(b).Private
	m, _ := NewMinter(key, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Mint(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSASign signs the same bytes a Mint signs, with nothing
// else, as the floor to compare BenchmarkMint with.
func BenchmarkBareECDSASign(b *testing.B) {
	key := testkeys.New(b).Private
	m, _ := NewMinter(key, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	tok, _ := m.Mint()
	signing := tok.Value[:strings.LastIndexByte(tok.Value, '.')]
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256([]byte(signing))
		if _, _, err := ecdsa.Sign(rand.Reader, key, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSourceCached(b *testing.B) {
	key := testkeys.New(b).Private
	m, _ := NewMinter(key, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	src := NewSource(m, 0, nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// countingSigner is a Signer other than the in-memory key, as a KMS is: it
// signs with a key it holds and counts the calls, or fails as told.
type countingSigner struct {
	key   *ecdsa.PrivateKey
	calls int
	err   error
	raw   []byte // returned instead of a signature when not nil
}

func (c *countingSigner) Public() crypto.PublicKey { return &c.key.PublicKey }

func (c *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	c.calls++
	if c.err != nil {
		return nil, c.err
	}
	if c.raw != nil {
		return c.raw, nil
	}
	if opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, errors.New("not a SHA-256 digest")
	}
	return c.key.Sign(r, digest, opts)
}

func TestMintSignsThroughAnySigner(t *testing.T) {
	key := testkeys.New(t).Private
	s := &countingSigner{key: key}
	m, err := NewMinter(s, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource(m, 0, nil)
	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		verifyES256(t, tok, &key.PublicKey)
	}
	if s.calls != 1 {
		t.Errorf("the signer was called %d times for one cached token, want 1", s.calls)
	}

	denied := errors.New("kms: access denied (kms:Sign)")
	m, _ = NewMinter(&countingSigner{key: key, err: denied}, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	if _, err := m.Mint(); !errors.Is(err, denied) {
		t.Errorf("a signer's error is lost: %v", err)
	}
	m, _ = NewMinter(&countingSigner{key: key, raw: []byte("not DER")}, Options{KeyID: testKeyID, IssuerID: testIssuer, Type: Team}, nil)
	if _, err := m.Mint(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a signature that is not DER: %v", err)
	}
}

func TestNewMinterRefusesKeysOtherThanP256(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := NewMinter(p384, Options{KeyID: testKeyID, Type: Individual}, nil); !errors.Is(err, ErrNotP256) {
		t.Errorf("P-384: %v", err)
	}
	var nilKey *ecdsa.PrivateKey
	if _, err := NewMinter(nilKey, Options{KeyID: testKeyID, Type: Individual}, nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("nil key: %v", err)
	}
}

func TestJWSSignature(t *testing.T) {
	key := testkeys.New(t).Private
	short := 0
	for i := range 2000 {
		digest := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig, err := JWSSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if r.BitLen() <= 248 || s.BitLen() <= 248 {
			short++ // r or s with a leading zero byte: the padding path
		}
		if !ecdsa.Verify(&key.PublicKey, digest[:], r, s) {
			t.Fatalf("signature %d does not verify after conversion", i)
		}
	}
	if short == 0 {
		t.Error("no r or s shorter than 32 bytes in 2000 signatures: the padding path was not exercised")
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x01}, append([]byte{0x30, 0x26, 0x02, 0x21}, make([]byte, 38)...)} {
		if _, err := JWSSignature(bad); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%x: %v", bad, err)
		}
	}
}
