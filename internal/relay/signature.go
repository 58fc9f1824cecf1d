package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// SignatureHeader is the header App Store Connect signs each delivery in
// (Apple's article "Configuring and parsing App Store Connect API webhook
// notifications": x-apple-signature).
const SignatureHeader = "X-Apple-Signature"

// signaturePrefix names the algorithm before the hex digest:
// "hmacsha256=<64 lower-case hex digits>".
const signaturePrefix = "hmacsha256="

// Why a delivery's signature was refused. None of them says anything about
// the secret or the expected digest.
var (
	ErrNoSignature        = errors.New("no x-apple-signature header")
	ErrMalformedSignature = errors.New("x-apple-signature is not hmacsha256=<hex>")
	ErrBadSignature       = errors.New("x-apple-signature does not match the body")
)

// Verify checks header, the value of x-apple-signature, against the
// HMAC-SHA256 of the raw body under each of secrets (more than one while a
// secret is rotated), in constant time. It must run before anything reads
// the body as JSON.
func Verify(secrets [][]byte, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrNoSignature
	}
	if len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return ErrMalformedSignature
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return ErrMalformedSignature
	}
	ok := 0
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			ok = 1
		}
	}
	if ok == 0 {
		return ErrBadSignature
	}
	return nil
}
