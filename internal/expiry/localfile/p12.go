package localfile

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
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
