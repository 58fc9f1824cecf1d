package localfile

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/asc-action/asc-action/internal/expiry"
)

// Input names used in messages.
const (
	InputP12             = "p12-base64"
	InputMobileProvision = "mobileprovision"
	InputIPA             = "ipa-path"
)

// maxFileSize bounds every file read here; real ones are a few kilobytes.
const maxFileSize = 4 << 20

// P12 is what the audit reports about a .p12 signing certificate: its leaf
// certificate, the one that pairs with the private key.
type P12 struct {
	CommonName   string // e.g. "Apple Distribution: Example Co (TEAMID1234)"
	Team         string // subject OU: the Team ID on Apple certificates
	Organization string
	SerialNumber string // hexadecimal
	NotBefore    time.Time
	NotAfter     time.Time
}

// DecodeBase64 decodes base64 in the forms people paste into secrets:
// standard or URL alphabet, with or without padding, wrapped over lines.
func DecodeBase64(input, s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	if clean == "" {
		return nil, newError(input, ErrNotBase64, "is empty; set it to the file's base64 text (base64 -i file | pbcopy)", nil)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(clean); err == nil {
			return b, nil
		}
	}
	return nil, newError(input, ErrNotBase64, "is not base64 text; store the file as base64 (base64 -i file | pbcopy), not the raw file or a path", nil)
}

// ReadP12Base64 decodes the base64 text of a .p12 and opens it with password.
func ReadP12Base64(b64, password string) (*P12, error) {
	der, err := DecodeBase64(InputP12, b64)
	if err != nil {
		return nil, err
	}
	return DecodeP12(der, password)
}

// DecodeP12 opens a PKCS#12 file, legacy (RC2/3DES, as Keychain Access
// exports) or modern (AES, PBES2), and reports its leaf certificate.
func DecodeP12(der []byte, password string) (*P12, error) {
	if len(der) > maxFileSize {
		return nil, newError(InputP12, ErrTooLarge, "is larger than 4 MiB; a .p12 is a few kilobytes, check that the right file was encoded", nil)
	}
	if n := maxIterations(der, 0); n > maxP12Iterations {
		return nil, newError(InputP12, ErrMalformed, fmt.Sprintf("asks for %d key-derivation iterations, more than the %d this tool runs (exporters use 2048 to 600,000); export the certificate again", n, maxP12Iterations), nil)
	}
	_, cert, _, err := decodeChain(der, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, newError(InputP12, ErrWrongPassword, "the password in p12-password does not open this .p12; set it to the password chosen when the certificate was exported", err)
		}
		return nil, newError(InputP12, ErrMalformed, "is not a readable PKCS#12 (.p12) file with a private key and its certificate; export the certificate with its key from Keychain Access as .p12 and store its base64", err)
	}
	if cert == nil {
		return nil, newError(InputP12, ErrMalformed, "holds no certificate; export the certificate with its key as .p12", nil)
	}
	return p12FromCert(cert), nil
}

// maxP12Iterations bounds the key-derivation iterations a .p12 may ask for
// (the MAC's and each encryption's): the library runs whatever the file
// says, so a corrupt or hostile count of 2^31 would hold the step for
// hours. At about 4 µs an iteration, the bound is a few seconds. A
// variable so fuzz tests can lower it.
var maxP12Iterations int64 = 1_000_000

// maxIterations returns the largest iteration count in a PKCS#12 file's
// DER as the library will read it before decrypting anything: every
// INTEGER that follows an OCTET STRING (the salt) in a SEQUENCE, which is
// where pbeParams, PBKDF2-params and MacData keep it. OCTET STRINGs whose
// content is itself DER (the authenticated safe, the safe contents) are
// read too; depth is bounded. Bytes that are not DER yield 0, for the
// library to refuse.
func maxIterations(der []byte, depth int) int64 {
	if depth > 16 {
		return 0
	}
	var most int64
	afterOctets := false
	for rest := der; len(rest) > 0; {
		var v asn1.RawValue
		r, err := asn1.Unmarshal(rest, &v)
		if err != nil {
			return most
		}
		rest = r
		universal := v.Class == asn1.ClassUniversal
		switch {
		case universal && v.Tag == asn1.TagInteger && afterOctets:
			n := new(big.Int).SetBytes(v.Bytes)
			if len(v.Bytes) > 0 && v.Bytes[0]&0x80 != 0 {
				n.SetInt64(0) // negative: the library refuses it
			}
			if !n.IsInt64() {
				return math.MaxInt64
			}
			most = max(most, n.Int64())
		case v.IsCompound:
			most = max(most, maxIterations(v.Bytes, depth+1))
		case universal && v.Tag == asn1.TagOctetString:
			most = max(most, maxIterations(v.Bytes, depth+1))
		}
		afterOctets = universal && v.Tag == asn1.TagOctetString
	}
	return most
}

// decodeChain calls the library, turning a panic on hostile input into an
// error.
func decodeChain(der []byte, password string) (key any, cert *x509.Certificate, ca []*x509.Certificate, err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("pkcs12: decoder panicked on malformed input")
		}
	}()
	return pkcs12.DecodeChain(der, password)
}

func p12FromCert(c *x509.Certificate) *P12 {
	p := &P12{
		CommonName:   c.Subject.CommonName,
		SerialNumber: strings.ToUpper(c.SerialNumber.Text(16)),
		NotBefore:    c.NotBefore,
		NotAfter:     c.NotAfter,
	}
	if len(c.Subject.OrganizationalUnit) > 0 {
		p.Team = c.Subject.OrganizationalUnit[0]
	}
	if len(c.Subject.Organization) > 0 {
		p.Organization = c.Subject.Organization[0]
	}
	return p
}

// Items reports the .p12 as the one unclassified expiry Item it is, as
// ProvisioningProfile.Items reports a profile.
func (p *P12) Items() []expiry.Item { return []expiry.Item{p.Item()} }

// Item reports the .p12 as an unclassified expiry Item.
func (p *P12) Item() expiry.Item {
	name := p.CommonName
	if name == "" {
		name = ".p12 certificate"
	}
	it := expiry.Item{Kind: expiry.KindP12, Name: name, ID: p.SerialNumber, ExpiresAt: p.NotAfter}
	if p.Team != "" {
		it.Type = "team " + p.Team
	}
	return it
}
