// Package credentials reads an App Store Connect API key from the forms people
// store it in, validates it, and lists every string derived from it that logs
// must mask. It never prints, logs or returns key material in an error. A KMS
// key URI (awskms://, gcpkms://, azurekms://, hashivault://) is recognised
// too: the key then stays in the KMS and signs through internal/kms.
package credentials

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/asc-action/asc-action/internal/kms"
)

// Key is a parsed App Store Connect private key, or a key held in a KMS.
type Key struct {
	// Private is the EC P-256 private key; nil for a KMS key.
	Private *ecdsa.PrivateKey
	// KMS is the key's URI when the key is held in a KMS ("" otherwise),
	// without user information, query or fragment.
	KMS string
	kms *kms.Signer
	// KeyIDFromFileName is the Key ID taken from an AuthKey_<KEYID>.p8 file
	// name, or "" when the key did not come from such a file.
	KeyIDFromFileName string
	// Form says which input form was recognised (for diagnostics; never secret).
	Form    Form
	secrets []string
}

// Form names an input form of the key.
type Form string

// The input forms this package reads.
const (
	FormPEM          Form = "pem"
	FormEscapedPEM   Form = "pem-with-escaped-newlines"
	FormBase64PEM    Form = "base64-of-pem"
	FormBase64DER    Form = "base64-of-der"
	FormSEC1PEM      Form = "sec1-pem"
	FormFile         Form = "file"
	FormFileBase64   Form = "file-base64"
	FormKMS          Form = "kms"
	keyFileNameRegex      = `^AuthKey_([A-Z0-9]{10})\.p8$`
)

var keyFileName = regexp.MustCompile(keyFileNameRegex)

// Secrets returns every string derived from the key that must be masked in
// logs: the raw input and each of its lines, the canonical PEM's body lines,
// the base64 forms of the PEM and of the DER, and the private scalar. A KMS
// key has none: its URI names the key without giving access to it.
func (k *Key) Secrets() []string { return append([]string(nil), k.secrets...) }

// Signer returns what signs tokens with this key: the in-memory key, or the
// KMS signer.
func (k *Key) Signer() crypto.Signer {
	if k.kms != nil {
		return k.kms
	}
	return k.Private
}

// Public returns the key's public half.
func (k *Key) Public() *ecdsa.PublicKey {
	if k.kms != nil {
		return k.kms.Public().(*ecdsa.PublicKey)
	}
	return &k.Private.PublicKey
}

// IsKMS reports whether a private-key value is a KMS key URI rather than a key.
func IsKMS(value string) bool { return kms.IsURI(unquote(strings.TrimSpace(value))) }

