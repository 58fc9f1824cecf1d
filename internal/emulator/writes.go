package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// The write flows of release pipelines beyond uploads and the first
// TestFlight steps (testflight.go): beta groups and testers, builds in and
// out of groups, bundle IDs, certificates, profiles, App Store versions
// and their localizations. Each answers with the resource as the generic
// reads render it, so a write is read back the way Apple shows it.

// Access levels of the writes here, after those of testflight.go.
const (
	AccessProvisioningWrite Access = AccessTestFlight + 1 + iota // create and delete bundle IDs, certificates, profiles
	AccessMetadata                                               // App Store versions and their localizations
)

var (
	provisioningManagers = set(RoleAdmin, RoleAccountHolder, RoleAppManager)
	metadataEditors      = set(RoleAdmin, RoleAccountHolder, RoleAppManager, RoleMarketing)
)

// entity is a create or update request body, decoded loosely: the
// handlers check what they need and answer Apple's entity errors.
type entity struct {
	Data struct {
		Type          string                     `json:"type"`
		ID            string                     `json:"id"`
		Attributes    map[string]any             `json:"attributes"`
		Relationships map[string]json.RawMessage `json:"relationships"`
	} `json:"data"`
}

func (e *entity) str(name string) string {
	s, _ := e.Data.Attributes[name].(string)
	return s
}

func (e *entity) boolean(name string) bool {
	b, _ := e.Data.Attributes[name].(bool)
	return b
}

// toOne is a to-one relationship of a request body.
type toOne struct {
	Data *linkage `json:"data"`
}

// one returns the to-one linkage of a relationship, or nil.
func (e *entity) one(name string) *linkage {
	var rel toOne
	if json.Unmarshal(e.Data.Relationships[name], &rel) != nil {
		return nil
	}
	return rel.Data
}

// many returns the IDs of a to-many relationship's linkages.
func (e *entity) many(name string) []string {
	var rel struct {
		Data []linkage `json:"data"`
	}
	_ = json.Unmarshal(e.Data.Relationships[name], &rel)
	var ids []string
	for _, l := range rel.Data {
		ids = append(ids, l.ID)
	}
	return ids
}

// readEntity decodes a body of type typ; for an update, its id must be the
// path's.
func readEntity(w http.ResponseWriter, r *http.Request, typ string, update bool) (*entity, bool) {
	var e entity
	if !readBody(w, r, &e, typ) {
		return nil, false
	}
	if update && !idMatches(w, e.Data.ID, r.PathValue("id")) {
		return nil, false
	}
	return &e, true
}

// readCreate decodes a create request of type typ and checks that each of
// the attributes is given, in order.
func readCreate(w http.ResponseWriter, r *http.Request, typ string, attrs ...string) (*entity, bool) {
	e, ok := readEntity(w, r, typ, false)
	if !ok {
		return nil, false
	}
	for _, name := range attrs {
		if !requiredAttr(w, name, e.str(name)) {
			return nil, false
		}
	}
	return e, true
}

// requiredOne is the to-one relationship name of a create request, of type
// typ, or false after Apple's ENTITY_ERROR.RELATIONSHIP.REQUIRED.
func (e *entity) requiredOne(w http.ResponseWriter, name, typ string) (*linkage, bool) {
	l := e.one(name)
	return l, requiredRelationship(w, name, typ, l)
}

// writeState answers a write with the resource as reads render it. The
// caller holds s.mu.
func (s *Server) writeState(w http.ResponseWriter, r *http.Request, status int, typ, id string) {
	cat, err := loadCatalog()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNEXPECTED_ERROR", "An unexpected error occurred.", err.Error())
		return
	}
	wd := s.newWorld(r, cat)
	o := wd.find(typ, id)
	if o == nil {
		writeNotFound(w, typ, id)
		return
	}
	writeJSON(w, status, map[string]any{"data": wd.render(o, readQuery{}, nil),
		"links": map[string]any{"self": baseURL(r) + "/v1/" + typ + "/" + id}})
}

