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

// created is a create request body read into types: data's type, its
// attributes as A and its relationships as R.
type created[A, R any] struct {
	Data struct {
		Type          string `json:"type"`
		Attributes    A      `json:"attributes"`
		Relationships R      `json:"relationships"`
	} `json:"data"`
}

// updated is an update request body read into types: data's type, id and
// attributes as A.
type updated[A any] struct {
	Data struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes A      `json:"attributes"`
	} `json:"data"`
}

// readCreated decodes a create request of type typ.
func readCreated[A, R any](w http.ResponseWriter, r *http.Request, typ string) (*created[A, R], bool) {
	var c created[A, R]
	return &c, readBody(w, r, &c, typ)
}

// readUpdated decodes an update request of type typ whose id is the path's.
func readUpdated[A any](w http.ResponseWriter, r *http.Request, typ string) (*updated[A], bool) {
	var u updated[A]
	return &u, readBody(w, r, &u, typ) && idMatches(w, u.Data.ID, r.PathValue("id"))
}

// buildRelationship is the relationships of a request that names a build.
type buildRelationship struct {
	Build toOne `json:"build"`
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

// keyed is a resource the state keeps in a list of Data, known by its id.
type keyed interface{ key() string }

func (a App) key() string                         { return a.ID }
func (c Certificate) key() string                 { return c.ID }
func (p Profile) key() string                     { return p.ID }
func (b Build) key() string                       { return b.ID }
func (b BetaGroup) key() string                   { return b.ID }
func (b BetaBuildLocalization) key() string       { return b.ID }
func (b BundleID) key() string                    { return b.ID }
func (b BetaTester) key() string                  { return b.ID }
func (a AppStoreVersion) key() string             { return a.ID }
func (a AppStoreVersionLocalization) key() string { return a.ID }

// indexOf is the index in list of the resource with this id, or -1.
func indexOf[T keyed](list []T, id string) int {
	return slices.IndexFunc(list, func(v T) bool { return v.key() == id })
}

// in is whether *list, read when asked (under s.mu), holds this id.
func in[T keyed](list *[]T) func(id string) bool {
	return func(id string) bool { return indexOf(*list, id) >= 0 }
}

// add appends v to *list and returns its id.
func add[T keyed](list *[]T, v T) string {
	*list = append(*list, v)
	return v.key()
}

// removeFrom deletes the resource with this id from list; false when absent.
func removeFrom[T keyed](list *[]T, id string) bool {
	i := indexOf(*list, id)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

// relation is a relationship of a write: its name, the type of the
// resources it names, and whether the state holds one (asked under s.mu).
type relation struct {
	name, typ string
	exists    func(id string) bool
}

// withTarget runs f under s.mu once l, the to-one relationship rel of a
// create request, is a linkage of rel's type to a resource the state
// holds; otherwise it answers Apple's ENTITY_ERROR.RELATIONSHIP.REQUIRED or
// .INVALID. A zero rel requires nothing.
func (s *Server) withTarget(w http.ResponseWriter, rel relation, l *linkage, f func()) {
	if rel.name != "" && !requiredRelationship(w, rel.name, rel.typ, l) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rel.name != "" && !rel.exists(l.ID) {
		writeNoSuchRelated(w, rel.name, l)
		return
	}
	f()
}

// creation is what a create request of type typ must satisfy before the
// resource is made, in Apple's order: each of attrs given; the to-one
// relationship one (if any) naming a resource of the state, then each
// linkage of the to-many relationship many (if any), and the link optional
// when given; and, when taken says a resource holds its value already, the
// attribute unique is refused with 409.
type creation struct {
	typ       string
	attrs     []string
	one, many relation
	// optional is a to-one link the request may leave out; given, it must
	// name a resource that exists.
	optional relation
	unique   string
	taken    func(e *entity, one *linkage) bool
}

// create answers a create request checked as c says: insert, under s.mu,
// makes the resource and returns its id, and the answer is the resource
// as reads render it.
func (s *Server) create(w http.ResponseWriter, r *http.Request, c creation, insert func(e *entity, one *linkage) string) {
	e, ok := readCreate(w, r, c.typ, c.attrs...)
	if !ok {
		return
	}
	one := e.one(c.one.name)
	s.withTarget(w, c.one, one, func() {
		for _, id := range e.many(c.many.name) {
			if !c.many.exists(id) {
				writeNoSuchRelated(w, c.many.name, &linkage{Type: c.many.typ, ID: id})
				return
			}
		}
		if l := e.one(c.optional.name); c.optional.name != "" && l != nil && !c.optional.exists(l.ID) {
			writeNoSuchRelated(w, c.optional.name, l)
			return
		}
		if c.taken != nil && c.taken(e, one) {
			duplicateAttr(w, c.unique, e.str(c.unique))
			return
		}
		s.writeState(w, r, http.StatusCreated, c.typ, insert(e, one))
	})
}

// patch answers a PATCH of the resource of *list with the path's id:
// change runs on it under s.mu and answers, or Apple's NOT_FOUND for typ
// answers when there is none.
func patch[T keyed](s *Server, w http.ResponseWriter, r *http.Request, typ string, list *[]T, change func(v *T)) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := indexOf(*list, id)
	if i < 0 {
		writeNotFound(w, typ, id)
		return
	}
	change(&(*list)[i])
}

// update answers a PATCH of a resource of type typ kept in *list: the
// body (its id the path's) goes with the resource to change under s.mu,
// which answers an error and returns false, or the resource as reads
// render it answers.
func update[T keyed](s *Server, w http.ResponseWriter, r *http.Request, typ string, list *[]T, change func(e *entity, v *T) bool) {
	e, ok := readEntity(w, r, typ, true)
	if !ok {
		return
	}
	patch(s, w, r, typ, list, func(v *T) {
		if change(e, v) {
			s.writeState(w, r, http.StatusOK, typ, (*v).key())
		}
	})
}

// editLinks answers POST or DELETE .../relationships/...: the body's
// linkages, each of type typ, go to edit under s.mu with the path's id
// once the parent holds it (else Apple's NOT_FOUND); edit answers an error
// and returns false, or the request answers 204.
func (s *Server) editLinks(w http.ResponseWriter, r *http.Request, parent relation, typ string, edit func(id string, ls []linkage) bool) {
	var req linkagesRequest
	if !readLinkages(w, r, &req, typ) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !parent.exists(id) {
		writeNotFound(w, parent.typ, id)
		return
	}
	if edit(id, req.Data) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// --- TestFlight groups and testers.

func (s *Server) createBetaGroup(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "betaGroups", attrs: []string{"name"}, one: relation{"app", "apps", in(&s.data.Apps)},
		unique: "name", taken: func(e *entity, app *linkage) bool {
			return slices.ContainsFunc(s.data.BetaGroups, func(g BetaGroup) bool { return g.App == app.ID && g.Name == e.str("name") })
		}},
		func(e *entity, app *linkage) string {
			g := BetaGroup{ID: newUUID(), App: app.ID, Name: e.str("name"), IsInternalGroup: e.boolean("isInternalGroup"),
				HasAccessToAllBuilds: e.boolean("hasAccessToAllBuilds"), PublicLinkEnabled: e.boolean("publicLinkEnabled"),
				PublicLinkLimitEnabled: e.boolean("publicLinkLimitEnabled"), FeedbackEnabled: e.boolean("feedbackEnabled"),
				CreatedDate: s.now()}
			if n, ok := e.Data.Attributes["publicLinkLimit"].(float64); ok {
				g.PublicLinkLimit = int(n)
			}
			return add(&s.data.BetaGroups, g)
		})
}

