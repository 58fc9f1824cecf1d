package emulator

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func body(typ string, attrs map[string]any, rels map[string]any) map[string]any {
	d := map[string]any{"type": typ, "attributes": attrs}
	if rels != nil {
		d["relationships"] = rels
	}
	return map[string]any{"data": d}
}

func rel(typ string, ids ...string) map[string]any {
	if len(ids) == 1 && typ != "certificates" && typ != "betaGroups" {
		return map[string]any{"data": map[string]any{"type": typ, "id": ids[0]}}
	}
	var list []any
	for _, id := range ids {
		list = append(list, map[string]any{"type": typ, "id": id})
	}
	return map[string]any{"data": list}
}

func (e *env) created(path string, b map[string]any) string {
	e.t.Helper()
	r := e.do("POST", path, b)
	if r.status != 201 {
		e.t.Fatalf("POST %s: %d %s", path, r.status, r.body)
	}
	return dig(r.json(e.t), "data", "id").(string)
}

func TestTestFlightWrites(t *testing.T) {
	e := accountEnv(t)
	group := e.created("/v1/betaGroups", body("betaGroups", map[string]any{"name": "QA"}, map[string]any{"app": rel("apps", "1000000001")}))
	if r := e.do("POST", "/v1/betaGroups", body("betaGroups", map[string]any{"name": "QA"}, map[string]any{"app": rel("apps", "1000000001")})); r.status != 409 {
		t.Errorf("same group name twice: %d", r.status)
	}
	tester := e.created("/v1/betaTesters", body("betaTesters", map[string]any{"email": "qa@example.com", "firstName": "Q"},
		map[string]any{"betaGroups": rel("betaGroups", group)}))
	if got := ids(t, e.mustGet("/v1/betaGroups/"+group+"/betaTesters")); !slices.Equal(got, []string{tester}) {
		t.Errorf("new group's testers %v", got)
	}
	// Testers move in and out of groups.
	if r := e.do("POST", "/v1/betaGroups/GROUP00002/relationships/betaTesters", tfLinkages("betaTesters", tester)); r.status != 204 {
		t.Fatalf("add tester: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/v1/betaGroups/"+group+"/relationships/betaTesters", tfLinkages("betaTesters", tester)); r.status != 204 {
		t.Fatalf("remove tester: %d %s", r.status, r.body)
	}
	if got := ids(t, e.mustGet("/v1/betaTesters/"+tester+"/betaGroups")); !slices.Equal(got, []string{"GROUP00002"}) {
		t.Errorf("tester's groups after the moves: %v", got)
	}
	// Builds: the group's side of the relationship, then removal from the build's side.
	if r := e.do("POST", "/v1/betaGroups/"+group+"/relationships/builds", tfLinkages("builds", "BUILD00002")); r.status != 422 {
		t.Errorf("build without export compliance to an external group: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/betaGroups/"+group+"/relationships/builds", tfLinkages("builds", "BUILD00001")); r.status != 204 {
		t.Fatalf("add build (compliance answered): %d %s", r.status, r.body)
	}
	if got := ids(t, e.mustGet("/v1/betaGroups/"+group+"/builds")); !slices.Equal(got, []string{"BUILD00001"}) {
		t.Errorf("group's builds %v", got)
	}
	if r := e.do("DELETE", "/v1/builds/BUILD00001/relationships/betaGroups", tfLinkages("betaGroups", group)); r.status != 204 {
		t.Fatalf("remove build: %d %s", r.status, r.body)
	}
	if got := ids(t, e.mustGet("/v1/betaGroups/"+group+"/builds")); len(got) != 0 {
		t.Errorf("group's builds after removal %v", got)
	}
	if r := e.do("DELETE", "/v1/betaGroups/"+group, nil); r.status != 204 {
		t.Fatalf("delete group: %d", r.status)
	}
	if r := e.do("GET", "/v1/betaGroups/"+group, nil); r.status != 404 {
		t.Errorf("deleted group: %d", r.status)
	}
	if r := e.do("DELETE", "/v1/betaTesters/"+tester, nil); r.status != 204 {
		t.Errorf("delete tester: %d", r.status)
	}
}

func TestBetaReviewIsApprovedAfterTheConfiguredTime(t *testing.T) {
	data, err := LoadData("testdata/account.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Data: data, BetaReviewDelay: time.Hour})
	e.do("PATCH", "/v1/builds/BUILD00002", map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00002",
		"attributes": map[string]any{"usesNonExemptEncryption": false}}})
	id := e.created("/v1/betaAppReviewSubmissions", body("betaAppReviewSubmissions", nil, map[string]any{"build": rel("builds", "BUILD00002")}))
	state := func() any {
		return dig(e.mustGet("/v1/betaAppReviewSubmissions/"+id), "data", "attributes", "betaReviewState")
	}
	if s := state(); s != "WAITING_FOR_REVIEW" {
		t.Fatalf("just submitted: %v", s)
	}
	e.clock.Advance(59 * time.Minute)
	if s := state(); s != "WAITING_FOR_REVIEW" {
		t.Fatalf("before the delay: %v", s)
	}
	e.clock.Advance(time.Minute)
	if s := state(); s != "APPROVED" {
		t.Fatalf("after the delay: %v", s)
	}
}

// A negative delay (the command's --review-delay 0) approves at once.
func TestBetaReviewAtOnce(t *testing.T) {
	data, err := LoadData("testdata/account.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Data: data, BetaReviewDelay: -1})
	e.do("PATCH", "/v1/builds/BUILD00002", map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00002",
		"attributes": map[string]any{"usesNonExemptEncryption": false}}})
	id := e.created("/v1/betaAppReviewSubmissions", body("betaAppReviewSubmissions", nil, map[string]any{"build": rel("builds", "BUILD00002")}))
	if s := dig(e.mustGet("/v1/betaAppReviewSubmissions/"+id), "data", "attributes", "betaReviewState"); s != "APPROVED" {
		t.Fatalf("with a negative delay: %v; want APPROVED at once", s)
	}
}

