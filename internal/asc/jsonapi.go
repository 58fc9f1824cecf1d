package asc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Platforms accepted by build uploads (Apple's Platform enum).
const (
	PlatformIOS      = "IOS"
	PlatformMacOS    = "MAC_OS"
	PlatformTVOS     = "TV_OS"
	PlatformVisionOS = "VISION_OS"
)

// Resource is a JSON:API resource object as App Store Connect sends it: its
// type, its ID and its attributes (A). Resources read with relationships
// (Build, BuildUpload) are a Linked.
type Resource[A any] struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes A      `json:"attributes"`
}

// Linked is a resource read with its relationships (R), present when Apple
// includes them.
type Linked[A, R any] struct {
	Resource[A]
	Relationships *R `json:"relationships,omitempty"`
}

// ResourceIdentifier names a resource in a relationship: {"type","id"}.
type ResourceIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Relationship is a to-one relationship's linkage.
type Relationship struct {
	Data *ResourceIdentifier `json:"data,omitempty"`
}

// ID returns the related resource's ID, or "" when there is none.
func (r *Relationship) ID() string {
	if r == nil || r.Data == nil {
		return ""
	}
	return r.Data.ID
}

// requestDocument is the body of a POST that creates a resource or of a
// PATCH that changes one: {"data": {...}}.
type requestDocument[A any] struct {
	Data requestResource[A] `json:"data"`
}

// requestResource is the resource a POST creates (no id) or a PATCH changes
// (its id, no relationships). A POST without attributes sends none.
type requestResource[A any] struct {
	Type          string                   `json:"type"`
	ID            *string                  `json:"id,omitempty"`
	Attributes    *A                       `json:"attributes,omitempty"`
	Relationships map[string]*Relationship `json:"relationships,omitempty"`
}

// toOne is the relationships of a new resource that names one other: name
// links to the resource typ/id.
func toOne(name, typ, id string) map[string]*Relationship {
	return map[string]*Relationship{name: {Data: &ResourceIdentifier{Type: typ, ID: id}}}
}

// Links is a document's links (self, first, next).
type Links struct {
	Self  string `json:"self,omitempty"`
	First string `json:"first,omitempty"`
	Next  string `json:"next,omitempty"`
}

// Time is a date-time from App Store Connect. It accepts RFC 3339 and the
// offset form without a colon ("2025-01-02T03:04:05.000+0000") that Apple
// also sends; the zero Time is omitted from JSON.
type Time struct {
	time.Time
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// ParseTime reads a date-time in any form Time accepts.
func ParseTime(s string) (Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return Time{t}, nil
		}
	}
	return Time{}, fmt.Errorf("not a date-time: %q", s)
}

// UnmarshalJSON accepts a date-time string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("date-time is not a string: %s", b)
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes RFC 3339.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Time.Format(time.RFC3339Nano))
}

// ListOptions are the paging options every list call takes; each
// List...Options embeds them.
type ListOptions struct {
	// Limit is the page size (Apple allows up to 200).
	Limit int `query:"limit"`
	// MaxPages stops after this many pages (0: all); Response.NextURL then
	// tells whether more were left.
	MaxPages int
}

func (o *ListOptions) paging() *ListOptions { return o }

// query builds a JSON:API query string; list values are comma-separated as
// Apple's parameters (style form, explode false) expect.
type query struct{ v url.Values }

func newQuery() *query { return &query{v: url.Values{}} }

// options adds the fields of the options struct v that name a parameter in
// a `query` tag: a []string as a list, a string as a one-item list, an int
// when positive. An embedded struct (ListOptions) adds its own fields.
func (q *query) options(v reflect.Value) *query {
	for i := range v.NumField() {
		f, val := v.Type().Field(i), v.Field(i)
		key := f.Tag.Get("query")
		switch {
		case f.Anonymous:
			q.options(val)
		case key == "":
		case f.Type.Kind() == reflect.Int:
			q.int(key, int(val.Int()))
		case f.Type.Kind() == reflect.String:
			q.list(key, val.String())
		default:
			q.list(key, val.Interface().([]string)...)
		}
	}
	return q
}

func (q *query) list(key string, vals ...string) *query {
	var keep []string
	for _, s := range vals {
		if s = strings.TrimSpace(s); s != "" {
			keep = append(keep, s)
		}
	}
	if len(keep) > 0 {
		q.v.Set(key, strings.Join(keep, ","))
	}
	return q
}

func (q *query) int(key string, n int) *query {
	if n > 0 {
		q.v.Set(key, strconv.Itoa(n))
	}
	return q
}

// path returns p with the query appended.
func (q *query) path(p string) string {
	if len(q.v) == 0 {
		return p
	}
	return p + "?" + q.v.Encode()
}

// pathEscape escapes an ID for use as one path segment.
func pathEscape(id string) string { return url.PathEscape(id) }
