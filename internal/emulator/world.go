package emulator

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
)

// object is one resource as the generic read handler sees it: the state's
// resources (apps, builds, groups... from the data file and from writes)
// converted on each request, and generated ones for every other type of
// Apple's document.
type object struct {
	typ, id   string
	attrs     map[string]any
	one       map[string]string   // to-one linkages known from state
	many      map[string][]string // to-many linkages known from state
	generated bool
}

// world is what one request reads: the catalog, the state under s.mu, and
// the objects of each type built once for the request.
type world struct {
	s    *Server
	r    *http.Request
	cat  *catalog
	objs map[string][]*object
	// byID indexes the objects of each type looked up by ID, built on the
	// first lookup: finding by a scan made an answer naming n resources
	// cost n times the state.
	byID map[string]map[string]*object
}

func (s *Server) newWorld(r *http.Request, cat *catalog) *world {
	return &world{s: s, r: r, cat: cat, objs: map[string][]*object{}, byID: map[string]map[string]*object{}}
}

// examined counts n resources examined towards the server's readWork.
func (wd *world) examined(n int) { wd.s.readWork.Add(int64(n)) }

// objects returns every resource of a type: the state's, when the
// emulator keeps that type (views), else the generated ones.
func (wd *world) objects(typ string) []*object {
	if objs, ok := wd.objs[typ]; ok {
		return objs
	}
	var objs []*object
	if view, ok := stateViews[typ]; ok {
		objs = view(wd)
	} else if t := wd.cat.types[typ]; t != nil {
		objs = wd.s.generatedObjects(t)
	}
	wd.objs[typ] = objs
	return objs
}

// find returns the object of typ with this id (the first, should two
// share it), or nil.
func (wd *world) find(typ, id string) *object {
	idx, ok := wd.byID[typ]
	if !ok {
		objs := wd.objects(typ)
		wd.examined(len(objs))
		idx = make(map[string]*object, len(objs))
		for _, o := range objs {
			if _, dup := idx[o.id]; !dup {
				idx[o.id] = o
			}
		}
		wd.byID[typ] = idx
	}
	return idx[id]
}

// generatedPerType is how many resources of each type without state the
// emulator makes up.
const generatedPerType = 2

// generatedObjects makes (once per server) the resources of a type no
// data file seeds, with attributes generated from the document's schema.
// Their to-one relationships point at the first resource of the target
// type (resolved when read, see linked).
func (s *Server) generatedObjects(t *resType) []*object {
	if objs, ok := s.generated[t.name]; ok {
		return objs
	}
	objs := make([]*object, generatedPerType)
	for i := range objs {
		o := &object{typ: t.name, id: generatedID(t.name, i), attrs: map[string]any{}, generated: true}
		for _, k := range t.attrList {
			if v := generate(t.attrs[k], k, 0); v != nil {
				o.attrs[k] = v
			}
		}
		objs[i] = o
	}
	s.generated[t.name] = objs
	return objs
}

// generatedID is stable across runs: a client may keep it.
func generatedID(typ string, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", crc32.ChecksumIEEE([]byte(typ)), i+1)
}

// firstID is the ID of a type's first resource, or "".
func (wd *world) firstID(typ string) string {
	if objs := wd.objects(typ); len(objs) > 0 {
		return objs[0].id
	}
	return ""
}

// linked returns the IDs o's relationship rel leads to: the state's
// linkages first, then the resources of the target type that link back to
// o, and for a to-one relationship to a generated type its first resource.
func (wd *world) linked(o *object, rel string) []string {
	t := wd.cat.types[o.typ]
	if t == nil || t.rels[rel] == nil || t.rels[rel].target == "" {
		return nil
	}
	rd := t.rels[rel]
	if id, ok := o.one[rel]; ok {
		if id == "" {
			return nil
		}
		return []string{id}
	}
	if ids, ok := o.many[rel]; ok {
		return ids
	}
	if !rd.many && o.generated {
		if id := wd.firstID(rd.target); id != "" {
			return []string{id}
		}
		return nil
	}
	ids, linksBack := wd.backLinks(o, rd.target)
	if rd.many && !linksBack && !stateKept(rd.target) && wd.firstID(o.typ) == o.id {
		// Generated resources that cannot name their owner belong to the
		// first resource of the owner's type.
		for _, u := range wd.objects(rd.target) {
			ids = append(ids, u.id)
		}
	}
	if !rd.many && len(ids) > 1 {
		ids = ids[:1]
	}
	if !rd.many && len(ids) == 0 {
		if !stateKept(rd.target) {
			if id := wd.firstID(rd.target); id != "" {
				ids = []string{id}
			}
		}
	}
	return ids
}

// backLinks returns the IDs of the resources of type target that have a
// relationship leading to o, and whether target has any relationship to
// o's type at all.
func (wd *world) backLinks(o *object, target string) (ids []string, linksBack bool) {
	tt := wd.cat.types[target]
	if tt == nil {
		return nil, false
	}
	var backs []*relDef
	for _, name := range tt.relList {
		if back := tt.rels[name]; back.target == o.typ {
			backs = append(backs, back)
		}
	}
	if len(backs) == 0 {
		return nil, false
	}
	for _, u := range wd.objects(target) {
		if slices.ContainsFunc(backs, func(back *relDef) bool { return pointsAt(wd, u, back, o) }) {
			ids = append(ids, u.id)
		}
	}
	return ids, true
}

// stateKept reports whether the emulator keeps a type as state.
func stateKept(typ string) bool {
	_, ok := stateViews[typ]
	return ok
}

// pointsAt reports whether u's relationship back names o, from state alone
// (no further inference, so that resolution ends).
func pointsAt(wd *world, u *object, back *relDef, o *object) bool {
	if id, ok := u.one[back.name]; ok {
		return id == o.id
	}
	if ids, ok := u.many[back.name]; ok {
		return slices.Contains(ids, o.id)
	}
	return u.generated && !back.many && wd.firstID(o.typ) == o.id
}

// fromResource turns a state resource rendered for the typed handlers into
// an object: attributes through JSON, to-one linkages kept.
func fromResource(res resource) *object {
	o := &object{typ: res.Type, id: res.ID, attrs: map[string]any{}, one: map[string]string{}, many: map[string][]string{}}
	if res.Attributes != nil {
		b, _ := json.Marshal(res.Attributes)
		_ = json.Unmarshal(b, &o.attrs)
	}
	for name, rel := range res.Relationships {
		if rel.Data != nil {
			o.one[name] = rel.Data.ID
		}
	}
	return o
}
