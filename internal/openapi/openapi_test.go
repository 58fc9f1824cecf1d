package openapi

import (
	"bufio"
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
// (or $ASC_OPENAPI) that was not vendored: its sum must be the one SOURCE.md
// records, and every one of its paths must be in the vendored copy. On a clone
// with nothing beside it there is nothing to compare, and the test says so in
// its log.
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
	if got, want := sum(src), recorded(t)["sha256 (source)"]; got != want {
		t.Fatalf("%s has sha256 %s, SOURCE.md records %q: run internal/openapi/refresh.sh and commit", path, got, want)
	}
	vendored := paths(t, mustJSON(t))
	for p := range paths(t, src) {
		if !vendored[p] {
			t.Errorf("vendored copy lacks the source's path %s: run internal/openapi/refresh.sh", p)
		}
	}
}

// TestOverlaysAreMerged holds the vendored copy to the overlays beside it:
// each overlay path is in the document, and each overlay says where its text
// comes from.
func TestOverlaysAreMerged(t *testing.T) {
	files, err := filepath.Glob("*.overlay.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no overlay found (%v); the webhook paths come from webhooks.overlay.json", err)
	}
	vendored := paths(t, mustJSON(t))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ov struct {
			Source map[string]any `json:"x-source"`
			Paths  map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(b, &ov); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(ov.Source) == 0 || len(ov.Paths) == 0 {
			t.Errorf("%s: an overlay needs x-source (where its text comes from) and paths", f)
		}
		for p := range ov.Paths {
			if !vendored[p] {
				t.Errorf("%s: path %s is not in the vendored copy: run internal/openapi/refresh.sh", f, p)
			}
		}
	}
	for _, p := range []string{"/v1/webhooks", "/v1/webhooks/{id}", "/v1/webhooks/{id}/deliveries", "/v1/webhookDeliveries", "/v1/webhookPings", "/v1/apps/{id}/webhooks"} {
		if !vendored[p] {
			t.Errorf("vendored copy lacks the webhook path %s", p)
		}
	}
}

func mustJSON(t *testing.T) []byte {
	t.Helper()
	doc, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func paths(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var d struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for p := range d.Paths {
		out[p] = true
	}
	return out
}