func (s *Server) deleteBetaGroup(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "betaGroups", func(id string) bool {
		if !removeFrom(&s.data.BetaGroups, id) {
			return false
		}
		for i := range s.data.BetaTesters {
			t := &s.data.BetaTesters[i]
			t.Groups = relink(t.Groups, id, false)
		}
		return true
	})
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
	adding := r.Method == http.MethodPost
	s.editLinks(w, r, relation{typ: "betaGroups", exists: in(&s.data.BetaGroups)}, "builds", func(gid string, ls []linkage) bool {
		g := &s.data.BetaGroups[indexOf(s.data.BetaGroups, gid)]
		for n, l := range ls {
			b, ok := s.findBuild(l.ID)
			if !ok {
				writeNoSuchLinkage(w, "builds", n, l.ID)
				return false
			}
			if adding && (b.App != g.App || complianceMissing(w, b, *g)) {
				if b.App != g.App {
					writeInvalidRelationship(w, http.StatusUnprocessableEntity,
						fmt.Sprintf("Build '%s' belongs to another app than beta group '%s'.", b.ID, g.ID), fmt.Sprintf("/data/%d/id", n))
				}
				return false
			}
		}
		for _, l := range ls {
			g.Builds = relink(g.Builds, l.ID, adding)
		}
		return true
	})
}

// removeBuildFromGroups is DELETE /v1/builds/{id}/relationships/betaGroups.
func (s *Server) removeBuildFromGroups(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.editLinks(w, r, relation{typ: "builds", exists: in(&s.data.Builds)}, "betaGroups", func(id string, ls []linkage) bool {
		for _, l := range ls {
			if i := indexOf(s.data.BetaGroups, l.ID); i >= 0 {
				g := &s.data.BetaGroups[i]
				g.Builds = relink(g.Builds, id, false)
			}
		}
		return true
	})
}

// groupTesters is POST and DELETE /v1/betaGroups/{id}/relationships/betaTesters.
func (s *Server) groupTesters(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.editLinks(w, r, relation{typ: "betaGroups", exists: in(&s.data.BetaGroups)}, "betaTesters", func(gid string, ls []linkage) bool {
		for n, l := range ls {
			if indexOf(s.data.BetaTesters, l.ID) < 0 {
				writeNoSuchLinkage(w, "betaTesters", n, l.ID)
				return false
			}
		}
		for i := range s.data.BetaTesters {
			t := &s.data.BetaTesters[i]
			if slices.ContainsFunc(ls, func(l linkage) bool { return l.ID == t.ID }) {
				t.Groups = relink(t.Groups, gid, r.Method == http.MethodPost)
			}
		}
		return true
	})
}

// createBetaTester adds a tester, or adds a known tester (same email) to
// the groups, as Apple does.
func (s *Server) createBetaTester(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "betaTesters", attrs: []string{"email"}, many: relation{"betaGroups", "betaGroups", in(&s.data.BetaGroups)}},
		func(e *entity, _ *linkage) string {
			groups := e.many("betaGroups")
			for i := range s.data.BetaTesters {
				if t := &s.data.BetaTesters[i]; t.Email == e.str("email") {
					for _, g := range groups {
						if !slices.Contains(t.Groups, g) {
							t.Groups = append(t.Groups, g)
						}
					}
					return t.ID
				}
			}
			return add(&s.data.BetaTesters, BetaTester{ID: newUUID(), Email: e.str("email"), FirstName: e.str("firstName"),
				LastName: e.str("lastName"), Groups: groups, Builds: e.many("builds")})
		})
}

func (s *Server) deleteBetaTester(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "betaTesters", func(id string) bool { return removeFrom(&s.data.BetaTesters, id) })
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
