package emulator

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// serveRead answers any GET operation of Apple's document from the world:
// collections, single resources, related resources and relationship
// linkages, with filter, sort, exists, fields, include, limit and cursor
// paging; other answers (metrics, reports) are generated from the schema.
func (s *Server) serveRead(w http.ResponseWriter, r *http.Request, cat *catalog, op *readOp) {
	q, ok := parseReadQuery(w, r, op)
	if !ok {
		return
	}
	if op.kind == kindOther {
		writeGenerated(w, op)
		return
	}
	// The answer is built under the lock and sent after it: a client that
	// reads a large page slowly holds up no other request.
	var held heldAnswer
	s.mu.Lock()
	s.readWorld(&held, r, cat, op, q)
	s.mu.Unlock()
	held.sendTo(w)
}

// readWorld writes serveRead's answer from the world; s.mu is held.
func (s *Server) readWorld(w http.ResponseWriter, r *http.Request, cat *catalog, op *readOp, q readQuery) {
	wd := s.newWorld(r, cat)
	if op.kind == kindCollection {
		wd.writeList(w, q, op.target, wd.objects(op.target))
		return
	}
	id := r.PathValue("id")
	parent := wd.find(op.parent, id)
	if parent == nil {
		writeNotFound(w, op.parent, id)
		return
	}
	if op.kind == kindInstance {
		wd.writeSingle(w, q, parent)
		return
	}
	ids := wd.linked(parent, op.rel)
	switch op.kind {
	case kindRelatedMany:
		wd.writeList(w, q, op.target, wd.resolve(op.target, ids))
	case kindLinkageMany:
		wd.writeLinkages(w, q, op.target, ids)
	case kindRelatedOne, kindLinkageOne:
		objs := wd.resolve(op.target, ids)
		switch {
		case len(objs) == 0:
			writeError(w, http.StatusNotFound, "NOT_FOUND", notFoundTitle,
				fmt.Sprintf("There is no related resource '%s' of type '%s' with id '%s'", op.rel, op.parent, id))
		case op.kind == kindRelatedOne:
			wd.writeSingle(w, q, objs[0])
		default:
			writeJSON(w, http.StatusOK, map[string]any{"data": linkageOf(objs[0]), "links": map[string]any{"self": wd.self()}})
		}
	}
}

func (wd *world) self() string { return baseURL(wd.r) + wd.r.URL.RequestURI() }

// resolve returns the objects of typ with these IDs, in order.
func (wd *world) resolve(typ string, ids []string) []*object {
	out := make([]*object, 0, len(ids))
	for _, id := range ids {
		if o := wd.find(typ, id); o != nil {
			out = append(out, o)
		}
	}
	return out
}

func linkageOf(o *object) map[string]any { return map[string]any{"type": o.typ, "id": o.id} }

// writeList filters, sorts and pages objects of typ, then writes the page
// with its included resources.
func (wd *world) writeList(w http.ResponseWriter, q readQuery, typ string, objs []*object) {
	var kept []*object
	for _, o := range objs {
		if wd.matches(o, q) {
			kept = append(kept, o)
		}
	}
	wd.sortObjects(kept, q.sort)
	start := min(q.offset, len(kept))
	end := min(start+q.limit, len(kept))
	data := make([]any, 0, end-start)
	inc := newIncluded()
	for _, o := range kept[start:end] {
		data = append(data, wd.render(o, q, inc))
	}
	doc := map[string]any{"data": data, "links": wd.pageLinks(q, end, len(kept)),
		"meta": map[string]any{"paging": map[string]any{"total": len(kept), "limit": q.limit}}}
	if len(inc.list) > 0 {
		doc["included"] = inc.list
	}
	writeJSON(w, http.StatusOK, doc)
}

func (wd *world) writeSingle(w http.ResponseWriter, q readQuery, o *object) {
	inc := newIncluded()
	doc := map[string]any{"data": wd.render(o, q, inc), "links": map[string]any{"self": wd.self()}}
	if len(inc.list) > 0 {
		doc["included"] = inc.list
	}
	writeJSON(w, http.StatusOK, doc)
}

