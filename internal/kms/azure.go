package kms

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/azure"
)

// Azure Key Vault: azurekms://VAULT.vault.azure.net/KEY[/VERSION].
// Credentials come from DefaultAzureCredential: AZURE_* variables (client
// secret or workload identity), a managed identity, or the Azure CLI's login
// (azure/login, usable from the native action, where `az` is installed).
func init() {
	register(&provider{
		scheme:      "azurekms://",
		name:        "Azure Key Vault",
		format:      "azurekms://VAULT.vault.azure.net/KEY[/VERSION]",
		credentials: "azure/login in an earlier step with the native action (it signs in the Azure CLI), or AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (workload identity) for the container action",
		sign:        "keys/sign (Microsoft.KeyVault/vaults/keys/sign/action)",
		read:        "keys/get (Microsoft.KeyVault/vaults/keys/read); the built-in role Key Vault Crypto User has both",
		valid:       azure.ValidReference,
		load: func(ctx context.Context, uri string) (sigkms.SignerVerifier, error) {
			return azure.LoadSignerVerifier(ctx, uri)
		},
		classify: classifyAzure,
	})
}

func classifyAzure(err error) verdict {
	msg := err.Error()
	perm := ""
	if strings.Contains(msg, "signing the payload") {
		perm = "keys/sign"
	} else if strings.Contains(msg, "public key") {
		perm = "keys/get"
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch {
		case strings.Contains(strings.ToLower(msg), "disabled"):
			return verdict{kind: ErrKeyDisabled}
		case re.StatusCode == http.StatusForbidden:
			return verdict{ErrAccessDenied, perm}
		case re.StatusCode == http.StatusUnauthorized:
			return verdict{kind: ErrNoCredentials}
		case re.StatusCode == http.StatusNotFound:
			return verdict{kind: ErrKeyNotFound}
		case re.StatusCode == http.StatusBadRequest && (strings.Contains(msg, "KeyType") || strings.Contains(msg, "operation") || strings.Contains(msg, "Algorithm")):
			return verdict{kind: ErrWrongKeyType}
		}
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) || strings.Contains(msg, "DefaultAzureCredential") || strings.Contains(msg, "no credential") {
		return verdict{kind: ErrNoCredentials}
	}
	if strings.Contains(msg, "unsupported key size") || strings.Contains(msg, "unsupported public key type") {
		return verdict{kind: ErrWrongKeyType}
	}
	return verdict{}
}
