package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/kms"
	"github.com/asc-action/asc-action/internal/token"
)

// BenchmarkProcessToken times a whole `asc-action token` process: start,
// read the key file, mint, print. Compare with BenchmarkMint in
// internal/token for the share the signature takes.
func BenchmarkProcessToken(b *testing.B) {
	k := newKey(b)
	path := filepath.Join(b.TempDir(), "AuthKey_ABCDE12345.p8")
	if err := os.WriteFile(path, []byte(k.pem), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(binary, "token", "--private-key-path", path, "--issuer-id", issuer, "--quiet")
		if out, err := cmd.Output(); err != nil || len(out) < 100 {
			b.Fatalf("token: %v", err)
		}
	}
}

// BenchmarkTokenKMSvsLocal compares a token signed by a key held in a KMS
// (local-kms on loopback, so the KMS's own latency is near zero: add the
// round trip to the cloud region) with one signed by the in-memory key, in
// the same run: minting in-process, and a whole `asc-action token` process.
func BenchmarkTokenKMSvsLocal(b *testing.B) {
	l := startLocalKMS(b)
	awsEnv := l.env(b)
	for _, kv := range awsEnv {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	k := newKey(b)
	path := filepath.Join(b.TempDir(), "AuthKey_ABCDE12345.p8")
	if err := os.WriteFile(path, []byte(k.pem), 0o600); err != nil {
		b.Fatal(err)
	}
	uri := "awskms:///" + kmsAlias
	kmsSigner, err := kms.Open(context.Background(), uri)
	if err != nil {
		b.Fatal(err)
	}
	opts := token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}
	for _, s := range []struct {
		name   string
		signer token.Signer
	}{{"mint/local-key", k.priv}, {"mint/awskms", kmsSigner}} {
		b.Run(s.name, func(b *testing.B) {
			m, err := token.NewMinter(s.signer, opts, nil)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Mint(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range []struct{ name, flag, value string }{{"process/local-key", "--private-key-path", path}, {"process/awskms", "--private-key", uri}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(binary, "token", c.flag, c.value, "--key-id", keyID, "--issuer-id", issuer, "--quiet")
				if out, err := cmd.Output(); err != nil || len(out) < 100 {
					b.Fatalf("token: %v", err)
				}
			}
		})
	}
}