// MaskFirst returns what must be masked of a private-key value before it is
// read or anything is printed: the whole value, unless it is a KMS key URI,
// which names a key without giving access to it; a KMS URI carrying
// credentials anyway (user information, a query, a fragment) is masked whole
// and part by part, and printed only without them (kms.Redact).
func MaskFirst(value string) []string {
	if !IsKMS(value) {
		return []string{value}
	}
	var out []string
	for _, s := range kms.SecretParts(unquote(strings.TrimSpace(value))) {
		if len(s) >= minSecretLen || s == unquote(strings.TrimSpace(value)) {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		out = append(out, value)
	}
	return dedupe(out)
}

// looksLikeKMS reports a value that no KMS scheme matched but that reads as
// an attempt at one (another scheme, a mistyped one, an AWS key ARN).
func looksLikeKMS(v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(v, "://") || strings.Contains(v, "kms:")
}

// OpenKMS loads the KMS key named by uri (see internal/kms).
func OpenKMS(ctx context.Context, uri string) (*Key, error) {
	uri = unquote(strings.TrimSpace(uri))
	s, err := kms.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	return &Key{KMS: kms.Redact(uri), kms: s, Form: FormKMS}, nil
}

// Fingerprint returns the SHA-256 of the public key's DER (SubjectPublicKeyInfo),
// hex encoded: safe to print, and stable across every form of the same key.
func (k *Key) Fingerprint() string {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// Parse reads a key from a secret's value in any supported form. A value
// that names an existing .p8 or .pem file is read from disk; a KMS key URI
// is opened (its public half read from the KMS, within ctx).
func Parse(ctx context.Context, value string) (*Key, error) {
	raw := value
	v := strings.TrimSpace(value)
	if v == "" {
		return nil, ErrEmpty
	}
	if IsKMS(v) {
		return OpenKMS(ctx, v)
	}
	if looksLikePath(v) {
		if _, err := os.Stat(v); err == nil {
			return Load(ctx, "", v)
		} else if _, isB64 := decodeBase64(strings.Join(strings.Fields(v), "")); !isB64 {
			// A path that names no file; a path is not secret.
			return nil, fmt.Errorf("%w: the value looks like a file path, but %s", ErrNoFile, pathError(err))
		}
	}
	k, err := parse(v, 0)
	if errors.Is(err, ErrUnrecognized) && looksLikeKMS(v) {
		// Not quoted: the value may still be key material.
		return nil, fmt.Errorf("%w; if it is meant as a KMS key URI, write it as one of %s (docs/key-custody.md)", err, strings.Join(kms.Schemes(), ", "))
	}
	if err != nil {
		return nil, err
	}
	k.secrets = append(k.secrets, secretLines(raw)...)
	k.secrets = dedupe(k.secrets)
	return k, nil
}

// Load reads a key from value when it is not empty, else from the file at
// path. A file named AuthKey_<KEYID>.p8 also yields its Key ID.
func Load(ctx context.Context, value, path string) (*Key, error) {
	if strings.TrimSpace(value) != "" {
		return Parse(ctx, value)
	}
	if strings.TrimSpace(path) == "" {
		return nil, ErrEmpty
	}
	path = strings.TrimSpace(path)
	data, err := os.ReadFile(path)
	if err != nil {
		// The path is not secret; the error from os says what is wrong with it.
		return nil, fmt.Errorf("%w: %s", ErrNoFile, pathError(err))
	}
	k, err := Parse(ctx, string(data))
	if err != nil {
		return nil, err
	}
	if m := keyFileName.FindStringSubmatch(filepath.Base(path)); m != nil {
		k.KeyIDFromFileName = m[1]
	}
	if k.Form == FormPEM {
		k.Form = FormFile
	} else {
		k.Form = FormFileBase64
	}
	return k, nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

func looksLikePath(v string) bool {
	if strings.ContainsAny(v, "\n\r") || len(v) > 4096 {
		return false
	}
	lower := strings.ToLower(v)
	return strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") ||
		strings.HasPrefix(v, "~/") || strings.HasSuffix(lower, ".p8") || strings.HasSuffix(lower, ".pem") ||
		(len(v) > 2 && v[1] == ':' && (v[2] == '\\' || v[2] == '/'))
}

var pemBlock = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----`)

// parse recognises the form of a trimmed value. depth guards the one level
// of nesting base64-of-PEM needs.
func parse(v string, depth int) (*Key, error) {
	v = unquote(v)
	form := FormPEM
	if strings.Contains(v, `\n`) || strings.Contains(v, `\r`) {
		v = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n").Replace(v)
		form = FormEscapedPEM
	}
	v = strings.ReplaceAll(v, "\r\n", "\n")
	if strings.Contains(v, "-----BEGIN") {
		return parsePEM(v, form)
	}
	compact := strings.Join(strings.Fields(v), "")
	der, ok := decodeBase64(compact)
	if !ok {
		return nil, ErrUnrecognized
	}
	if bytes.Contains(der, []byte("-----BEGIN")) {
		if depth > 0 {
			return nil, ErrUnrecognized
		}
		k, err := parse(strings.TrimSpace(string(der)), depth+1)
		if err != nil {
			return nil, err
		}
		k.Form = FormBase64PEM
		k.secrets = append(k.secrets, compact)
		return k, nil
	}
	if bytes.HasPrefix(der, []byte("openssh-key-v1")) {
		return nil, ErrOpenSSH
	}
	priv, err := parseDER(der, "")
	if err != nil {
		return nil, err
	}
	k := newKey(priv, FormBase64DER)
	k.secrets = append(k.secrets, compact)
	return k, nil
}

func unquote(v string) string {
	for len(v) >= 2 {
		f, l := v[0], v[len(v)-1]
		if (f == '"' || f == '\'' || f == '`') && f == l {
			v = strings.TrimSpace(v[1 : len(v)-1])
			continue
		}
		break
	}
	return v
}