func TestProvisioningAndVersionWrites(t *testing.T) {
	e := accountEnv(t)
	bundle := e.created("/v1/bundleIds", body("bundleIds", map[string]any{"identifier": "com.example.new", "name": "New", "platform": "IOS"}, nil))
	if r := e.do("POST", "/v1/bundleIds", body("bundleIds", map[string]any{"identifier": "com.example.new", "name": "Again", "platform": "IOS"}, nil)); r.status != 409 {
		t.Errorf("duplicate identifier: %d", r.status)
	}
	cert := e.created("/v1/certificates", body("certificates", map[string]any{"csrContent": "MIIC...", "certificateType": "DISTRIBUTION"}, nil))
	prof := e.created("/v1/profiles", body("profiles", map[string]any{"name": "New Store", "profileType": "IOS_APP_STORE"},
		map[string]any{"bundleId": rel("bundleIds", bundle), "certificates": rel("certificates", cert)}))
	if got := dig(e.mustGet("/v1/profiles/"+prof+"/bundleId"), "data", "id"); got != bundle {
		t.Errorf("profile's bundle ID %v", got)
	}
	if got := ids(t, e.mustGet("/v1/profiles/"+prof+"/certificates")); !slices.Equal(got, []string{cert}) {
		t.Errorf("profile's certificates %v", got)
	}
	for _, p := range []string{"/v1/profiles/" + prof, "/v1/certificates/" + cert, "/v1/bundleIds/" + bundle} {
		if r := e.do("DELETE", p, nil); r.status != 204 {
			t.Errorf("DELETE %s: %d", p, r.status)
		}
		if r := e.do("GET", p, nil); r.status != 404 {
			t.Errorf("GET %s after delete: %d", p, r.status)
		}
	}

	if r := e.do("POST", "/v1/appStoreVersions", body("appStoreVersions", map[string]any{"platform": "IOS", "versionString": "2.0"},
		map[string]any{"app": rel("apps", "1000000001"), "build": rel("builds", "NO-SUCH-BUILD")})); r.status != 422 || !strings.Contains(string(r.body), "/data/relationships/build") {
		t.Errorf("a version naming an unknown build: %d %s; want 422 pointing at the build", r.status, r.body)
	}
	ver := e.created("/v1/appStoreVersions", body("appStoreVersions", map[string]any{"platform": "IOS", "versionString": "2.0"},
		map[string]any{"app": rel("apps", "1000000001")}))
	if r := e.do("PATCH", "/v1/appStoreVersions/"+ver, map[string]any{"data": map[string]any{"type": "appStoreVersions", "id": ver,
		"relationships": map[string]any{"build": rel("builds", "BUILD00002")}}}); r.status != 200 {
		t.Fatalf("choose build: %d %s", r.status, r.body)
	}
	if got := dig(e.mustGet("/v1/appStoreVersions/"+ver+"/build"), "data", "id"); got != "BUILD00002" {
		t.Errorf("version's build %v", got)
	}
	loc := e.created("/v1/appStoreVersionLocalizations", body("appStoreVersionLocalizations", map[string]any{"locale": "en-US", "whatsNew": "Faster."},
		map[string]any{"appStoreVersion": rel("appStoreVersions", ver)}))
	r := e.do("PATCH", "/v1/appStoreVersionLocalizations/"+loc, map[string]any{"data": map[string]any{"type": "appStoreVersionLocalizations", "id": loc,
		"attributes": map[string]any{"whatsNew": "Faster still."}}})
	if r.status != 200 || dig(r.json(t), "data", "attributes", "whatsNew") != "Faster still." {
		t.Errorf("update localization: %d %s", r.status, r.body)
	}
	if got := ids(t, e.mustGet("/v1/appStoreVersions/"+ver+"/appStoreVersionLocalizations")); !slices.Equal(got, []string{loc}) {
		t.Errorf("version's localizations %v", got)
	}
}

