package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Token is a minted JWT and the times it carries.
type Token struct {
	Value     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Claims are the JWT claims App Store Connect reads.
type Claims struct {
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	IssuedAt  int64    `json:"iat"`
	ExpiresAt int64    `json:"exp"`
	Audience  string   `json:"aud"`
	Scope     []string `json:"scope,omitempty"`
}

// GetExpirationTime and the other methods satisfy jwt.Claims.
func (c Claims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}

// GetIssuedAt implements jwt.Claims.
func (c Claims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}

// GetNotBefore implements jwt.Claims; App Store Connect tokens carry no nbf.
func (c Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }

// GetIssuer implements jwt.Claims.
func (c Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c Claims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Audience}, nil }

// Signer is what signs tokens: the in-memory key (an *ecdsa.PrivateKey is
// one) or a key held in a KMS (internal/kms). It is crypto.Signer: Public
// returns the P-256 public key, and Sign gets a SHA-256 digest and returns
// the ASN.1 DER ECDSA signature, which Mint turns into the JWS r||s form.
type Signer = crypto.Signer

// Minter signs tokens for one key. It is safe for concurrent use.
type Minter struct {
	key    Signer
	opts   Options
	now    func() time.Time
	offset atomic.Int64 // nanoseconds added to now (server minus local clock)
}

// ErrNoKey is returned when a Minter is built without a key.
var ErrNoKey = errors.New("token: no private key")

// ErrNotP256 is returned when a signer's public key is not EC P-256.
var ErrNotP256 = errors.New("token: the key is not an EC P-256 key; App Store Connect tokens are ES256")

// NewMinter returns a Minter for validated options. now may be nil (time.Now).
func NewMinter(key Signer, opts Options, now func() time.Time) (*Minter, error) {
	if key == nil || (reflect.ValueOf(key).Kind() == reflect.Pointer && reflect.ValueOf(key).IsNil()) {
		return nil, ErrNoKey
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		return nil, ErrNotP256
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = MaxLifetime
	}
	if opts.Backdate == 0 {
		opts.Backdate = DefaultBackdate
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Minter{key: key, opts: opts, now: now}, nil
}

// Options returns the options the Minter signs with.
func (m *Minter) Options() Options { return m.opts }

// SetClockOffset shifts the minting clock by d, the measured difference
// between the server's clock and ours.
func (m *Minter) SetClockOffset(d time.Duration) { m.offset.Store(int64(d)) }

// ClockOffset returns the offset set by SetClockOffset.
func (m *Minter) ClockOffset() time.Duration { return time.Duration(m.offset.Load()) }

// Mint signs a new token. `iat` is set Backdate before now to absorb clock
// skew, and `exp` Lifetime after `iat`.
func (m *Minter) Mint() (Token, error) {
	now := m.now().Add(m.ClockOffset())
	iat := now.Add(-m.opts.Backdate).Truncate(time.Second)
	exp := iat.Add(m.opts.Lifetime)
	c := Claims{IssuedAt: iat.Unix(), ExpiresAt: exp.Unix(), Audience: Audience, Scope: m.opts.Scope}
	if m.opts.Type == Team {
		c.Issuer = m.opts.IssuerID
	} else {
		c.Subject = "user"
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = m.opts.KeyID
	t.Header["typ"] = "JWT"
	signing, err := t.SigningString()
	if err != nil {
		return Token{}, fmt.Errorf("token: encoding the claims: %w", err)
	}
	digest := sha256.Sum256([]byte(signing))
	der, err := m.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		// The in-memory key's errors carry no key material; a KMS's say
		// what the KMS refused (internal/kms classifies them).
		return Token{}, fmt.Errorf("token: signing with ES256: %w", err)
	}
	sig, err := JWSSignature(der)
	if err != nil {
		return Token{}, err
	}
	// exp is in the server's time; report it in local time.
	return Token{Value: signing + "." + base64.RawURLEncoding.EncodeToString(sig), IssuedAt: iat.Add(-m.ClockOffset()), ExpiresAt: exp.Add(-m.ClockOffset())}, nil
}

// ErrBadSignature is returned when a signer's answer is not a P-256 ECDSA
// signature in ASN.1 DER.
var ErrBadSignature = errors.New("token: the signer returned something that is not an ECDSA P-256 signature (ASN.1 DER)")

// JWSSignature converts an ASN.1 DER ECDSA P-256 signature (what crypto.Signer
// and every KMS return) to the JWS ES256 form: r and s as 32-byte big-endian
// integers, concatenated (RFC 7518 section 3.4).
func JWSSignature(der []byte) ([]byte, error) {
	var r, s []byte
	input := cryptobyte.String(der)
	var inner cryptobyte.String
	if !input.ReadASN1(&inner, asn1.SEQUENCE) || !input.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() {
		return nil, ErrBadSignature
	}
	out := make([]byte, 64)
	for i, v := range [][]byte{r, s} {
		// ReadASN1Integer into []byte gives the big-endian magnitude of a
		// positive integer, with no leading zero.
		if len(v) == 0 || len(v) > 32 {
			return nil, ErrBadSignature
		}
		copy(out[32*(i+1)-len(v):32*(i+1)], v)
	}
	return out, nil
}

// DefaultRenewBefore is how long before expiry a Source mints a new token.
const DefaultRenewBefore = 5 * time.Minute

// Source hands out a cached token and mints a new one shortly before the
// cached one expires, in the manner of oauth2.ReuseTokenSource. It is safe
// for concurrent use.
type Source struct {
	m           *Minter
	renewBefore time.Duration
	onMint      func(Token)

	mu  sync.Mutex
	cur Token
}

// NewSource returns a Source over m. onMint, when not nil, is called with
// every newly minted token (the adapter masks it before anything can print
// it). renewBefore 0 means DefaultRenewBefore, capped at half the lifetime.
func NewSource(m *Minter, renewBefore time.Duration, onMint func(Token)) *Source {
	if renewBefore <= 0 {
		renewBefore = DefaultRenewBefore
	}
	if half := m.opts.Lifetime / 2; renewBefore > half {
		renewBefore = half
	}
	return &Source{m: m, renewBefore: renewBefore, onMint: onMint}
}

// Current returns the cached token, minting one if none is fresh enough.
func (s *Source) Current() (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Value != "" && s.m.now().Add(s.renewBefore).Before(s.cur.ExpiresAt) {
		return s.cur, nil
	}
	return s.mintLocked()
}

func (s *Source) mintLocked() (Token, error) {
	t, err := s.m.Mint()
	if err != nil {
		return Token{}, err
	}
	s.cur = t
	if s.onMint != nil {
		s.onMint(t)
	}
	return t, nil
}

// Token returns a token good for at least the renewal margin.
func (s *Source) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t, err := s.Current()
	return t.Value, err
}

// Renew discards the cached token and mints a new one (after a 401).
func (s *Source) Renew(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mintLocked()
	return t.Value, err
}

// SetClockOffset shifts the minting clock (server minus local time) and
// drops the cached token, whose times were computed with the old clock.
func (s *Source) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.SetClockOffset(d)
	s.cur = Token{}
}

// Minter returns the Minter behind the Source.
func (s *Source) Minter() *Minter { return s.m }
