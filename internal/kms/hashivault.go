package kms

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"strings"

	vault "github.com/hashicorp/vault/api"
	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

// HashiCorp Vault transit: hashivault://KEY. VAULT_ADDR and VAULT_TOKEN (set
// by hashicorp/vault-action with exportToken: true) reach the server;
// TRANSIT_SECRET_ENGINE_PATH names a transit mount other than "transit".
func init() {
	register(&provider{
		scheme:      "hashivault://",
		name:        "HashiCorp Vault transit",
		format:      "hashivault://KEY_NAME",
		credentials: "hashicorp/vault-action in an earlier step with exportToken: true (it sets VAULT_TOKEN), and VAULT_ADDR in the job's env",
		sign:        `"update" on transit/sign/KEY`,
		read:        `"read" on transit/keys/KEY`,
		valid: func(uri string) error {
			if strings.Trim(strings.TrimPrefix(uri, "hashivault://"), "/") == "" {
				return errors.New("no key name")
			}
			return hashivault.ValidReference(uri)
		},
		load: func(_ context.Context, uri string) (sigkms.SignerVerifier, error) {
			return hashivault.LoadSignerVerifier(uri, crypto.SHA256)
		},
		classify: classifyVault,
	})
}

func classifyVault(err error) verdict {
	msg := err.Error()
	perm := ""
	if strings.Contains(msg, "sign") {
		perm = `"update" on transit/sign/KEY`
	} else if strings.Contains(msg, "public key") {
		perm = `"read" on transit/keys/KEY`
	}
	var re *vault.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusForbidden:
			if strings.Contains(msg, "invalid token") {
				return verdict{kind: ErrNoCredentials}
			}
			return verdict{ErrAccessDenied, perm}
		case http.StatusNotFound:
			return verdict{kind: ErrKeyNotFound}
		case http.StatusBadRequest:
			if strings.Contains(msg, "does not support signing") || strings.Contains(msg, "key type") {
				return verdict{kind: ErrWrongKeyType}
			}
		case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
			return verdict{kind: ErrUnavailable}
		}
	}
	switch {
	case strings.Contains(msg, "VAULT_ADDR or BAO_ADDR is not set"), strings.Contains(msg, "no Vault token"), strings.Contains(msg, "VAULT_TOKEN not set"), strings.Contains(msg, "token helper"):
		return verdict{kind: ErrNoCredentials}
	case strings.Contains(msg, "could not read data from transit key path"):
		return verdict{kind: ErrKeyNotFound}
	case strings.Contains(msg, "could not parse public key pem"), strings.Contains(msg, "corrupted response"):
		return verdict{kind: ErrWrongKeyType}
	}
	return verdict{}
}