func TestWriteRolesAndWritesNotPerformed(t *testing.T) {
	e := accountEnv(t)
	now := e.clock.Now()
	dev := genKey(t, "DEVKEY0009", false, RoleDeveloper)
	mkt := genKey(t, "MKTKEY0009", false, RoleMarketing)
	indiv := genKey(t, "INDIV00009", true, RoleAdmin)
	for _, k := range []testKey{dev, mkt, indiv} {
		e.srv.AddKey(k.Key)
	}
	bundle := body("bundleIds", map[string]any{"identifier": "com.example.x", "name": "X", "platform": "IOS"}, nil)
	version := body("appStoreVersions", map[string]any{"platform": "IOS", "versionString": "3.0"}, map[string]any{"app": rel("apps", "1000000001")})
	tests := []struct {
		key  testKey
		path string
		body map[string]any
		want int
	}{
		{dev, "/v1/bundleIds", bundle, 403},
		{indiv, "/v1/bundleIds", bundle, 403},
		{mkt, "/v1/appStoreVersions", version, 201},
		{dev, "/v1/appStoreVersions", version, 403},
		{mkt, "/v1/betaGroups", body("betaGroups", map[string]any{"name": "M"}, map[string]any{"app": rel("apps", "1000000001")}), 403},
	}
	for _, tt := range tests {
		r := e.do("POST", tt.path, tt.body, tt.key.token(t, now))
		if r.status != tt.want {
			t.Errorf("%s POST %s: %d, want %d: %s", tt.key.Role, tt.path, r.status, tt.want, r.body)
		}
		if tt.want == 403 && r.errorCode(t) != "FORBIDDEN_ERROR" {
			t.Errorf("refusal is not Apple's FORBIDDEN_ERROR: %s", r.body)
		}
	}
	// A write of Apple's document the emulator keeps no state for.
	r := e.do("POST", "/v1/appInfoLocalizations", body("appInfoLocalizations", map[string]any{"locale": "fr-FR"}, nil))
	if r.status != 405 || r.errorCode(t) != "METHOD_NOT_ALLOWED" {
		t.Errorf("unperformed write: %d %s", r.status, r.body)
	}
}