func (wd *world) writeLinkages(w http.ResponseWriter, q readQuery, typ string, ids []string) {
	start := min(q.offset, len(ids))
	end := min(start+q.limit, len(ids))
	data := make([]any, 0, end-start)
	for _, id := range ids[start:end] {
		data = append(data, map[string]any{"type": typ, "id": id})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": wd.pageLinks(q, end, len(ids)),
		"meta": map[string]any{"paging": map[string]any{"total": len(ids), "limit": q.limit}}})
}

// pageLinks is links.self, and links.next with a cursor while items remain.
func (wd *world) pageLinks(q readQuery, end, total int) map[string]any {
	links := map[string]any{"self": wd.self()}
	if end < total {
		u := *wd.r.URL
		v := u.Query()
		v.Set("cursor", encodeCursor(end))
		v.Set("limit", strconv.Itoa(q.limit))
		u.RawQuery = v.Encode()
		links["next"] = baseURL(wd.r) + u.RequestURI()
	}
	return links
}

// matches applies filter[...] and exists[...]. A filter naming neither an
// attribute nor a relationship the emulator can follow is not applied.
func (wd *world) matches(o *object, q readQuery) bool {
	for key, want := range q.filters {
		got, known := wd.values(o, key)
		if known && !slices.ContainsFunc(got, func(v string) bool { return slices.Contains(want, v) }) {
			return false
		}
	}
	for key, want := range q.exists {
		got, known := wd.values(o, key)
		if known && (len(got) > 0) != want {
			return false
		}
	}
	return true
}

// values returns what a filter key names on o: its id, an attribute, the
// IDs of a relationship, or (dotted) something of the related resources.
func (wd *world) values(o *object, key string) ([]string, bool) {
	head, rest, dotted := strings.Cut(key, ".")
	t := wd.cat.types[o.typ]
	if head == "id" && !dotted {
		return []string{o.id}, true
	}
	if v, ok := o.attrs[head]; ok && !dotted {
		return flatten(v), true
	}
	if t == nil {
		return nil, false
	}
	if t.rels[head] == nil {
		if _, declared := t.attrs[head]; declared && !dotted {
			return nil, true // an attribute the resource does not have
		}
		return nil, false
	}
	ids := wd.linked(o, head)
	if !dotted {
		return ids, true
	}
	var out []string
	known := false
	for _, rel := range wd.resolve(t.rels[head].target, ids) {
		vs, ok := wd.values(rel, rest)
		out, known = append(out, vs...), known || ok
	}
	return out, known || len(ids) == 0
}

func flatten(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return []string{fmt.Sprint(v)}
}

