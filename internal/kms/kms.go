// Package kms signs App Store Connect tokens with a P-256 key held in a cloud
// KMS, named by URI as cosign names them: awskms://, gcpkms://, azurekms://,
// hashivault://. Each provider's file speaks to its KMS through the cloud's
// own SDK, behind crypto.Signer (the interface token.Minter signs through),
// and turns each provider's refusals into errors that say what to fix: the
// permission to grant, the key's state, the action that provides
// credentials. Every call is bounded in time (Timeout) and every answer in
// size (MaxAnswerBytes), and every signature is checked against the public
// key read at Open before it is returned. A URI names a key, it does not hold
// it; one that carries credentials anyway (user information, a query, a
// fragment) is printed without them (Redact).
package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Kinds of failure, for errors.Is. An *Error wraps one of them and says, for
// its provider, what to grant, enable or set.
var (
	ErrBadURI        = errors.New("the KMS key URI is malformed")
	ErrNoCredentials = errors.New("no usable credentials for the KMS were found in the environment (none, or invalid ones)")
	ErrExpired       = errors.New("the credentials for the KMS have expired")
	ErrAccessDenied  = errors.New("the KMS refused access to the key")
	ErrKeyNotFound   = errors.New("the KMS has no such key")
	ErrKeyDisabled   = errors.New("the KMS key is disabled or pending deletion")
	ErrWrongKeyType  = errors.New("the KMS key is not an EC P-256 signing key")
	ErrUnavailable   = errors.New("the KMS could not be reached")
	ErrTooLarge      = errors.New("the answer was too large for a KMS answer")
	ErrBadSignature  = errors.New("the KMS returned a signature that does not verify with the key's public key")
)

// Timeout bounds each call to a KMS (loading the key, one signature); the
// providers' SDKs retry transient failures within it.
var Timeout = 60 * time.Second

// MaxAnswerBytes bounds each answer read from a KMS (and from the token
// endpoints its credentials come from). A KMS's answers are a few KB: a
// public key, a key's description, a signature.
const MaxAnswerBytes = 1 << 20

// backend is one key in one KMS, as loaded by its provider.
type backend interface {
	// publicKey reads the key's public half; it fails with a wrongKey
	// error when the KMS says the key cannot sign ES256.
	publicKey(ctx context.Context) (crypto.PublicKey, error)
	// sign signs a SHA-256 digest, returning an ASN.1 DER ECDSA signature.
	sign(ctx context.Context, digest []byte) ([]byte, error)
}

// wrongKey is a key the KMS describes as unable to sign ES256; the text says
// what it is instead ("its KeyUsage is KEY_AGREEMENT").
type wrongKey string

func (w wrongKey) Error() string { return string(w) }

// disabledKey is a key or key version the KMS describes as not enabled.
type disabledKey string

func (d disabledKey) Error() string { return string(d) }

// provider is one KMS: each provider's file registers one in init.
type provider struct {
	scheme string // "awskms://"
	name   string // "AWS KMS"
	// format is the URI's shape, for ErrBadURI.
	format string
	// credentials says where credentials come from in a workflow.
	credentials string
	// expired says how long the credentials last and how to make them
	// outlive the step.
	expired string
	// sign and read name the permissions to sign and to read the public key.
	sign, read string
	// valid checks the URI's shape before anything is loaded.
	valid func(uri string) error
	load  func(ctx context.Context, uri string) (backend, error)
	// classify maps a provider error to one of the kinds and says which
	// permission it lacked when it can tell.
	classify func(err error) verdict
}

// verdict is what a provider's error means: one of the kinds (nil when
// unknown) and, for access denied, the permission lacking when known.
type verdict struct {
	kind       error
	permission string
}

var providers []*provider

func register(p *provider) { providers = append(providers, p) }

func providerFor(v string) *provider {
	for _, p := range providers {
		if strings.HasPrefix(strings.ToLower(v), p.scheme) {
			return p
		}
	}
	return nil
}

// Schemes lists the URI schemes recognised, such as "awskms://".
func Schemes() []string {
	out := make([]string, len(providers))
	for i, p := range providers {
		out[i] = p.scheme
	}
	return out
}

// IsURI reports whether v (trimmed) names a KMS key rather than holding a key.
// A URI is one word: a value with white space inside (a URI with a key pasted
// after it) is not one, so the caller treats it as key material and masks it.
func IsURI(v string) bool {
	v = strings.TrimSpace(v)
	return !strings.ContainsAny(v, " \t\r\n") && providerFor(v) != nil
}

// Signer signs with a KMS key. It implements crypto.Signer: Sign takes a
// SHA-256 digest and returns an ASN.1 DER ECDSA signature that verifies with
// Public.
type Signer struct {
	uri string // redacted
	p   *provider
	b   backend
	pub *ecdsa.PublicKey
}

