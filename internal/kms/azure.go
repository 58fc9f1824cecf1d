package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
)

// Azure Key Vault: azurekms://VAULT.vault.azure.net/KEY[/VERSION].
// Credentials: with AZURE_CLIENT_ID and AZURE_TENANT_ID set and no other
// credential variable, inside a GitHub Actions job that may request an OIDC
// token, workload identity federation with GitHub's OIDC token (githubOIDC);
// otherwise DefaultAzureCredential: AZURE_* variables (client secret or a
// federated token file), a managed identity, or the Azure CLI's login
// (azure/login, usable from the native action, where `az` is installed).
func init() {
	register(&provider{
		scheme:      "azurekms://",
		name:        "Azure Key Vault",
		format:      "azurekms://VAULT.vault.azure.net/KEY[/VERSION]",
		credentials: "AZURE_CLIENT_ID and AZURE_TENANT_ID of an app registration with a federated credential for this repository, in a job with permissions: id-token: write (both actions); or azure/login in an earlier step with the native action",
		expired:     "the Azure credential expired: a federated token file (AZURE_FEDERATED_TOKEN_FILE) holds a GitHub OIDC token that expires within minutes; unset it and keep AZURE_CLIENT_ID and AZURE_TENANT_ID, so the step requests fresh GitHub OIDC tokens itself",
		sign:        "keys/sign (Microsoft.KeyVault/vaults/keys/sign/action)",
		read:        "keys/get (Microsoft.KeyVault/vaults/keys/read); the built-in role Key Vault Crypto User has both",
		valid:       validAzure,
		load:        loadAzure,
		classify:    classifyAzure,
	})
}

var azureURI = regexp.MustCompile(`^azurekms://([^/]+)/([0-9A-Za-z-]+)(?:/([0-9A-Za-z]+))?$`)

func validAzure(uri string) error {
	if !azureURI.MatchString(uri) {
		return errors.New("not VAULT_HOST/KEY with an optional /VERSION")
	}
	return nil
}

type azureKey struct {
	client        *azkeys.Client
	name, version string
}

func loadAzure(_ context.Context, uri string) (backend, error) {
	m := azureURI.FindStringSubmatch(uri)
	hc := newHTTPClient()
	opts := azcore.ClientOptions{Transport: hc}
	switch strings.ToUpper(os.Getenv("AZURE_ENVIRONMENT")) {
	case "AZUREUSGOVERNMENT", "AZUREUSGOVERNMENTCLOUD":
		opts.Cloud = cloud.AzureGovernment
	case "AZURECHINACLOUD":
		opts.Cloud = cloud.AzureChina
	}
	cred, err := azureCredential(hc, opts)
	if err != nil {
		return nil, err
	}
	client, err := azkeys.NewClient("https://"+m[1]+"/", cred, &azkeys.ClientOptions{ClientOptions: opts})
	if err != nil {
		return nil, fmt.Errorf("new Key Vault client: %w", err)
	}
	return &azureKey{client: client, name: m[2], version: m[3]}, nil
}

// azureCredential is workload identity federation with GitHub's OIDC token
// when AZURE_CLIENT_ID and AZURE_TENANT_ID are the only Azure credential
// variables set and the job may request an OIDC token; DefaultAzureCredential
// otherwise.
func azureCredential(hc *http.Client, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	clientID, tenant := os.Getenv("AZURE_CLIENT_ID"), os.Getenv("AZURE_TENANT_ID")
	other := os.Getenv("AZURE_CLIENT_SECRET") != "" || os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" || os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != ""
	reqURL, reqToken := os.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), os.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if clientID != "" && tenant != "" && !other && reqURL != "" && reqToken != "" {
		return azidentity.NewClientAssertionCredential(tenant, clientID, githubOIDC(hc, reqURL, reqToken, azureAudience),
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: privateAuthority()})
	}
	return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
}

// privateAuthority reports an AZURE_AUTHORITY_HOST other than the public
// and sovereign clouds' (Azure Stack, a private cloud, a test's fake), which
// Entra's instance discovery does not know: it is not asked.
func privateAuthority() bool {
	host := strings.TrimSuffix(os.Getenv("AZURE_AUTHORITY_HOST"), "/")
	if host == "" {
		return false
	}
	for _, c := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureGovernment, cloud.AzureChina} {
		if strings.EqualFold(host, strings.TrimSuffix(c.ActiveDirectoryAuthorityHost, "/")) {
			return false
		}
	}
	return true
}

// publicKey reads the key (the version the URI names, else the current
// one): an EC P-256 key that may sign. Signatures are then made with the
// version read here.
func (a *azureKey) publicKey(ctx context.Context) (crypto.PublicKey, error) {
	resp, err := a.client.GetKey(ctx, a.name, a.version, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	k := resp.Key
	if k == nil || k.Kty == nil {
		return nil, errors.New("reading the public key: the answer holds no key")
	}
	if resp.Attributes != nil && resp.Attributes.Enabled != nil && !*resp.Attributes.Enabled {
		return nil, disabledKey("the key is disabled")
	}
	crv := ""
	if k.Crv != nil {
		crv = string(*k.Crv)
	}
	if (*k.Kty != azkeys.KeyTypeEC && *k.Kty != azkeys.KeyTypeECHSM) || crv != string(azkeys.CurveNameP256) {
		return nil, wrongKey(fmt.Sprintf("its key type is %s %s", *k.Kty, crv))
	}
	if len(k.KeyOps) > 0 && !slices.ContainsFunc(k.KeyOps, func(op *azkeys.KeyOperation) bool { return op != nil && *op == azkeys.KeyOperationSign }) {
		return nil, wrongKey("its permitted operations do not include sign")
	}
	if len(k.X) != 32 || len(k.Y) != 32 {
		return nil, errors.New("reading the public key: the coordinates are not 32 bytes each")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, k.X...), k.Y...))
	if err != nil {
		return nil, fmt.Errorf("parsing the public key: %w", err)
	}
	if k.KID != nil && a.version == "" {
		a.version = k.KID.Version()
	}
	return pub, nil
}

// sign signs with ES256 and turns Key Vault's r||s answer into ASN.1 DER.
func (a *azureKey) sign(ctx context.Context, digest []byte) ([]byte, error) {
	alg := azkeys.SignatureAlgorithmES256
	resp, err := a.client.Sign(ctx, a.name, a.version, azkeys.SignParameters{Algorithm: &alg, Value: digest}, nil)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if len(resp.Result) != 64 {
		return nil, fmt.Errorf("signing: the signature is %d bytes, not the 64 of ES256", len(resp.Result))
	}
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(resp.Result[:32]), new(big.Int).SetBytes(resp.Result[32:])})
}

func classifyAzure(err error) verdict {
	msg := err.Error()
	perm := ""
	if strings.HasPrefix(msg, "signing") {
		perm = "keys/sign"
	} else if strings.HasPrefix(msg, "reading the public key") {
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
		if strings.Contains(msg, "AADSTS700024") || strings.Contains(msg, "expired") {
			return verdict{kind: ErrExpired}
		}
		return verdict{kind: ErrNoCredentials}
	}
	return verdict{}
}