// sortObjects orders by the sort keys (attributes; "-" descending).
func (wd *world) sortObjects(objs []*object, keys []string) {
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(objs, func(a, b *object) int {
		for _, k := range keys {
			name, desc := k, false
			if k != "" && k[0] == '-' {
				name, desc = k[1:], true
			}
			c := compareValues(a.attrs[name], b.attrs[name])
			if name == "id" {
				c = cmp.Compare(a.id, b.id)
			}
			if desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareValues(a, b any) int {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		return cmp.Compare(fa, fb)
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// included collects a document's included resources once each.
type included struct {
	seen map[string]bool
	list []any
}

func newIncluded() *included { return &included{seen: map[string]bool{}} }

// render writes o as a JSON:API resource: attributes and relationships
// (narrowed by fields[type]), relationship links where the document has
// the paths, linkage data for to-one relationships and included ones.
// Resources named by include go to inc (nil for included resources).
func (wd *world) render(o *object, q readQuery, inc *included) map[string]any {
	t := wd.cat.types[o.typ]
	fields, narrowed := q.fields[o.typ]
	keep := func(name string) bool { return !narrowed || slices.Contains(fields, name) }
	attrs := map[string]any{}
	for k, v := range o.attrs {
		if keep(k) {
			attrs[k] = v
		}
	}
	res := map[string]any{"type": o.typ, "id": o.id, "attributes": attrs}
	if p := wd.path(o.typ, "/"+url.PathEscape(o.id)); p != "" {
		res["links"] = map[string]any{"self": p}
	}
	if t == nil {
		return res
	}
	rels := map[string]any{}
	for _, name := range t.relList {
		if !keep(name) {
			continue
		}
		if rel := wd.renderRel(o, t.rels[name], q, inc); len(rel) > 0 {
			rels[name] = rel
		}
	}
	if len(rels) > 0 {
		res["relationships"] = rels
	}
	return res
}

func (wd *world) renderRel(o *object, rd *relDef, q readQuery, inc *included) map[string]any {
	rel := map[string]any{}
	links := map[string]any{}
	id := "/" + url.PathEscape(o.id)
	if p := wd.path(o.typ, id+"/relationships/"+rd.name); p != "" {
		links["self"] = p
	}
	if p := wd.path(o.typ, id+"/"+rd.name); p != "" {
		links["related"] = p
	}
	if len(links) > 0 {
		rel["links"] = links
	}
	including := inc != nil && slices.Contains(q.include, rd.name)
	if !rd.data || rd.target == "" || (rd.many && !including) {
		return rel
	}
	ids := wd.linked(o, rd.name)
	if n, ok := q.limits[rd.name]; ok && len(ids) > n {
		ids = ids[:n]
	}
	related := wd.resolve(rd.target, ids)
	if including {
		for _, r := range related {
			if key := r.typ + "/" + r.id; !inc.seen[key] {
				inc.seen[key] = true
				inc.list = append(inc.list, wd.render(r, q, nil))
			}
		}
	}
	if rd.many {
		data := make([]any, 0, len(related))
		for _, r := range related {
			data = append(data, linkageOf(r))
		}
		rel["data"] = data
		rel["meta"] = map[string]any{"paging": map[string]any{"total": len(related), "limit": len(related)}}
	} else if len(related) > 0 {
		rel["data"] = linkageOf(related[0])
	}
	return rel
}

// path returns the absolute URL of typ's resource path with this suffix
// ("/{id}/builds"), under the API version that declares it, or "".
func (wd *world) path(typ, suffix string) string {
	generic := suffix
	if len(suffix) > 0 {
		_, after, found := strings.Cut(suffix[1:], "/")
		generic = "/{id}"
		if found {
			generic += "/" + after
		}
	}
	for _, v := range []string{"/v1/", "/v2/", "/v3/"} {
		if wd.cat.gets[v+typ+generic] {
			return baseURL(wd.r) + v + typ + suffix
		}
	}
	return ""
}

// writeGenerated answers an operation whose answer is not a resource
// document (metrics, reports) with a value generated from its schema.
func writeGenerated(w http.ResponseWriter, op *readOp) {
	switch op.contentType {
	case "application/a-gzip":
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte("Provider\tSKU\tUnits\nAPPLE\tDEMO\t1\n"))
		_ = zw.Close()
		w.Header().Set("Content-Type", op.contentType)
		_, _ = w.Write(b.Bytes())
	case "text/csv":
		w.Header().Set("Content-Type", op.contentType)
		_, _ = w.Write([]byte("code\nEXAMPLE-CODE-0001\n"))
	default:
		writeJSONAs(w, http.StatusOK, op.contentType, generate(op.schema, "", 0))
	}
}

// heldAnswer is a ResponseWriter that keeps the answer in memory until
// sendTo writes it out.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *heldAnswer) Header() http.Header {
	if a.header == nil {
		a.header = http.Header{}
	}
	return a.header
}

func (a *heldAnswer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *heldAnswer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}

func (a *heldAnswer) sendTo(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(cmp.Or(a.status, http.StatusOK))
	_, _ = w.Write(a.body.Bytes())
}
