// Package testkeys generates App Store Connect-shaped private keys for
// tests at run time, so that no private key is ever committed, not even a
// throwaway one.
package testkeys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// Key is a freshly generated EC P-256 key in the forms Apple hands out.
type Key struct {
	// Private is the key itself, to sign with or to take the public half of.
	Private *ecdsa.PrivateKey
	// DER is the PKCS#8 encoding of Private.
	DER []byte
	// PEM is DER as a "PRIVATE KEY" PEM block: the text of a .p8 file.
	PEM string
}

// Generate makes a new Key; it fails only when the system's randomness does.
func Generate() (Key, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return Key{}, err
	}
	return Key{Private: k, DER: der, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}, nil
}

// New makes a new Key for the test t, failing t when it cannot.
func New(t testing.TB) Key {
	t.Helper()
	k, err := Generate()
	if err != nil {
		t.Fatalf("testkeys: generating an EC P-256 key: %v", err)
	}
	return k
}
