package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

// routeQuery checks the parameters of a GET served by a route of its own
// (the build upload reads) against the operation's declaration in Apple's
// document, as serveRead does for every other GET. It writes a 400 and
// returns false when a parameter is refused.
func routeQuery(w http.ResponseWriter, r *http.Request) (readQuery, bool) {
	return parseReadQuery(w, r, routeOp(r.Pattern))
}

// routeOp is the document's GET operation for a mux pattern; without the
// document (only a broken build lacks it) an operation that declares no
// parameter.
func routeOp(pattern string) *readOp {
	if cat, err := loadCatalog(); err == nil {
		if op := cat.byPattern[pattern]; op != nil {
			return op
		}
	}
	return &readOp{pattern: pattern, params: map[string]*apiParameter{}}
}

// matches reports whether v is among the filter's values (or the filter is
// absent).
func (q readQuery) matches(filter, v string) bool {
	want, ok := q.filters[filter]
	return !ok || slices.Contains(want, v)
}

type cursor struct {
	Offset string `json:"offset"`
}

func encodeCursor(off int) string {
	b, _ := json.Marshal(cursor{Offset: strconv.Itoa(off)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil {
		return 0, false
	}
	n, err := strconv.Atoi(c.Offset)
	return n, err == nil && n >= 0
}

// pageDoc is the document of one page of items with links.self, links.next
// and meta.paging, as Apple pages collections.
func pageDoc(r *http.Request, q readQuery, items []resource) document {
	if items == nil {
		items = []resource{}
	}
	total := len(items)
	start := min(q.offset, total)
	end := min(start+q.limit, total)
	doc := document{
		Data:  items[start:end],
		Links: docLinks{Self: baseURL(r) + r.URL.RequestURI()},
		Meta:  &pageMeta{Paging: paging{Total: total, Limit: q.limit}},
	}
	if end < total {
		u := *r.URL
		v := u.Query()
		v.Set("cursor", encodeCursor(end))
		v.Set("limit", strconv.Itoa(q.limit))
		u.RawQuery = v.Encode()
		doc.Links.Next = baseURL(r) + u.RequestURI()
	}
	return doc
}

// oneDoc is the document of one resource, with the included ones.
func oneDoc(r *http.Request, res resource, included ...any) document {
	return document{Data: res, Included: included, Links: docLinks{Self: baseURL(r) + r.URL.RequestURI()}}
}

func writeOne(w http.ResponseWriter, r *http.Request, status int, res resource, included ...any) {
	writeJSON(w, status, oneDoc(r, res, included...))
}

// serveRoute answers a GET served by a route of its own (the build upload
// reads): once the query is checked, read makes the document to answer
// under the server's lock, which is released before the answer is written,
// or reports that there is no resource of type typ with this id (the one
// read, or the parent of the list read), and Apple's NOT_FOUND answers.
func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, typ, id string, read func(q readQuery) (document, bool)) {
	q, ok := routeQuery(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	doc, found := read(q)
	s.mu.Unlock()
	if !found {
		writeNotFound(w, typ, id)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func selfLink(r *http.Request, typ, id string) *resourceLinks {
	return &resourceLinks{Self: baseURL(r) + "/v1/" + typ + "/" + url.PathEscape(id)}
}

type appAttributes struct {
	Name          string `json:"name,omitempty"`
	BundleID      string `json:"bundleId"`
	SKU           string `json:"sku,omitempty"`
	PrimaryLocale string `json:"primaryLocale,omitempty"`
}

// owned renders a resource of typ whose to-one relationship rel links it
// to the resource it belongs to (a build's app, a group's app...).
func owned(r *http.Request, typ, id string, attrs any, rel string, owner linkage) resource {
	return resource{Type: typ, ID: id, Attributes: attrs, Relationships: map[string]relationship{rel: {Data: &owner}},
		Links: selfLink(r, typ, id)}
}

func appResource(r *http.Request, a App) resource {
	return resource{Type: "apps", ID: a.ID,
		Attributes: appAttributes{Name: a.Name, BundleID: a.BundleID, SKU: a.SKU, PrimaryLocale: a.PrimaryLocale},
		Relationships: map[string]relationship{
			"buildUploads": {Links: &relLinks{Related: baseURL(r) + "/v1/apps/" + url.PathEscape(a.ID) + "/buildUploads"}},
		},
		Links: selfLink(r, "apps", a.ID)}
}

func (s *Server) findApp(id string) (App, bool) {
	for _, a := range s.data.Apps {
		if a.ID == id {
			return a, true
		}
	}
	return App{}, false
}

type certificateAttributes struct {
	Name            string `json:"name,omitempty"`
	CertificateType string `json:"certificateType"`
	DisplayName     string `json:"displayName,omitempty"`
	SerialNumber    string `json:"serialNumber,omitempty"`
	Platform        string `json:"platform,omitempty"`
	ExpirationDate  string `json:"expirationDate"`
	Activated       *bool  `json:"activated,omitempty"`
}

func certificateResource(r *http.Request, c Certificate) resource {
	return resource{Type: "certificates", ID: c.ID, Attributes: certificateAttributes{
		Name: c.Name, CertificateType: c.CertificateType, DisplayName: c.DisplayName, SerialNumber: c.SerialNumber,
		Platform: c.Platform, ExpirationDate: appleTime(c.ExpirationDate), Activated: c.Activated,
	}, Links: selfLink(r, "certificates", c.ID)}
}

type profileAttributes struct {
	Name           string `json:"name"`
	Platform       string `json:"platform,omitempty"`
	ProfileType    string `json:"profileType"`
	ProfileState   string `json:"profileState"`
	UUID           string `json:"uuid,omitempty"`
	CreatedDate    string `json:"createdDate,omitempty"`
	ExpirationDate string `json:"expirationDate"`
}

func profileResource(r *http.Request, p Profile) resource {
	state := p.ProfileState
	if state == "" {
		state = "ACTIVE"
	}
	attrs := profileAttributes{Name: p.Name, Platform: p.Platform, ProfileType: p.ProfileType, ProfileState: state,
		UUID: p.UUID, ExpirationDate: appleTime(p.ExpirationDate)}
	if !p.CreatedDate.IsZero() {
		attrs.CreatedDate = appleTime(p.CreatedDate)
	}
	return resource{Type: "profiles", ID: p.ID, Attributes: attrs, Links: selfLink(r, "profiles", p.ID)}
}

type buildAttributes struct {
	Version         string `json:"version"`
	UploadedDate    string `json:"uploadedDate,omitempty"`
	ExpirationDate  string `json:"expirationDate,omitempty"`
	Expired         bool   `json:"expired"`
	ProcessingState string `json:"processingState"`
	// UsesNonExemptEncryption is the export-compliance answer (testflight.go).
	UsesNonExemptEncryption *bool `json:"usesNonExemptEncryption,omitempty"`
}

func (s *Server) buildResource(r *http.Request, b Build) resource {
	attrs := buildAttributes{Version: b.Version, ProcessingState: b.ProcessingState, UsesNonExemptEncryption: b.UsesNonExemptEncryption}
	if attrs.ProcessingState == "" {
		attrs.ProcessingState = "VALID"
	}
	if !b.UploadedDate.IsZero() {
		attrs.UploadedDate = appleTime(b.UploadedDate)
	}
	if !b.ExpirationDate.IsZero() {
		attrs.ExpirationDate = appleTime(b.ExpirationDate)
		attrs.Expired = !s.now().Before(b.ExpirationDate)
	}
	return owned(r, "builds", b.ID, attrs, "app", linkage{Type: "apps", ID: b.App})
}

func platformOr(p string) string {
	if p == "" {
		return "IOS"
	}
	return p
}

func (s *Server) findBuild(id string) (Build, bool) {
	for _, b := range s.data.Builds {
		if b.ID == id {
			return b, true
		}
	}
	return Build{}, false
}
