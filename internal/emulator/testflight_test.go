package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tfIDs returns data[*].id of a collection document.
func tfIDs(doc map[string]any) []string {
	var out []string
	list, _ := doc["data"].([]any)
	for _, it := range list {
		id, _ := dig(it, "id").(string)
		out = append(out, id)
	}
	return out
}

func tfLinkages(typ string, ids ...string) map[string]any {
	var data []any
	for _, id := range ids {
		data = append(data, map[string]any{"type": typ, "id": id})
	}
	return map[string]any{"data": data}
}

func tfRel(typ, id string) map[string]any {
	return map[string]any{"data": map[string]any{"type": typ, "id": id}}
}

// tfEnv is an emulator with the demo data, a build still processing, and
// keys of several roles.
func tfEnv(t *testing.T) (*env, map[string]testKey) {
	t.Helper()
	clock := newClock()
	data := DefaultData(clock.Now())
	data.Builds = append(data.Builds, Build{ID: "BUILD00002", App: "1000000001", Version: "2", ShortVersion: "1.0",
		Platform: "IOS", ProcessingState: "PROCESSING", UploadedDate: clock.Now()})
	keys := map[string]testKey{}
	var cfgKeys []Key
	for i, role := range []string{RoleFinance, RoleDeveloper, RoleAppManager} {
		k := genKey(t, "TFROLEKEY"+string(rune('1'+i)), false, role)
		keys[role] = k
		cfgKeys = append(cfgKeys, k.Key)
	}
	e := newEnv(t, Config{Now: clock.Now, Data: data, Keys: cfgKeys, BuildProcessingDelay: time.Hour})
	e.clock = clock
	return e, keys
}

