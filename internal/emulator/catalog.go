package emulator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/asc-action/asc-action/internal/openapi"
)

// The read surface is driven by Apple's OpenAPI document, embedded in the
// binary (internal/openapi): every GET operation it declares is served by
// one generic handler (reads.go) that learns from the catalog below which
// resource type a path answers, which relationships each type has and
// which query parameters an operation takes.

// opKind is the shape of a GET operation's answer.
type opKind int

const (
	kindCollection  opKind = iota // /v1/{type}
	kindInstance                  // /v1/{type}/{id}
	kindRelatedOne                // /v1/{type}/{id}/{rel}, one resource
	kindRelatedMany               // /v1/{type}/{id}/{rel}, a page of resources
	kindLinkageOne                // /v1/{type}/{id}/relationships/{rel}, one identifier
	kindLinkageMany               // /v1/{type}/{id}/relationships/{rel}, a page of identifiers
	kindOther                     // metrics, reports: generated from the response schema
)

// readOp is one GET operation of the document.
type readOp struct {
	pattern     string // ServeMux pattern, "GET /v1/apps/{id}/builds"
	path        string
	id          string // Apple's operation ID
	kind        opKind
	parent      string // resource type of {id}
	rel         string // relationship name (related and linkage kinds)
	target      string // resource type of the answer's data
	params      map[string]*apiParameter
	schema      *schema // 200 body schema (kindOther)
	contentType string  // 200 content type (kindOther)
}

// writeOp is an operation that changes state, by its mux pattern.
type writeOp struct{ pattern, id string }

// relDef is one relationship of a resource type.
type relDef struct {
	name   string
	target string
	many   bool
	data   bool // the schema carries linkage data
}

// resType is one resource type of the document: the union of its schema
// variants' attributes and relationships (v1 and v2 schemas share a type).
type resType struct {
	name     string
	attrs    map[string]*schema
	attrList []string
	rels     map[string]*relDef
	relList  []string
}

// catalog indexes the document.
type catalog struct {
	ops       []*readOp
	byPattern map[string]*readOp // ops by mux pattern
	writes    []writeOp          // every other operation
	types     map[string]*resType
	gets      map[string]bool // every path with a GET, e.g. "/v1/apps/{id}/builds"
}

var (
	catalogOnce sync.Once
	theCatalog  *catalog
	catalogErr  error
)

// loadCatalog reads the embedded document once per process.
func loadCatalog() (*catalog, error) {
	catalogOnce.Do(func() {
		b, err := openapi.JSON()
		if err != nil {
			catalogErr = err
			return
		}
		doc, err := parseAPIDoc(b)
		if err != nil {
			catalogErr = fmt.Errorf("emulator: Apple's OpenAPI document: %w", err)
			return
		}
		theCatalog = buildCatalog(doc)
	})
	return theCatalog, catalogErr
}

func buildCatalog(doc *apiDoc) *catalog {
	c := &catalog{types: map[string]*resType{}, gets: map[string]bool{}, byPattern: map[string]*readOp{}}
	for _, n := range sortedKeys(doc.Components.Schemas) { // V2 after V1: the first variant's attribute wins
		if strings.HasSuffix(n, "InlineCreate") {
			continue
		}
		if s := doc.Components.Schemas[n]; resourceTypeOf(s) != "" {
			c.addType(s)
		}
	}
	for _, p := range sortedKeys(doc.Paths) {
		item := doc.Paths[p]
		if item.Get != nil {
			c.gets[p] = true
			op := c.newOp(p, item)
			c.ops = append(c.ops, op)
			c.byPattern[op.pattern] = op
		}
		for method, o := range map[string]*apiOperation{"POST": item.Post, "PATCH": item.Patch, "PUT": item.Put, "DELETE": item.Delete} {
			if o != nil {
				c.writes = append(c.writes, writeOp{method + " " + p, o.OperationID})
			}
		}
	}
	// Relationships whose schema has links only learn their target from
	// the related path.
	for _, op := range c.ops {
		if op.rel == "" || op.target == "" {
			continue
		}
		if t := c.types[op.parent]; t != nil {
			if rd := t.rels[op.rel]; rd != nil && rd.target == "" {
				rd.target = op.target
				rd.many = op.kind == kindRelatedMany || op.kind == kindLinkageMany
			}
		}
	}
	return c
}

