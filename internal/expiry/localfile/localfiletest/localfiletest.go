// Package localfiletest makes, at run time, the files that the localfile
// package reads: certificates shaped like Apple's and signed provisioning
// profiles. Nothing it makes is ever written to the repository.
package localfiletest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"go.mozilla.org/pkcs7"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// Cert generates a key and a self-signed certificate shaped like Apple's:
// common name cn, team (organizational unit) ou, organization "Example Co",
// valid for the year up to until.
func Cert(t testing.TB, cn, ou string, serial int64, until time.Time) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := testkeys.New(t).Private
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}, Organization: []string{"Example Co"}},
		NotBefore:    until.AddDate(-1, 0, 0),
		NotAfter:     until,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// SignProfile wraps content (a provisioning profile's plist) in CMS
// SignedData, as a .mobileprovision file is, signed by a certificate shaped
// like Apple's profile-signing one.
func SignProfile(t testing.TB, content []byte) []byte {
	t.Helper()
	key, cert := Cert(t, "Apple iPhone OS Provisioning Profile Signing", "Apple", 7, time.Date(2032, 3, 14, 12, 0, 0, 0, time.UTC))
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	out, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