func parsePEM(v string, form Form) (*Key, error) {
	m := pemBlock.FindStringSubmatch(v)
	if m == nil {
		if strings.Contains(v, "-----BEGIN OPENSSH PRIVATE KEY-----") {
			return nil, ErrOpenSSH
		}
		return nil, ErrTruncated
	}
	typ, body := m[1], m[2]
	if m[3] != typ {
		return nil, ErrTruncated
	}
	if strings.Contains(body, "Proc-Type:") || strings.Contains(body, "ENCRYPTED") {
		return nil, ErrEncrypted
	}
	compact := strings.Join(strings.Fields(body), "")
	der, ok := decodeBase64(compact)
	if !ok {
		return nil, ErrTruncated
	}
	priv, err := parseDER(der, typ)
	if err != nil {
		return nil, err
	}
	if typ == "EC PRIVATE KEY" {
		form = FormSEC1PEM
	}
	k := newKey(priv, form)
	k.secrets = append(k.secrets, compact)
	return k, nil
}

func parseDER(der []byte, pemType string) (*ecdsa.PrivateKey, error) {
	switch pemType {
	case "ENCRYPTED PRIVATE KEY":
		return nil, ErrEncrypted
	case "RSA PRIVATE KEY":
		return nil, ErrRSAKey
	case "PUBLIC KEY", "EC PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, ErrPublicKey
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		return nil, ErrCertificate
	case "OPENSSH PRIVATE KEY":
		return nil, ErrOpenSSH
	case "DSA PRIVATE KEY":
		return nil, ErrOtherKeyType
	case "", "PRIVATE KEY", "EC PRIVATE KEY":
	default:
		return nil, ErrUnrecognized
	}
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				return nil, ErrWrongCurve
			}
			return k, nil
		case *rsa.PrivateKey:
			return nil, ErrRSAKey
		default:
			return nil, ErrOtherKeyType
		}
	} else if strings.Contains(err.Error(), "unknown elliptic curve") || strings.Contains(err.Error(), "unsupported elliptic curve") {
		return nil, ErrWrongCurve
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		if k.Curve != elliptic.P256() {
			return nil, ErrWrongCurve
		}
		return k, nil
	} else if strings.Contains(err.Error(), "unknown elliptic curve") {
		return nil, ErrWrongCurve
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return nil, ErrRSAKey
	}
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return nil, ErrPublicKey
	}
	if _, err := x509.ParseCertificate(der); err == nil {
		return nil, ErrCertificate
	}
	if isEncryptedPKCS8(der) {
		return nil, ErrEncrypted
	}
	if pemType != "" {
		return nil, ErrBadDER
	}
	return nil, ErrUnrecognized
}

// isEncryptedPKCS8 spots the PBES2 object identifier (1.2.840.113549.1.5.13)
// that starts an EncryptedPrivateKeyInfo.
func isEncryptedPKCS8(der []byte) bool {
	return bytes.Contains(der, []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d})
}

func decodeBase64(s string) ([]byte, bool) {
	if len(s) < 16 {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func newKey(priv *ecdsa.PrivateKey, form Form) *Key {
	k := &Key{Private: priv, Form: form}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err == nil {
		b64 := base64.StdEncoding.EncodeToString(der)
		pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		k.secrets = append(k.secrets, b64, base64.RawStdEncoding.EncodeToString(der),
			base64.StdEncoding.EncodeToString([]byte(pemText)),
			strings.ReplaceAll(strings.TrimSpace(pemText), "\n", `\n`))
		k.secrets = append(k.secrets, secretLines(pemText)...)
	}
	if sec1, err := x509.MarshalECPrivateKey(priv); err == nil {
		k.secrets = append(k.secrets, base64.StdEncoding.EncodeToString(sec1))
		k.secrets = append(k.secrets, secretLines(string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})))...)
	}
	if d, err := priv.Bytes(); err == nil {
		k.secrets = append(k.secrets, hex.EncodeToString(d), base64.StdEncoding.EncodeToString(d), base64.RawURLEncoding.EncodeToString(d))
	}
	return k
}

// minSecretLen keeps very short fragments (a base64 tail such as "Zg==") out
// of the mask list, where they would blank out unrelated log text.
const minSecretLen = 8

// secretLines returns the value trimmed, and each non-empty line of it that
// is not a PEM armour line, for masking line by line (GitHub masks per line).
func secretLines(v string) []string {
	var out []string
	if t := strings.TrimSpace(v); len(t) >= minSecretLen && !strings.ContainsAny(t, "\r\n") {
		out = append(out, t)
	}
	for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if len(line) < minSecretLen || strings.HasPrefix(line, "-----") {
			continue
		}
		out = append(out, line)
		if u := unquote(line); u != line && len(u) >= minSecretLen {
			out = append(out, u)
		}
	}
	return out
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
