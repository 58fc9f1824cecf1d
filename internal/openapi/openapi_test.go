package openapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorded reads the "- key: value" lines of SOURCE.md.
func recorded(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("SOURCE.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "- ")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok {
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRecordedSumsAndVersionMatch(t *testing.T) {
	rec := recorded(t)
	doc, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum(compressed), rec["sha256 (openapi.json.gz)"]; got != want {
		t.Errorf("openapi.json.gz sha256 = %s, SOURCE.md records %q; run internal/openapi/refresh.sh", got, want)
	}
	if got, want := sum(doc), rec["sha256 (openapi.json)"]; got != want {
		t.Errorf("uncompressed sha256 = %s, SOURCE.md records %q; run internal/openapi/refresh.sh", got, want)
	}
	var head struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		t.Fatalf("vendored document is not JSON: %v", err)
	}
	if head.Info.Version != rec["version"] {
		t.Errorf("info.version = %q, SOURCE.md records %q", head.Info.Version, rec["version"])
	}
	if !strings.HasPrefix(head.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want an OpenAPI 3 document", head.OpenAPI)
	}
}

func TestJSONIsDecompressedOnce(t *testing.T) {
	a, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := JSON()
	if len(a) == 0 || &a[0] != &b[0] {
		t.Fatal("JSON should return the same decompressed bytes on every call")
	}
}

// TestVendoredCopyEqualsShared notices a refreshed ../shared/asc/openapi.json
// (or $ASC_OPENAPI) that was not vendored. On a clone with nothing beside it
// there is nothing to compare, and the test says so in its log.
func TestVendoredCopyEqualsShared(t *testing.T) {
	path := os.Getenv("ASC_OPENAPI")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "asc", "openapi.json")
	}
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Logf("no %s beside the checkout: the vendored copy (SOURCE.md) is the reference", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, doc) {
		t.Errorf("%s (sha256 %s) differs from the vendored copy (sha256 %s): run internal/openapi/refresh.sh and commit", path, sum(src), sum(doc))
	}
}
