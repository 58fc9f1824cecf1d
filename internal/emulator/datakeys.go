package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
)

// DataKey is an API key listed in a data file: its Key ID, Issuer ID (team
// keys), role and public key as PEM. Only the public half is ever needed, so
// a key held in a KMS (whose private half never leaves it) is listed by the
// PEM its KMS hands out (`aws kms get-public-key`, `gcloud kms keys versions
// get-public-key`, ...).
type DataKey struct {
	KeyID      string `json:"keyId"`
	IssuerID   string `json:"issuerId,omitempty"`
	Individual bool   `json:"individual,omitempty"`
	Role       string `json:"role,omitempty"`
	PublicKey  string `json:"publicKey"`
	Revoked    bool   `json:"revoked,omitempty"`
}

var dataKeyIDRe = regexp.MustCompile(`^[A-Z0-9]{10}$`)

// Key returns the key the emulator accepts tokens of.
func (k DataKey) Key() (Key, error) {
	pub, err := ParsePublicKeyPEM(k.PublicKey)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: k.KeyID, IssuerID: k.IssuerID, Individual: k.Individual, Public: pub, Role: strings.ToUpper(k.Role), Revoked: k.Revoked}, nil
}

// ParsePublicKeyPEM reads an EC P-256 public key from a PUBLIC KEY PEM block.
func ParsePublicKeyPEM(s string) (*ecdsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("not a PEM block of type PUBLIC KEY")
	}
	pk, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a valid PUBLIC KEY: %v", err)
	}
	pub, ok := pk.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("not an EC P-256 key (App Store Connect keys are)")
	}
	return pub, nil
}

func (d *Data) validateKeys() error {
	seen := map[string]bool{}
	for i, k := range d.Keys {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: keys[%d]: %s", ErrInvalidData, i, fmt.Sprintf(format, a...))
		}
		if !dataKeyIDRe.MatchString(k.KeyID) {
			return bad("keyId %q is not a 10-character Key ID", k.KeyID)
		}
		if seen[k.KeyID] {
			return bad("keyId %q is used twice", k.KeyID)
		}
		seen[k.KeyID] = true
		if k.Individual == (k.IssuerID != "") {
			return bad("give issuerId for a team key, or individual: true (and no issuerId) for an individual key")
		}
		if k.Role != "" && !KnownRole(strings.ToUpper(k.Role)) {
			return bad("role %q is not one of ADMIN, ACCOUNT_HOLDER, APP_MANAGER, DEVELOPER, FINANCE, SALES, MARKETING, CUSTOMER_SUPPORT, ACCESS_TO_REPORTS", k.Role)
		}
		if _, err := k.Key(); err != nil {
			return bad("publicKey: %v", err)
		}
	}
	return nil
}

// KnownRole reports whether r is one of App Store Connect's user roles
// (upper case).
func KnownRole(r string) bool {
	switch r {
	case RoleAdmin, RoleAccountHolder, RoleAppManager, RoleDeveloper, RoleFinance, RoleSales, RoleMarketing, RoleCustomerSupport, RoleAccessToReports:
		return true
	}
	return false
}
