package kms

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"

	vault "github.com/hashicorp/vault/api"

	"github.com/asc-action/asc-action/internal/httpx"
)

// HashiCorp Vault transit: hashivault://KEY. VAULT_ADDR and VAULT_TOKEN (set
// by hashicorp/vault-action with exportToken: true) reach the server, with
// the Vault client's other variables (VAULT_NAMESPACE, VAULT_CACERT, ...);
// TRANSIT_SECRET_ENGINE_PATH names a transit mount other than "transit".
func init() {
	register(&provider{
		scheme:      "hashivault://",
		name:        "HashiCorp Vault transit",
		format:      "hashivault://KEY_NAME",
		credentials: "hashicorp/vault-action in an earlier step with exportToken: true (it sets VAULT_TOKEN), and VAULT_ADDR in the job's env",
		expired:     "Vault refused the token itself (auth/token/lookup-self is denied too): it has expired or been revoked, or it is no token of this Vault; a token from hashicorp/vault-action lives for its JWT auth role's token_ttl (capped by token_max_ttl), which must outlive the step's longest run (an upload waiting for processing renews its token through Vault)",
		sign:        `"update" on transit/sign/KEY/sha2-256`,
		read:        `"read" on transit/keys/KEY`,
		valid:       validVault,
		load:        loadVault,
		classify:    classifyVault,
	})
}

var vaultKeyName = regexp.MustCompile(`^\w(?:[\w.-]*\w)?$`)

func validVault(uri string) error {
	name := uri[len("hashivault://"):]
	if name == "" {
		return errors.New("no key name")
	}
	if !vaultKeyName.MatchString(name) {
		return errors.New("a transit key name is letters, digits, '_', '-' and '.'")
	}
	return nil
}

type vaultKey struct {
	client  *vault.Client
	mount   string
	name    string
	version json.Number // the version whose public key Open read
}

func loadVault(_ context.Context, uri string) (backend, error) {
	if os.Getenv("VAULT_ADDR") == "" && os.Getenv("BAO_ADDR") == "" {
		return nil, errors.New("VAULT_ADDR is not set")
	}
	cfg := vault.DefaultConfig() // VAULT_ADDR, VAULT_CACERT, VAULT_MAX_RETRIES, ...
	if cfg.Error != nil {
		return nil, fmt.Errorf("reading the Vault client's settings: %w", cfg.Error)
	}
	if os.Getenv("VAULT_ADDR") == "" {
		cfg.Address = os.Getenv("BAO_ADDR")
	}
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		d := &net.Dialer{Timeout: httpx.DialTimeout, KeepAlive: httpx.KeepAlive}
		tr.DialContext = d.DialContext
		tr.ResponseHeaderTimeout = httpx.APIHeaderTimeout
	}
	cfg.HttpClient.Transport = capTransport(cfg.HttpClient.Transport)
	cfg.Timeout = Timeout
	client, err := vault.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("new Vault client: %w", err)
	}
	token := client.Token()
	if token == "" {
		token = os.Getenv("BAO_TOKEN")
	}
	if token == "" {
		return nil, errors.New("no Vault token: VAULT_TOKEN is not set")
	}
	client.SetToken(token)
	mount := strings.Trim(os.Getenv("TRANSIT_SECRET_ENGINE_PATH"), "/")
	if mount == "" {
		mount = "transit"
	}
	return &vaultKey{client: client, mount: mount, name: uri[len("hashivault://"):]}, nil
}

// publicKey reads the key: its type must be ecdsa-p256 (an aes, hmac, rsa
// or ed25519 key is refused by name), and the public half of its newest
// version, which every signature is then made with.
func (v *vaultKey) publicKey(ctx context.Context) (crypto.PublicKey, error) {
	sec, err := v.client.Logical().ReadWithContext(ctx, v.mount+"/keys/"+v.name)
	if err != nil {
		return nil, v.explain(ctx, fmt.Errorf("reading the public key: %w", err))
	}
	if sec == nil || sec.Data == nil {
		return nil, fmt.Errorf("reading the public key: could not read data from transit key path %s/keys/%s", v.mount, v.name)
	}
	typ, _ := sec.Data["type"].(string)
	if typ != "ecdsa-p256" {
		return nil, wrongKey(fmt.Sprintf("its type is %q, not ecdsa-p256", typ))
	}
	if signs, ok := sec.Data["supports_signing"].(bool); ok && !signs {
		return nil, wrongKey("it does not support signing")
	}
	latest, _ := sec.Data["latest_version"].(json.Number)
	keys, _ := sec.Data["keys"].(map[string]any)
	entry, _ := keys[latest.String()].(map[string]any)
	pubPEM, _ := entry["public_key"].(string)
	block, _ := pem.Decode([]byte(pubPEM))
	if block == nil {
		return nil, errors.New("reading the public key: the answer holds no public key PEM for the latest version")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key: %w", err)
	}
	v.version = latest
	return pub, nil
}

// sign signs with the version read at Open, so a rotation during the step
// cannot make a signature the key read at Open does not verify.
func (v *vaultKey) sign(ctx context.Context, digest []byte) ([]byte, error) {
	sec, err := v.client.Logical().WriteWithContext(ctx, v.mount+"/sign/"+v.name+"/sha2-256", map[string]any{
		"input": base64.StdEncoding.EncodeToString(digest), "prehashed": true,
		"marshaling_algorithm": "asn1", "key_version": v.version,
	})
	if err != nil {
		return nil, v.explain(ctx, fmt.Errorf("signing: %w", err))
	}
	if sec == nil {
		return nil, errors.New("signing: an empty answer")
	}
	s, _ := sec.Data["signature"].(string)
	parts := strings.Split(s, ":") // vault:vN:BASE64
	if len(parts) != 3 || parts[0] != "vault" {
		return nil, errors.New("signing: the answer holds no vault:vN: signature")
	}
	return base64.StdEncoding.DecodeString(parts[2])
}

// tokenRefused is a 403 for a token Vault refuses altogether (it refuses its
// lookup-self too): expired, revoked or not Vault's.
type tokenRefused struct{ error }

func (t tokenRefused) Unwrap() error { return t.error }

// explain tells a token Vault refuses from a token that lacks a policy: Vault
// answers "permission denied" to both, but only the first is refused its
// own lookup-self.
func (v *vaultKey) explain(ctx context.Context, err error) error {
	var re *vault.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
		return err
	}
	_, lerr := v.client.Auth().Token().LookupSelfWithContext(ctx)
	var le *vault.ResponseError
	if errors.As(lerr, &le) && le.StatusCode == http.StatusForbidden {
		return tokenRefused{err}
	}
	return err
}

func classifyVault(err error) verdict {
	msg := err.Error()
	perm := ""
	if strings.Contains(msg, "signing") {
		perm = `"update" on transit/sign/KEY/sha2-256`
	} else if strings.Contains(msg, "public key") {
		perm = `"read" on transit/keys/KEY`
	}
	if errors.As(err, new(tokenRefused)) {
		return verdict{kind: ErrExpired}
	}
	var re *vault.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusForbidden:
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
	case strings.Contains(msg, "VAULT_ADDR is not set"), strings.Contains(msg, "no Vault token"):
		return verdict{kind: ErrNoCredentials}
	case strings.Contains(msg, "could not read data from transit key path"):
		return verdict{kind: ErrKeyNotFound}
	}
	return verdict{}
}