// Open loads the key named by uri and reads its public half, which must be
// EC P-256. Credentials come from the provider's default chain (environment
// variables, credential files, the workload's identity). A URI that carries
// credentials is refused (ErrBadURI) and never printed whole.
func Open(ctx context.Context, uri string) (*Signer, error) {
	uri = strings.TrimSpace(uri)
	shown := Redact(uri)
	p := providerFor(uri)
	if p == nil {
		return nil, fmt.Errorf("%w: %q does not start with %s", ErrBadURI, shown, strings.Join(Schemes(), ", "))
	}
	if HoldsCredentials(uri) {
		return nil, &Error{Kind: ErrBadURI, Provider: p, URI: shown, Err: errors.New("it carries user information, a query or a fragment, which a KMS key URI never has; they are not printed, and in a workflow step they are masked")}
	}
	if err := p.valid(uri); err != nil {
		return nil, &Error{Kind: ErrBadURI, Provider: p, URI: shown, Err: err}
	}
	// Google's and Azure's clients keep the context they are built with
	// (for the cloud token's renewal during a long upload): it must outlive
	// this call, so it is not the timed one.
	b, err := p.load(context.WithoutCancel(ctx), uri)
	if err != nil {
		return nil, p.wrap(shown, err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	pk, err := b.publicKey(ctx)
	if err != nil {
		return nil, p.wrap(shown, err)
	}
	pub, ok := pk.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, &Error{Kind: ErrWrongKeyType, Provider: p, URI: shown, Err: fmt.Errorf("its public key is %s", describe(pk))}
	}
	return &Signer{uri: shown, p: p, b: b, pub: pub}, nil
}

// Public returns the key's public half (*ecdsa.PublicKey).
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Sign signs a SHA-256 digest with the KMS key, and checks the signature
// with the public key read at Open: a signature that does not verify (the
// key was replaced, the KMS misbehaves) is an ErrBadSignature, never
// returned. rand is not used.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, errors.New("kms: only SHA-256 digests are signed (ES256)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	sig, err := s.b.sign(ctx, digest)
	if err != nil {
		return nil, s.p.wrap(s.uri, err)
	}
	if !ecdsa.VerifyASN1(s.pub, digest, sig) {
		return nil, &Error{Kind: ErrBadSignature, Provider: s.p, URI: s.uri}
	}
	return sig, nil
}

// Error is a KMS failure: its Kind, the provider and key, and what to do.
type Error struct {
	Kind       error
	Provider   *provider
	URI        string // without user information, query or fragment
	Permission string // the permission lacking, when known
	Err        error  // the provider's own error
}

func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s key %s: %v: %s", e.Provider.name, e.URI, e.Kind, e.fix())
	if e.Err != nil {
		msg += " (" + oneLine(e.Err.Error()) + ")"
	}
	return msg
}

func (e *Error) fix() string {
	p := e.Provider
	switch e.Kind {
	case ErrBadURI:
		return "write it as " + p.format
	case ErrNoCredentials:
		return "give the step credentials: " + p.credentials + " (docs/key-custody.md)"
	case ErrExpired:
		return p.expired + " (docs/key-custody.md, Long steps)"
	case ErrAccessDenied:
		perm := e.Permission
		if perm == "" {
			perm = p.sign + " and " + p.read
		}
		return "grant " + perm + " on this key to the identity the workflow runs as (docs/key-custody.md lists the least permissions: " + p.sign + ", " + p.read + ")"
	case ErrKeyNotFound:
		return "check the URI names an existing key in the right account, project, region or vault (the identity may also lack the permission to see it)"
	case ErrKeyDisabled:
		return "enable the key (or cancel its deletion), or point private-key at a key that is enabled"
	case ErrWrongKeyType:
		return "App Store Connect keys are EC P-256 signing keys: import the .p8 as a P-256 signing key (docs/key-custody.md)"
	case ErrUnavailable:
		return fmt.Sprintf("the KMS did not answer within %s (kms.Timeout) or could not be reached; try again, and check the network and the KMS's region or address", Timeout)
	case ErrTooLarge:
		return fmt.Sprintf("an answer exceeded %d bytes (kms.MaxAnswerBytes) and was not read further; check that the URI and the KMS's address point at the KMS", MaxAnswerBytes)
	case ErrBadSignature:
		return "no token was issued; the key may have been replaced or rotated during the step, or something between the step and the KMS altered the answer: run the step again, and check the key's versions"
	}
	return "see docs/key-custody.md"
}

func (p *provider) wrap(uri string, err error) error {
	var wk wrongKey
	if errors.As(err, &wk) {
		return &Error{Kind: ErrWrongKeyType, Provider: p, URI: uri, Err: err}
	}
	var dk disabledKey
	if errors.As(err, &dk) {
		return &Error{Kind: ErrKeyDisabled, Provider: p, URI: uri, Err: err}
	}
	if isTooLarge(err) {
		return &Error{Kind: ErrTooLarge, Provider: p, URI: uri, Err: err}
	}
	v := p.classify(err)
	kind, perm := v.kind, v.permission
	if kind == nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
			kind = ErrUnavailable
		default:
			kind = errors.New("the KMS refused the request")
		}
	}
	return &Error{Kind: kind, Provider: p, URI: uri, Permission: perm, Err: err}
}

var rule = regexp.MustCompile(`-{8,}`)

// oneLine folds a provider's error onto one line (Azure's draw rules of
// dashes around the response) and bounds it.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(rule.ReplaceAllString(s, " ")), " ")
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

func describe(pk crypto.PublicKey) string {
	switch k := pk.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case nil:
		return "missing"
	}
	return fmt.Sprintf("%T", pk)
}