func TestTestFlightBetaGroups(t *testing.T) {
	e, keys := tfEnv(t)
	const app = "1000000001"

	doc := e.mustGet("/v1/betaGroups?filter[app]=" + app)
	if got := tfIDs(doc); strings.Join(got, ",") != "GROUP00001,GROUP00002" {
		t.Fatalf("groups of the app = %v", got)
	}
	if dig(doc, "data", 0, "attributes", "isInternalGroup") != true || dig(doc, "data", 1, "attributes", "isInternalGroup") != false {
		t.Errorf("internal/external flags wrong: %v / %v", dig(doc, "data", 0, "attributes"), dig(doc, "data", 1, "attributes"))
	}
	if link, _ := dig(doc, "data", 1, "attributes", "publicLink").(string); !strings.HasPrefix(link, "https://testflight.apple.com/join/") {
		t.Errorf("external group's public link = %q", link)
	}
	if got := tfIDs(e.mustGet("/v1/betaGroups?filter[name]=Public%20Beta")); len(got) != 1 || got[0] != "GROUP00002" {
		t.Errorf("filter[name] = %v", got)
	}
	if got := tfIDs(e.mustGet("/v1/betaGroups?filter[isInternalGroup]=true")); len(got) != 1 || got[0] != "GROUP00001" {
		t.Errorf("filter[isInternalGroup] = %v", got)
	}
	if got := tfIDs(e.mustGet("/v1/apps/" + app + "/betaGroups")); len(got) != 2 {
		t.Errorf("apps/{id}/betaGroups = %v", got)
	}
	if got := e.mustGet("/v1/betaGroups/GROUP00002"); dig(got, "data", "attributes", "name") != "Public Beta" {
		t.Errorf("GET betaGroups/GROUP00002 = %v", got)
	}
	if r := e.do("GET", "/v1/betaGroups/NOPE", nil); r.status != 404 || r.errorCode(t) != "NOT_FOUND" {
		t.Errorf("unknown group: %d", r.status)
	}
	if got := tfIDs(e.mustGet("/v1/betaGroups?filter[builds]=BUILD00001")); len(got) != 0 {
		t.Fatalf("BUILD00001 is in %v before being added", got)
	}

	add := "/v1/builds/BUILD00001/relationships/betaGroups"
	// External testers only get a build whose export compliance is answered.
	if r := e.do("POST", add, tfLinkages("betaGroups", "GROUP00002")); r.status != 422 || r.errorCode(t) != "ENTITY_ERROR.RELATIONSHIP.INVALID" {
		t.Fatalf("external group before export compliance: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/v1/builds/BUILD00001", map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00001",
		"attributes": map[string]any{"usesNonExemptEncryption": false}}}); r.status != 200 {
		t.Fatalf("export compliance: %d %s", r.status, r.body)
	}
	if r := e.do("POST", add, tfLinkages("betaGroups", "GROUP00001", "GROUP00002")); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("add to groups: %d %s", r.status, r.body)
	}
	if r := e.do("POST", add, tfLinkages("betaGroups", "GROUP00002")); r.status != 204 {
		t.Errorf("adding again: %d %s; want 204 (already there is fine)", r.status, r.body)
	}
	if got := tfIDs(e.mustGet("/v1/betaGroups?filter[app]=" + app + "&filter[builds]=BUILD00001")); len(got) != 2 {
		t.Errorf("after adding, BUILD00001 is in %v", got)
	}
	e.srv.mu.Lock()
	n := len(e.srv.data.BetaGroups[1].Builds)
	e.srv.mu.Unlock()
	if n != 1 {
		t.Errorf("group holds the build %d times", n)
	}

	cases := []struct {
		name   string
		path   string
		body   any
		tok    string
		status int
		code   string
	}{
		{"unknown group", add, tfLinkages("betaGroups", "NOPE"), "", 404, "NOT_FOUND"},
		{"wrong type", add, tfLinkages("apps", "GROUP00001"), "", 409, "ENTITY_ERROR.INCORRECT_TYPE"},
		{"build still processing", "/v1/builds/BUILD00002/relationships/betaGroups", tfLinkages("betaGroups", "GROUP00002"), "", 409, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"unknown build", "/v1/builds/NOPE/relationships/betaGroups", tfLinkages("betaGroups", "GROUP00002"), "", 404, "NOT_FOUND"},
		{"finance key", add, tfLinkages("betaGroups", "GROUP00002"), keys[RoleFinance].token(t, e.clock.Now()), 403, "FORBIDDEN_ERROR"},
		{"developer key may read, not manage", add, tfLinkages("betaGroups", "GROUP00002"), keys[RoleDeveloper].token(t, e.clock.Now()), 403, "FORBIDDEN_ERROR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.tok != "" {
				r = e.do("POST", c.path, c.body, c.tok)
			} else {
				r = e.do("POST", c.path, c.body)
			}
			if r.status != c.status || r.errorCode(t) != c.code {
				t.Errorf("%d %s; want %d %s", r.status, r.body, c.status, c.code)
			}
		})
	}
	if r := e.do("GET", "/v1/betaGroups", nil, keys[RoleFinance].token(t, e.clock.Now())); r.status != 403 {
		t.Errorf("finance key reading groups: %d; want 403", r.status)
	}
	if r := e.do("GET", "/v1/betaGroups", nil, keys[RoleDeveloper].token(t, e.clock.Now())); r.status != 200 {
		t.Errorf("developer key reading groups: %d; want 200", r.status)
	}
	if r := e.do("POST", add, tfLinkages("betaGroups", "GROUP00002"), keys[RoleAppManager].token(t, e.clock.Now())); r.status != 204 {
		t.Errorf("app manager key adding a build: %d %s", r.status, r.body)
	}
}