// duplicateAttr answers Apple's 409 for a value that must be unique.
func duplicateAttr(w http.ResponseWriter, attr, value string) {
	alreadyUsed(w, attr, fmt.Sprintf("The value '%s' of '%s' is already used.", value, attr))
}

// alreadyUsed answers Apple's 409 ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE
// for attr with detail.
func alreadyUsed(w http.ResponseWriter, attr, detail string) {
	writeEntityError(w, http.StatusConflict, "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE",
		"The provided entity includes an attribute with a value that has already been used", detail, "/data/attributes/"+attr)
}

// relink removes id from the relationship ids and, when add, appends it
// once: a POST to .../relationships/... adds, a DELETE removes.
func relink(ids []string, id string, add bool) []string {
	ids = slices.DeleteFunc(ids, func(v string) bool { return v == id })
	if add {
		ids = append(ids, id)
	}
	return ids
}

// removeFrom deletes the resource with this id from list; false when absent.
func removeFrom[T any](list *[]T, id string, idOf func(T) string) bool {
	i := slices.IndexFunc(*list, func(v T) bool { return idOf(v) == id })
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

// --- TestFlight groups and testers.

func (s *Server) createBetaGroup(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readCreate(w, r, "betaGroups", "name")
	if !ok {
		return
	}
	app, ok := e.requiredOne(w, "app", "apps")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findApp(app.ID); !ok {
		writeNoSuchRelated(w, "app", app)
		return
	}
	for _, g := range s.data.BetaGroups {
		if g.App == app.ID && g.Name == e.str("name") {
			duplicateAttr(w, "name", g.Name)
			return
		}
	}
	g := BetaGroup{ID: newUUID(), App: app.ID, Name: e.str("name"), IsInternalGroup: e.boolean("isInternalGroup"),
		HasAccessToAllBuilds: e.boolean("hasAccessToAllBuilds"), PublicLinkEnabled: e.boolean("publicLinkEnabled"),
		PublicLinkLimitEnabled: e.boolean("publicLinkLimitEnabled"), FeedbackEnabled: e.boolean("feedbackEnabled"),
		CreatedDate: s.now()}
	if n, ok := e.Data.Attributes["publicLinkLimit"].(float64); ok {
		g.PublicLinkLimit = int(n)
	}
	s.data.BetaGroups = append(s.data.BetaGroups, g)
	s.writeState(w, r, http.StatusCreated, "betaGroups", g.ID)
}

func (s *Server) deleteBetaGroup(w http.ResponseWriter, r *http.Request, _ *Key) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !removeFrom(&s.data.BetaGroups, id, func(g BetaGroup) string { return g.ID }) {
		writeNotFound(w, "betaGroups", id)
		return
	}
	for i := range s.data.BetaTesters {
		t := &s.data.BetaTesters[i]
		t.Groups = relink(t.Groups, id, false)
	}
	w.WriteHeader(http.StatusNoContent)
}

// complianceMissing reports a build that cannot go to external testers:
// App Store Connect asks the export-compliance question first.
func complianceMissing(w http.ResponseWriter, b Build, g BetaGroup) bool {
	if g.IsInternalGroup || b.UsesNonExemptEncryption != nil {
		return false
	}
	writeInvalidRelationship(w, http.StatusUnprocessableEntity,
		fmt.Sprintf("Build '%s' is missing export compliance: answer usesNonExemptEncryption (PATCH /v1/builds/%s) before giving it to the external group '%s'.",
			b.ID, b.ID, g.Name), "/data")
	return true
}

