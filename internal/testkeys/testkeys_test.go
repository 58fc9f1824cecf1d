package testkeys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestNewGivesAP256KeyInPKCS8PEM(t *testing.T) {
	a, b := New(t), New(t)
	if a.Private.Equal(b.Private) {
		t.Fatal("two calls gave the same key")
	}
	if a.Private.Curve != elliptic.P256() {
		t.Errorf("curve %s, want P-256", a.Private.Curve.Params().Name)
	}
	block, rest := pem.Decode([]byte(a.PEM))
	if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
		t.Fatalf("PEM is not one PRIVATE KEY block and nothing else (%d bytes left)", len(rest))
	}
	if string(block.Bytes) != string(a.DER) {
		t.Error("PEM does not hold DER")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(a.DER)
	if err != nil {
		t.Fatalf("DER is not PKCS#8: %v", err)
	}
	if k, ok := parsed.(*ecdsa.PrivateKey); !ok || !k.Equal(a.Private) {
		t.Error("DER does not hold Private")
	}
}
