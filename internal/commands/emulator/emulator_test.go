package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/testkeys"
)

func mint(t *testing.T, priv *ecdsa.PrivateKey, kid, iss string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": iss, "aud": "appstoreconnect-v1", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// start runs the command until the test ends; it returns the URL and key path.
func start(t *testing.T, inputs map[string]string) (*commandtest.Recorder, string, string, <-chan error, func()) {
	t.Helper()
	rec := commandtest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	type info struct{ url, key string }
	readyc := make(chan info, 1)
	done := make(chan error, 1)
	go func() {
		done <- newCommand(func(u, k string) { readyc <- info{u, k} }).Run(ctx, rec.Env(inputs, nil))
	}()
	select {
	case in := <-readyc:
		t.Cleanup(cancel)
		return rec, in.url, in.key, done, cancel
	case err := <-done:
		cancel()
		t.Fatalf("command ended before serving: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("emulator did not start")
	}
	return nil, "", "", nil, nil
}

func TestThrowawayKeyServesAClientThatIsNotOurs(t *testing.T) {
	wd, _ := os.Getwd()
	rec, url, keyPath, done, stop := start(t, map[string]string{"addr": "127.0.0.1:0"})
	if !strings.HasPrefix(url, "http://127.0.0.1:") || rec.Outputs["url"] != url {
		t.Fatalf("url %q, outputs %v", url, rec.Outputs)
	}
	if filepath.Dir(filepath.Dir(keyPath)) != filepath.Clean(os.TempDir()) || strings.HasPrefix(keyPath, wd) {
		t.Errorf("key written to %s, want a fresh directory under %s", keyPath, os.TempDir())
	}
	keyID := rec.Outputs["key-id"]
	if filepath.Base(keyPath) != "AuthKey_"+keyID+".p8" || len(keyID) != 10 {
		t.Errorf("key path %s, key id %s", keyPath, keyID)
	}
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	b, _ := os.ReadFile(keyPath)
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if code := get(t, url, mint(t, k.(*ecdsa.PrivateKey), keyID, rec.Outputs["issuer-id"])); code != 200 {
		t.Errorf("GET /v1/apps with a token from the written key: %d", code)
	}
	if code := get(t, url, mint(t, k.(*ecdsa.PrivateKey), keyID, "wrong-issuer")); code != 401 {
		t.Errorf("wrong issuer: %d", code)
	}
	body := strings.Join(strings.Split(strings.TrimSpace(string(b)), "\n")[1:3], "")
	for _, l := range rec.Logs {
		if strings.Contains(l, "PRIVATE KEY") || strings.Contains(l, body) {
			t.Error("key material logged")
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after interrupt", err)
	}
	if _, err := os.Stat(filepath.Dir(keyPath)); !os.IsNotExist(err) {
		t.Errorf("throwaway key directory left behind: %v", err)
	}
	if _, err := http.Get(url + "/v1/apps"); err == nil {
		t.Error("still serving after interrupt")
	}
}

func TestGivenPublicKey(t *testing.T) {
	key := testkeys.New(t)
	der, _ := x509.MarshalPKIXPublicKey(&key.Private.PublicKey)
	dir := t.TempDir()
	pub := filepath.Join(dir, "key.pub")
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	p8 := filepath.Join(dir, "AuthKey_ABCDE12345.p8")
	os.WriteFile(p8, []byte(key.PEM), 0o600)
	data := filepath.Join(dir, "data.json")
	os.WriteFile(data, []byte(`{"apps":[{"id":"1","bundleId":"com.x"}]}`), 0o644)

	for _, path := range []string{pub, p8} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rec, url, keyPath, _, _ := start(t, map[string]string{"addr": "127.0.0.1:0", "key-id": "ABCDE12345", "issuer-id": "iss-1",
				"public-key": path, "data": data, "faults": "latency:1ms", "verbose": "true"})
			if keyPath != "" || rec.Outputs["key-path"] != "" {
				t.Errorf("a key was written although one was given: %q", keyPath)
			}
			if code := get(t, url, mint(t, key.Private, "ABCDE12345", "iss-1")); code != 200 {
				t.Errorf("status %d", code)
			}
			if !strings.Contains(strings.Join(rec.Logs, "\n"), "GET /v1/apps -> 200") {
				t.Errorf("verbose log missing: %v", rec.Logs)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"faults": "parts:2:503"}, "faults"},
		{map[string]string{"data": "/nonexistent/data.json"}, "data"},
		{map[string]string{"key-id": "ABCDE12345"}, "public-key"},
		{map[string]string{"public-key": "/nonexistent.pem", "key-id": "K", "issuer-id": "I"}, "public-key"},
		{map[string]string{"public-key": "/x.pem", "issuer-id": "I"}, "key-id"},
		{map[string]string{"public-key": "/x.pem", "key-id": "K"}, "issuer-id"},
		{map[string]string{"addr": "256.1.1.1:0"}, "addr"},
		{map[string]string{"rate-limit": "-3"}, "rate-limit"},
		{map[string]string{"role": "ADMN"}, "role"},
		{map[string]string{"agreement": "signed"}, "agreement"},
		{map[string]string{"processing": "rejected"}, "processing"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rec := commandtest.NewRecorder()
			err := Command().Run(context.Background(), rec.Env(tt.inputs, nil))
			var ee *command.ExitError
			if !errors.As(err, &ee) || ee.Code != command.ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want a usage error about %s", err, tt.want)
			}
		})
	}
	if c := Command(); c.Name != "emulator" || c.Primary != "url" || c.Input("faults") == nil {
		t.Error("command declaration")
	}
}

// TestLimitBindsLoopbackByDefault: unless told otherwise, the emulator
// serves this machine only.
func TestLimitBindsLoopbackByDefault(t *testing.T) {
	if in := Command().Input("addr"); in == nil || in.Default != "127.0.0.1:0" {
		t.Errorf("addr input %+v; want one defaulting to 127.0.0.1:0", in)
	}
}

// A PUBLIC KEY that is not EC P-256 is refused as a usage error naming
// public-key and the file.
func TestPublicKeyOnAnotherCurve(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	path := filepath.Join(t.TempDir(), "p384.pub")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := commandtest.NewRecorder()
	err = Command().Run(context.Background(), rec.Env(map[string]string{"public-key": path, "key-id": "ABCDE12345", "issuer-id": "iss-1"}, nil))
	if command.ExitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), "public-key") || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("err %v; want a usage error naming public-key, the file and P-256", err)
	}
}
