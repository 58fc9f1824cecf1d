package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
