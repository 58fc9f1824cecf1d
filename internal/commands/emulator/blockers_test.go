package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
)

// getDoc GETs path with token and decodes the JSON:API document.
func getDoc(t *testing.T, url, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	json.NewDecoder(res.Body).Decode(&doc)
	return res.StatusCode, doc
}

// The readiness blockers reached from the command line: --missing takes
// what external testing needs away from the demo app, --uploads-in-flight
// seeds uploads another run left PROCESSING.
func TestBlockerFlags(t *testing.T) {
	rec, url, keyPath, _, _ := start(t, map[string]string{"addr": "127.0.0.1:0",
		"missing": "beta-review-details,beta-app-localization,encryption-declaration", "uploads-in-flight": "1.0:7,1.0:8"})
	b, _ := os.ReadFile(keyPath)
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, k.(*ecdsa.PrivateKey), rec.Outputs["key-id"], rec.Outputs["issuer-id"])

	_, doc := getDoc(t, url, "/v1/apps/1000000001/betaAppReviewDetail", tok)
	if attrs, _ := doc["data"].(map[string]any)["attributes"].(map[string]any); attrs["contactFirstName"] != nil || attrs["contactEmail"] != nil {
		t.Errorf("review details still filled: %v", attrs)
	}
	for _, p := range []string{"/v1/apps/1000000001/betaAppLocalizations", "/v1/apps/1000000001/appEncryptionDeclarations"} {
		if code, doc := getDoc(t, url, p, tok); code != 200 || len(doc["data"].([]any)) != 0 {
			t.Errorf("GET %s: %d %v; want an empty list", p, code, doc["data"])
		}
	}
	_, doc = getDoc(t, url, "/v1/apps/1000000001/buildUploads?filter[state]=PROCESSING", tok)
	var builds []string
	for _, u := range doc["data"].([]any) {
		builds = append(builds, u.(map[string]any)["attributes"].(map[string]any)["cfBundleVersion"].(string))
	}
	if strings.Join(builds, ",") != "7,8" {
		t.Errorf("uploads in flight hold build numbers %v; want 7,8", builds)
	}
}

func TestBlockerFlagUsageErrors(t *testing.T) {
	for in, want := range map[string]string{"missing": "beta-review-details", "uploads-in-flight": "VERSION:BUILD"} {
		rec := commandtest.NewRecorder()
		err := Command().Run(context.Background(), rec.Env(map[string]string{in: "nonsense"}, nil))
		if command.ExitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), in+":") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: nonsense gave %v; want a usage error naming %s and the form %s", in, err, in, want)
		}
	}
}
