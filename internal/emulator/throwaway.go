package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
)

// ThrowawayKey is a freshly generated team key for trying the emulator: a
// P-256 private key with a random Key ID and Issuer ID. It lives in memory
// until the caller writes it somewhere (never the workspace).
type ThrowawayKey struct {
	Private  *ecdsa.PrivateKey
	KeyID    string
	IssuerID string
}

// NewThrowawayKey generates a ThrowawayKey.
func NewThrowawayKey() (*ThrowawayKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &ThrowawayKey{Private: priv, KeyID: randomKeyID(), IssuerID: newUUID()}, nil
}

// PEM returns the key as a .p8 file holds it (PKCS#8 PEM).
func (k *ThrowawayKey) PEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Key returns the emulator's record of the key: an ADMIN team key.
func (k *ThrowawayKey) Key() Key {
	return Key{ID: k.KeyID, IssuerID: k.IssuerID, Public: &k.Private.PublicKey, Role: RoleAdmin}
}

func randomKeyID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