func TestTestFlightLocalizationsComplianceReview(t *testing.T) {
	e, keys := tfEnv(t)

	create := map[string]any{"data": map[string]any{"type": "betaBuildLocalizations",
		"attributes":    map[string]any{"locale": "en-US", "whatsNew": "Try the new login."},
		"relationships": map[string]any{"build": tfRel("builds", "BUILD00001")}}}
	r := e.do("POST", "/v1/betaBuildLocalizations", create)
	if r.status != 201 {
		t.Fatalf("create localization: %d %s", r.status, r.body)
	}
	id, _ := dig(r.json(t), "data", "id").(string)
	if r := e.do("POST", "/v1/betaBuildLocalizations", create); r.status != 409 || r.errorCode(t) != "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE" {
		t.Errorf("second localization for en-US: %d %s", r.status, r.body)
	}
	long := map[string]any{"data": map[string]any{"type": "betaBuildLocalizations",
		"attributes":    map[string]any{"locale": "de-DE", "whatsNew": strings.Repeat("x", 4001)},
		"relationships": map[string]any{"build": tfRel("builds", "BUILD00001")}}}
	if r := e.do("POST", "/v1/betaBuildLocalizations", long); r.status != 422 {
		t.Errorf("4001-character notes: %d; want 422", r.status)
	}
	if got := tfIDs(e.mustGet("/v1/builds/BUILD00001/betaBuildLocalizations")); len(got) != 1 || got[0] != id {
		t.Errorf("build's localizations = %v", got)
	}
	if got := tfIDs(e.mustGet("/v1/betaBuildLocalizations?filter[build]=BUILD00001&filter[locale]=en-US")); len(got) != 1 {
		t.Errorf("filtered localizations = %v", got)
	}
	patch := func(pathID, bodyID, text string) response {
		return e.do("PATCH", "/v1/betaBuildLocalizations/"+pathID, map[string]any{"data": map[string]any{
			"type": "betaBuildLocalizations", "id": bodyID, "attributes": map[string]any{"whatsNew": text}}})
	}
	if r := patch(id, id, "Only the login."); r.status != 200 || dig(r.json(t), "data", "attributes", "whatsNew") != "Only the login." {
		t.Errorf("update notes: %d %s", r.status, r.body)
	}
	if r := patch(id, "other", "x"); r.status != 409 {
		t.Errorf("PATCH with a mismatched id: %d", r.status)
	}
	if r := patch("NOPE", "NOPE", "x"); r.status != 404 {
		t.Errorf("PATCH of an unknown localization: %d", r.status)
	}

	// Export compliance: absent until answered, then on the build.
	if got := e.mustGet("/v1/builds/BUILD00001"); dig(got, "data", "attributes", "usesNonExemptEncryption") != nil {
		t.Errorf("compliance before answering = %v", dig(got, "data", "attributes", "usesNonExemptEncryption"))
	}
	upd := map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00001", "attributes": map[string]any{"usesNonExemptEncryption": false}}}
	if r := e.do("PATCH", "/v1/builds/BUILD00001", upd, keys[RoleFinance].token(t, e.clock.Now())); r.status != 403 {
		t.Errorf("finance key answering compliance: %d", r.status)
	}
	if r := e.do("PATCH", "/v1/builds/BUILD00001", upd); r.status != 200 || dig(r.json(t), "data", "attributes", "usesNonExemptEncryption") != false {
		t.Errorf("answer compliance: %d %s", r.status, r.body)
	}
	if got := e.mustGet("/v1/builds/BUILD00001"); dig(got, "data", "attributes", "usesNonExemptEncryption") != false {
		t.Errorf("GET build after answering: %v", dig(got, "data", "attributes"))
	}
	if got := e.mustGet("/v1/builds/BUILD00001/app"); dig(got, "data", "id") != "1000000001" {
		t.Errorf("build's app = %v", dig(got, "data"))
	}

	// Beta app review.
	if r := e.do("GET", "/v1/betaAppReviewSubmissions", nil); r.status != 400 || r.errorCode(t) != "PARAMETER_ERROR.REQUIRED" {
		t.Errorf("submissions without filter[build]: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/builds/BUILD00001/betaAppReviewSubmission", nil); r.status != 404 {
		t.Errorf("submission before submitting: %d", r.status)
	}
	submit := map[string]any{"data": map[string]any{"type": "betaAppReviewSubmissions", "relationships": map[string]any{"build": tfRel("builds", "BUILD00001")}}}
	if r := e.do("POST", "/v1/betaAppReviewSubmissions", submit, keys[RoleDeveloper].token(t, e.clock.Now())); r.status != 403 {
		t.Errorf("developer key submitting: %d", r.status)
	}
	r = e.do("POST", "/v1/betaAppReviewSubmissions", submit)
	if r.status != 201 || dig(r.json(t), "data", "attributes", "betaReviewState") != "WAITING_FOR_REVIEW" {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/betaAppReviewSubmissions", submit); r.status != 409 {
		t.Errorf("second submission: %d", r.status)
	}
	processing := map[string]any{"data": map[string]any{"type": "betaAppReviewSubmissions", "relationships": map[string]any{"build": tfRel("builds", "BUILD00002")}}}
	if r := e.do("POST", "/v1/betaAppReviewSubmissions", processing); r.status != 409 {
		t.Errorf("submitting a build still processing: %d", r.status)
	}
	if got := tfIDs(e.mustGet("/v1/betaAppReviewSubmissions?filter[build]=BUILD00001&filter[betaReviewState]=WAITING_FOR_REVIEW")); len(got) != 1 {
		t.Errorf("submissions = %v", got)
	}
	if got := e.mustGet("/v1/builds/BUILD00001/betaAppReviewSubmission"); dig(got, "data", "attributes", "betaReviewState") != "WAITING_FOR_REVIEW" {
		t.Errorf("build's submission = %v", got)
	}
	if n := e.srv.Requests()["betaAppReviewSubmissions_createInstance"]; n != 4 {
		t.Errorf("request count for submissions = %d; want 4", n)
	}
}

func TestTestFlightDataFile(t *testing.T) {
	base := `{"apps":[{"id":"1","bundleId":"a.b"}],"builds":[{"id":"B1","app":"1","version":"1","processingState":"VALID"}]`
	cases := []struct {
		name, extra string
		ok          bool
	}{
		{"groups", `,"betaGroups":[{"id":"G1","app":"1","name":"QA","isInternalGroup":true,"builds":["B1"]},{"id":"G2","app":"1","name":"Beta"}]`, true},
		{"seeded notes and review", `,"betaBuildLocalizations":[{"id":"L1","build":"B1","locale":"en-US","whatsNew":"x"}],"betaAppReviewSubmissions":[{"id":"S1","build":"B1","betaReviewState":"APPROVED"}]`, true},
		{"group of an unknown app", `,"betaGroups":[{"id":"G1","app":"9","name":"QA"}]`, false},
		{"group with an unknown build", `,"betaGroups":[{"id":"G1","app":"1","name":"QA","builds":["B9"]}]`, false},
		{"group without a name", `,"betaGroups":[{"id":"G1","app":"1"}]`, false},
		{"bad review state", `,"betaAppReviewSubmissions":[{"id":"S1","build":"B1","betaReviewState":"DONE"}]`, false},
		{"misspelt field", `,"betaGroup":[]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseData([]byte(base + c.extra + "}"))
			if c.ok != (err == nil) {
				t.Fatalf("ParseData err = %v; want ok=%v", err, c.ok)
			}
			if !c.ok && !errors.Is(err, ErrInvalidData) {
				t.Errorf("err = %v; want ErrInvalidData", err)
			}
			if c.ok && c.name == "groups" {
				s := New(Config{Data: d})
				defer s.Close()
				d.BetaGroups[0].Builds[0] = "changed"
				if s.data.BetaGroups[0].Builds[0] != "B1" {
					t.Error("the server shares the group's build list with the caller's Data")
				}
			}
		})
	}
}

// FuzzTestFlightBodies sends arbitrary request bodies to the TestFlight
// operations that read one: the emulator must answer each with a JSON:API
// document or an Apple error, never panic or a status Apple does not use.
func FuzzTestFlightBodies(f *testing.F) {
	key := genKey(f, "FUZZKEY001", false, RoleAdmin)
	srv := New(Config{Data: DefaultData(time.Now()), Keys: []Key{key.Key}, RateLimitPerHour: 1 << 30, StoreDir: f.TempDir()})
	f.Cleanup(func() { srv.Close() })
	targets := []struct{ method, path string }{
		{"POST", "/v1/builds/BUILD00001/relationships/betaGroups"},
		{"POST", "/v1/betaBuildLocalizations"},
		{"PATCH", "/v1/betaBuildLocalizations/LOC"},
		{"PATCH", "/v1/builds/BUILD00001"},
		{"POST", "/v1/betaAppReviewSubmissions"},
	}
	f.Add(uint8(0), []byte(`{"data":[{"type":"betaGroups","id":"GROUP00002"}]}`))
	f.Add(uint8(1), []byte(`{"data":{"type":"betaBuildLocalizations","attributes":{"locale":"en-US","whatsNew":"x"},"relationships":{"build":{"data":{"type":"builds","id":"BUILD00001"}}}}}`))
	f.Add(uint8(2), []byte(`{"data":{"type":"betaBuildLocalizations","id":"LOC","attributes":{"whatsNew":null}}}`))
	f.Add(uint8(3), []byte(`{"data":{"type":"builds","id":"BUILD00001","attributes":{"usesNonExemptEncryption":true,"expired":false}}}`))
	f.Add(uint8(4), []byte(`{"data":{"type":"betaAppReviewSubmissions","relationships":{"build":{"data":null}}}}`))
	f.Add(uint8(0), []byte(`{"data":null}`))
	f.Add(uint8(1), []byte(`[]`))
	ok := set("200", "201", "204", "400", "404", "409", "422")
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tg := targets[int(which)%len(targets)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key.token(t, time.Now()))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !ok[strconv.Itoa(rec.Code)] {
			t.Fatalf("%s %s -> %d: %s", tg.method, tg.path, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == 204 {
			return
		}
		var doc struct {
			Data   json.RawMessage `json:"data"`
			Errors []apiError      `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || (doc.Data == nil) == (len(doc.Errors) == 0) {
			t.Fatalf("%s %s -> %d: not a document: %s", tg.method, tg.path, rec.Code, rec.Body.Bytes())
		}
	})
}