// groupBuilds is POST and DELETE /v1/betaGroups/{id}/relationships/builds.
func (s *Server) groupBuilds(w http.ResponseWriter, r *http.Request, _ *Key) {
	var req linkagesRequest
	if !readLinkages(w, r, &req, "builds") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gi, ok := s.findBetaGroup(r.PathValue("id"))
	if !ok {
		writeNotFound(w, "betaGroups", r.PathValue("id"))
		return
	}
	g := &s.data.BetaGroups[gi]
	for n, l := range req.Data {
		b, ok := s.findBuild(l.ID)
		if !ok {
			writeNoSuchLinkage(w, "builds", n, l.ID)
			return
		}
		if r.Method == http.MethodPost && (b.App != g.App || complianceMissing(w, b, *g)) {
			if b.App != g.App {
				writeInvalidRelationship(w, http.StatusUnprocessableEntity,
					fmt.Sprintf("Build '%s' belongs to another app than beta group '%s'.", b.ID, g.ID), fmt.Sprintf("/data/%d/id", n))
			}
			return
		}
	}
	for _, l := range req.Data {
		g.Builds = relink(g.Builds, l.ID, r.Method == http.MethodPost)
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeBuildFromGroups is DELETE /v1/builds/{id}/relationships/betaGroups.
func (s *Server) removeBuildFromGroups(w http.ResponseWriter, r *http.Request, _ *Key) {
	var req linkagesRequest
	if !readLinkages(w, r, &req, "betaGroups") {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findBuild(id); !ok {
		writeNotFound(w, "builds", id)
		return
	}
	for _, l := range req.Data {
		if i, ok := s.findBetaGroup(l.ID); ok {
			g := &s.data.BetaGroups[i]
			g.Builds = relink(g.Builds, id, false)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// groupTesters is POST and DELETE /v1/betaGroups/{id}/relationships/betaTesters.
func (s *Server) groupTesters(w http.ResponseWriter, r *http.Request, _ *Key) {
	var req linkagesRequest
	if !readLinkages(w, r, &req, "betaTesters") {
		return
	}
	gid := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findBetaGroup(gid); !ok {
		writeNotFound(w, "betaGroups", gid)
		return
	}
	for n, l := range req.Data {
		if !slices.ContainsFunc(s.data.BetaTesters, func(t BetaTester) bool { return t.ID == l.ID }) {
			writeNoSuchLinkage(w, "betaTesters", n, l.ID)
			return
		}
	}
	for i := range s.data.BetaTesters {
		t := &s.data.BetaTesters[i]
		if !slices.ContainsFunc(req.Data, func(l linkage) bool { return l.ID == t.ID }) {
			continue
		}
		t.Groups = relink(t.Groups, gid, r.Method == http.MethodPost)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createBetaTester(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readCreate(w, r, "betaTesters", "email")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := e.many("betaGroups")
	for _, g := range groups {
		if _, ok := s.findBetaGroup(g); !ok {
			writeNoSuchRelated(w, "betaGroups", &linkage{Type: "betaGroups", ID: g})
			return
		}
	}
	for i := range s.data.BetaTesters {
		if t := &s.data.BetaTesters[i]; t.Email == e.str("email") { // Apple adds a known tester to the groups
			for _, g := range groups {
				if !slices.Contains(t.Groups, g) {
					t.Groups = append(t.Groups, g)
				}
			}
			s.writeState(w, r, http.StatusCreated, "betaTesters", t.ID)
			return
		}
	}
	t := BetaTester{ID: newUUID(), Email: e.str("email"), FirstName: e.str("firstName"), LastName: e.str("lastName"),
		Groups: groups, Builds: e.many("builds")}
	s.data.BetaTesters = append(s.data.BetaTesters, t)
	s.writeState(w, r, http.StatusCreated, "betaTesters", t.ID)
}

func (s *Server) deleteBetaTester(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "betaTesters", func(id string) bool {
		return removeFrom(&s.data.BetaTesters, id, func(t BetaTester) string { return t.ID })
	})
}

// deleteState answers DELETE for a resource remove takes out of the state.
func (s *Server) deleteState(w http.ResponseWriter, r *http.Request, typ string, remove func(id string) bool) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !remove(id) {
		writeNotFound(w, typ, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
