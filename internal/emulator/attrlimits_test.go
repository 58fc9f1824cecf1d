package emulator

import (
	"strings"
	"testing"
)

func TestWritesRefuseOverlongAttributes(t *testing.T) {
	e := accountEnv(t)
	app := map[string]any{"app": rel("apps", "1000000001")}
	huge := strings.Repeat("g", 900<<10)
	cases := []struct {
		name, method, path string
		body               map[string]any
		pointer            string
	}{
		{"900 KB group name", "POST", "/v1/betaGroups", body("betaGroups", map[string]any{"name": huge}, app), "/data/attributes/name"},
		{"4001-character tester name", "POST", "/v1/betaTesters", body("betaTesters", map[string]any{"email": "a@example.com", "firstName": strings.Repeat("é", 4001)}, nil), "/data/attributes/firstName"},
		{"101 keywords characters", "PATCH", "/v1/appStoreVersionLocalizations/ASVL000001",
			map[string]any{"data": map[string]any{"type": "appStoreVersionLocalizations", "id": "ASVL000001", "attributes": map[string]any{"keywords": strings.Repeat("k", 101)}}},
			"/data/attributes/keywords"},
		{"a list of 101 entries", "POST", "/v1/betaGroups", body("betaGroups", map[string]any{"name": "L", "tags": make([]any, 101)}, app), "/data/attributes/tags"},
		{"a long string inside a list", "POST", "/v1/betaGroups", body("betaGroups", map[string]any{"name": "L", "tags": []any{huge}}, app), "/data/attributes/tags"},
		{"a long build upload file name", "POST", "/v1/buildUploadFiles", fileBody("x", huge, 10), "/data/attributes/fileName"},
	}
	groups := len(ids(t, e.mustGet("/v1/apps/1000000001/betaGroups")))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body)
			if r.status != 422 || r.errorCode(t) != "ENTITY_ERROR.ATTRIBUTE.INVALID.TOO_LONG" {
				t.Fatalf("%d %.300s", r.status, r.body)
			}
			if p := dig(r.json(t), "errors", 0, "source", "pointer"); p != c.pointer {
				t.Errorf("pointer %v, want %s", p, c.pointer)
			}
			if len(r.body) > 4<<10 {
				t.Errorf("the refusal is %d bytes long: it echoes the value", len(r.body))
			}
		})
	}
	if n := len(ids(t, e.mustGet("/v1/apps/1000000001/betaGroups"))); n != groups {
		t.Errorf("groups: %d before, %d after refused creates", groups, n)
	}
	// At the limits, in characters (not bytes): accepted.
	e.created("/v1/betaGroups", body("betaGroups", map[string]any{"name": strings.Repeat("é", MaxAttributeLength)}, app))
	r := e.do("PATCH", "/v1/appStoreVersionLocalizations/ASVL000001", map[string]any{"data": map[string]any{
		"type": "appStoreVersionLocalizations", "id": "ASVL000001", "attributes": map[string]any{"keywords": strings.Repeat("ü", 100)}}})
	if r.status != 200 {
		t.Errorf("100 keywords characters: %d %s", r.status, r.body)
	}
}
