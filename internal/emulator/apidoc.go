package emulator

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The part of an OpenAPI 3.0 document the emulator reads, decoded with
// encoding/json: Apple's document loads in a fraction of the time a full
// OpenAPI library takes, which every start of the emulator pays. Apple's
// document uses $ref for schemas only.

type apiDoc struct {
	Paths      map[string]*apiPathItem `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type apiPathItem struct {
	Get        *apiOperation  `json:"get"`
	Post       *apiOperation  `json:"post"`
	Patch      *apiOperation  `json:"patch"`
	Put        *apiOperation  `json:"put"`
	Delete     *apiOperation  `json:"delete"`
	Parameters []apiParameter `json:"parameters"`
}

type apiOperation struct {
	OperationID string                 `json:"operationId"`
	Parameters  []apiParameter         `json:"parameters"`
	Responses   map[string]apiResponse `json:"responses"`
}

type apiParameter struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required"`
	Schema   *schema `json:"schema"`
}

type apiResponse struct {
	Content map[string]struct {
		Schema *schema `json:"schema"`
	} `json:"content"`
}

// schema is a JSON Schema as OpenAPI 3.0 writes it; refs are resolved in
// place by parseAPIDoc.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Format     string             `json:"format"`
	Enum       []any              `json:"enum"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	OneOf      []*schema          `json:"oneOf"`
	AnyOf      []*schema          `json:"anyOf"`
	AllOf      []*schema          `json:"allOf"`
	Minimum    *float64           `json:"minimum"`
	Maximum    *float64           `json:"maximum"`
}

// parseAPIDoc decodes the document and replaces every schema reference by
// the schema it names.
func parseAPIDoc(b []byte) (*apiDoc, error) {
	var d apiDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	r := &resolver{named: d.Components.Schemas, done: map[*schema]bool{}}
	for _, s := range d.Components.Schemas {
		r.walk(s)
	}
	for _, item := range d.Paths {
		for i := range item.Parameters {
			item.Parameters[i].Schema = r.walk(item.Parameters[i].Schema)
		}
		if item.Get == nil {
			continue
		}
		for i := range item.Get.Parameters {
			item.Get.Parameters[i].Schema = r.walk(item.Get.Parameters[i].Schema)
		}
		for _, resp := range item.Get.Responses {
			for ct, mt := range resp.Content {
				mt.Schema = r.walk(mt.Schema)
				resp.Content[ct] = mt
			}
		}
	}
	return &d, r.err
}

type resolver struct {
	named map[string]*schema
	done  map[*schema]bool
	err   error
}

// walk resolves s (returning the named schema for a reference) and every
// schema below it, once each.
func (r *resolver) walk(s *schema) *schema {
	if s == nil {
		return nil
	}
	if s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		target := r.named[name]
		if !ok || target == nil {
			r.err = fmt.Errorf("unresolved schema reference %q", s.Ref)
			return s
		}
		return r.walk(target)
	}
	if r.done[s] {
		return s
	}
	r.done[s] = true
	for k, p := range s.Properties {
		s.Properties[k] = r.walk(p)
	}
	s.Items = r.walk(s.Items)
	for _, list := range [][]*schema{s.OneOf, s.AnyOf, s.AllOf} {
		for i, p := range list {
			list[i] = r.walk(p)
		}
	}
	return s
}
