// Package kms signs App Store Connect tokens with a P-256 key held in a cloud
// KMS, named by URI as cosign names them: awskms://, gcpkms://, azurekms://,
// hashivault://. It wraps sigstore's KMS signer packages (one file per
// provider registers it) behind crypto.Signer, the interface token.Minter
// signs through, and turns each provider's refusals into errors that say what
// to fix: the permission to grant, the key's state, the action that provides
// credentials. Nothing here is secret: a URI names a key, it does not hold it.
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
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Kinds of failure, for errors.Is. An *Error wraps one of them and says, for
// its provider, what to grant, enable or set.
var (
	ErrBadURI        = errors.New("the KMS key URI is malformed")
	ErrNoCredentials = errors.New("no usable credentials for the KMS were found in the environment (none, or expired or invalid ones)")
	ErrAccessDenied  = errors.New("the KMS refused access to the key")
	ErrKeyNotFound   = errors.New("the KMS has no such key")
	ErrKeyDisabled   = errors.New("the KMS key is disabled or pending deletion")
	ErrWrongKeyType  = errors.New("the KMS key is not an EC P-256 signing key")
	ErrUnavailable   = errors.New("the KMS could not be reached")
)

// Timeout bounds each call to a KMS (loading the key, one signature); the
// providers' SDKs retry transient failures within it.
var Timeout = 60 * time.Second

// provider is one KMS: each provider's file registers one in init.
type provider struct {
	scheme string // "awskms://"
	name   string // "AWS KMS"
	// format is the URI's shape, for ErrBadURI.
	format string
	// credentials says where credentials come from in a workflow.
	credentials string
	// sign and read name the permissions to sign and to read the public key.
	sign, read string
	load       func(ctx context.Context, uri string) (sigkms.SignerVerifier, error)
	// valid checks the URI's shape before anything is loaded.
	valid func(uri string) error
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
// SHA-256 digest and returns an ASN.1 DER ECDSA signature.
type Signer struct {
	uri string
	p   *provider
	sv  sigkms.SignerVerifier
	pub *ecdsa.PublicKey
}

// Open loads the key named by uri and reads its public half, which must be
// EC P-256. Credentials come from the provider's default chain (environment
// variables, credential files, the workload's identity).
func Open(ctx context.Context, uri string) (*Signer, error) {
	uri = strings.TrimSpace(uri)
	p := providerFor(uri)
	if p == nil {
		return nil, fmt.Errorf("%w: %q does not start with %s", ErrBadURI, uri, strings.Join(Schemes(), ", "))
	}
	if err := p.valid(uri); err != nil {
		return nil, &Error{Kind: ErrBadURI, Provider: p, URI: uri, Err: err}
	}
	TranslateWorkspacePaths()
	// The Google and Azure signers keep the context they are loaded with
	// and use it later (refreshing the key version and the cloud token
	// during a long upload): it must outlive this call, so it is not the
	// timed one.
	sv, err := p.load(context.WithoutCancel(ctx), uri)
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	if err != nil {
		return nil, p.wrap(uri, err)
	}
	pk, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, p.wrap(uri, err)
	}
	pub, ok := pk.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, &Error{Kind: ErrWrongKeyType, Provider: p, URI: uri, Err: fmt.Errorf("its public key is %s", describe(pk))}
	}
	return &Signer{uri: uri, p: p, sv: sv, pub: pub}, nil
}

// Public returns the key's public half (*ecdsa.PublicKey).
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Sign signs a SHA-256 digest with the KMS key. rand is not used.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, errors.New("kms: only SHA-256 digests are signed (ES256)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	sig, err := s.sv.SignMessage(nil, options.WithContext(ctx), options.WithDigest(digest), options.WithCryptoSignerOpts(crypto.SHA256))
	if err != nil {
		return nil, s.p.wrap(s.uri, err)
	}
	return sig, nil
}

// Error is a KMS failure: its Kind, the provider and key, and what to do.
type Error struct {
	Kind       error
	Provider   *provider
	URI        string
	Permission string // the permission lacking, when known
	Err        error  // the provider's own error
}

func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

func (e *Error) Error() string {
	p := e.Provider
	var fix string
	switch e.Kind {
	case ErrBadURI:
		fix = "write it as " + p.format
	case ErrNoCredentials:
		fix = "give the step credentials: " + p.credentials + " (docs/key-custody.md)"
	case ErrAccessDenied:
		perm := e.Permission
		if perm == "" {
			perm = p.sign + " and " + p.read
		}
		fix = "grant " + perm + " on this key to the identity the workflow runs as (docs/key-custody.md lists the least permissions: " + p.sign + ", " + p.read + ")"
	case ErrKeyNotFound:
		fix = "check the URI names an existing key in the right account, project, region or vault (the identity may also lack the permission to see it)"
	case ErrKeyDisabled:
		fix = "enable the key (or cancel its deletion), or point private-key at a key that is enabled"
	case ErrWrongKeyType:
		fix = "App Store Connect keys are EC P-256 signing keys: import the .p8 as a P-256 signing key (docs/key-custody.md)"
	case ErrUnavailable:
		fix = "the KMS did not answer in time; try again, and check the network and the KMS's region or address"
	default:
		fix = "see docs/key-custody.md"
	}
	msg := fmt.Sprintf("%s key %s: %v: %s", p.name, e.URI, e.Kind, fix)
	if e.Err != nil {
		msg += " (" + oneLine(e.Err.Error()) + ")"
	}
	return msg
}

func (p *provider) wrap(uri string, err error) error {
	v := p.classify(err)
	kind, perm := v.kind, v.permission
	if kind == nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
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

// credentialFileVars are the environment variables naming credential files
// that the cloud actions write into the workspace.
var credentialFileVars = []string{
	"GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE", "VAULT_CACERT",
}

// TranslateWorkspacePaths makes credential files written into the workspace
// by an earlier step readable from a container action. The runner mounts the
// workspace at /github/workspace in the container but passes the job's
// environment unchanged, so GOOGLE_APPLICATION_CREDENTIALS (set by
// google-github-actions/auth to a file in the workspace) names a host path
// that does not exist there. For each such variable whose file does not
// exist, the shortest tail of the path that exists under GITHUB_WORKSPACE
// replaces it.
func TranslateWorkspacePaths() {
	ws := os.Getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return
	}
	for _, name := range credentialFileVars {
		if p := translate(os.Getenv(name), ws); p != "" {
			os.Setenv(name, p)
		}
	}
}

func translate(path, ws string) string {
	if path == "" || !filepath.IsAbs(path) {
		return ""
	}
	if _, err := os.Stat(path); err == nil {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(path), "/")
	for i := len(parts) - 1; i > 0; i-- {
		cand := filepath.Join(append([]string{ws}, parts[i:]...)...)
		if st, err := os.Stat(cand); err == nil && !st.IsDir() {
			return cand
		}
	}
	return ""
}