// resourceTypeOf returns the JSON:API type a resource schema declares (a
// one-value enum on "type" beside an "id"), or "".
func resourceTypeOf(s *schema) string {
	if s == nil || s.Properties["id"] == nil || s.Properties["type"] == nil {
		return ""
	}
	if s.Properties["attributes"] == nil && s.Properties["relationships"] == nil && s.Properties["links"] == nil {
		return ""
	}
	if e := s.Properties["type"].Enum; len(e) == 1 {
		name, _ := e[0].(string)
		return name
	}
	return ""
}

// linkageType returns the type named by a linkage schema ({type, id}).
func linkageType(s *schema) string {
	if s == nil || s.Properties["type"] == nil {
		return ""
	}
	if e := s.Properties["type"].Enum; len(e) == 1 {
		name, _ := e[0].(string)
		return name
	}
	return ""
}

func (c *catalog) addType(s *schema) {
	name := resourceTypeOf(s)
	t := c.types[name]
	if t == nil {
		t = &resType{name: name, attrs: map[string]*schema{}, rels: map[string]*relDef{}}
		c.types[name] = t
	}
	if a := s.Properties["attributes"]; a != nil {
		for _, k := range sortedKeys(a.Properties) {
			p := a.Properties[k]
			prev, seen := t.attrs[k]
			if !seen {
				t.attrs[k] = p
				t.attrList = append(t.attrList, k)
				continue
			}
			// Both variants must accept the value: keep the values
			// their enumerations share.
			if shared := sharedEnum(prev, p); shared != nil {
				narrowed := *prev
				narrowed.Enum = shared
				t.attrs[k] = &narrowed
			}
		}
	}
	rs := s.Properties["relationships"]
	if rs == nil {
		return
	}
	for _, k := range sortedKeys(rs.Properties) {
		rd := t.rels[k]
		if rd == nil {
			rd = &relDef{name: k}
			t.rels[k] = rd
			t.relList = append(t.relList, k)
		}
		d := rs.Properties[k].Properties["data"]
		if d == nil {
			continue
		}
		rd.data = true
		if d.Type == "array" && d.Items != nil {
			rd.many, rd.target = true, linkageType(d.Items)
		} else {
			rd.target = linkageType(d)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// newOp classifies one GET operation by its path and 200 answer.
func (c *catalog) newOp(path string, item *apiPathItem) *readOp {
	o := item.Get
	op := &readOp{pattern: "GET " + path, path: path, id: o.OperationID, kind: kindOther, params: map[string]*apiParameter{}}
	for _, p := range slices.Concat(item.Parameters, o.Parameters) {
		if p.In == "query" {
			op.params[p.Name] = &p
		}
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/") // v1, type, {id}, rel...
	op.parent = segs[1]
	resp, ok := o.Responses["200"]
	if !ok {
		return op
	}
	for _, ct := range sortedKeys(resp.Content) {
		op.contentType, op.schema = ct, resp.Content[ct].Schema
		if ct == "application/json" {
			break
		}
	}
	if op.contentType != "application/json" || op.schema == nil || op.schema.Properties["data"] == nil {
		return op
	}
	data := op.schema.Properties["data"]
	many := data.Type == "array"
	item0 := data
	if many {
		item0 = data.Items
	}
	resource := resourceTypeOf(item0) != ""
	op.target = linkageType(item0)
	switch {
	case len(segs) == 2 && many && resource:
		op.kind = kindCollection
	case len(segs) == 3 && !many && resource:
		op.kind = kindInstance
	case len(segs) == 4 && resource:
		op.kind, op.rel = kindRelatedOne, segs[3]
		if many {
			op.kind = kindRelatedMany
		}
	case len(segs) == 5 && segs[3] == "relationships" && !resource:
		op.kind, op.rel = kindLinkageOne, segs[4]
		if many {
			op.kind = kindLinkageMany
		}
	default:
		op.target = ""
	}
	return op
}

// sharedEnum returns the values both schemas' enumerations hold, or nil
// when either has none or they share none.
func sharedEnum(a, b *schema) []any {
	if a == nil || b == nil || len(a.Enum) == 0 || len(b.Enum) == 0 {
		return nil
	}
	var out []any
	for _, v := range a.Enum {
		if slices.Contains(b.Enum, v) {
			out = append(out, v)
		}
	}
	return out
}
