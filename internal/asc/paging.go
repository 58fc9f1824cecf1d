package asc

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// page is one page of a JSON:API collection.
type page[T any] struct {
	Data  []T   `json:"data"`
	Links Links `json:"links"`
}

// ListAll GETs path (relative to the base URL, query included) and follows
// links.next until the last page, or until maxPages pages when maxPages > 0,
// returning the items of every page read. T is the resource type ("data"
// items): only its fields are kept, never the pages themselves. The
// Response is the last page's, with Pages counting the pages and NextURL set
// when maxPages stopped the walk early. Every list call of the Client uses
// it; it serves endpoints the Client has no method for.
//
// Whatever the server sends, a walk stops with an error at a links.next that
// points back at a page already read (a repeat or a cycle), after MaxPages
// pages, or once the pages add up to more than MaxListBytes.
func ListAll[T any](ctx context.Context, c *Client, path string, maxPages int) ([]T, *Response, error) {
	var (
		all   []T
		last  *Response
		w     = walk{path: path, seen: map[[32]byte]bool{}, limit: c.listBytes}
		next  = path
		pages = 0
	)
	for next != "" {
		req, err := w.request(c, next, pages)
		if err != nil {
			return all, last, err
		}
		var p page[T]
		resp, err := c.Do(ctx, req, &p)
		if resp != nil {
			pages++
			resp.Pages = pages
			last = resp
		}
		if err != nil {
			return all, resp, err
		}
		if err := w.count(resp, pages); err != nil {
			return all, last, err
		}
		all = append(all, p.Data...)
		next = p.Links.Next
		if maxPages > 0 && pages >= maxPages {
			return all, last, nil
		}
	}
	if last != nil {
		last.NextURL = ""
	}
	return all, last, nil
}

// list reads the collection at path (relative to the base URL) with the
// query opts asks for (nil: none), following pages up to opts.MaxPages.
// Every List method of the Client is one call of it.
func list[T, O any, P interface {
	*O
	paging() *ListOptions
}](ctx context.Context, c *Client, path string, opts P) ([]T, *Response, error) {
	if opts == nil {
		opts = new(O)
	}
	q := newQuery().options(reflect.ValueOf(opts).Elem())
	return ListAll[T](ctx, c, q.path(path), opts.paging().MaxPages)
}

// walk holds what a list call has read, against servers that never stop.
type walk struct {
	path  string
	seen  map[[32]byte]bool // digests of the pages' URLs (a links.next may be long)
	bytes int64
	limit int64 // MaxListBytes
}

// request builds the GET for the next page, refusing a page already read
// or a walk past MaxPages.
func (w *walk) request(c *Client, next string, pages int) (*http.Request, error) {
	if pages >= MaxPages {
		return nil, fmt.Errorf("App Store Connect GET %s: stopped after %d pages (limit asc.MaxPages); the server keeps sending links.next", w.path, MaxPages)
	}
	req, err := c.NewRequest(http.MethodGet, next, nil)
	if err != nil {
		return nil, err
	}
	key := pageKey(req.URL)
	if w.seen[key] {
		return nil, fmt.Errorf("App Store Connect GET %s: links.next points back at a page already read (%s)", req.URL.Path, excerpt([]byte(req.URL.RequestURI()), ""))
	}
	w.seen[key] = true
	return req, nil
}

// count adds a page's bytes and stops the walk past MaxListBytes.
func (w *walk) count(resp *Response, pages int) error {
	w.bytes += int64(resp.bodyLen)
	if w.bytes > w.limit {
		return fmt.Errorf("App Store Connect GET %s: stopped after %d bytes in %d pages (limit asc.MaxListBytes, %d bytes per list); ask for fewer fields or filter the list", w.path, w.bytes, pages, w.limit)
	}
	return nil
}

// pageKey identifies a page whatever the order of its query parameters or
// the case of its scheme and host.
func pageKey(u *url.URL) [32]byte {
	q := u.Query().Encode() // sorted by key
	return sha256.Sum256([]byte(strings.ToLower(u.Scheme+"://"+u.Host) + u.EscapedPath() + "?" + q))
}

// Get GETs path (relative to the base URL) and decodes the document's data
// into a T. It serves endpoints the Client has no method for.
func Get[T any](ctx context.Context, c *Client, path string) (*T, *Response, error) {
	return requestData[T](ctx, c, http.MethodGet, path, nil)
}

// Send sends body (JSON-encoded) to path with method (POST, PATCH) and
// decodes the answer's data into a T. It serves endpoints the Client has no
// method for. POST and PATCH are not repeated after a 5xx or a broken
// connection (see DefaultRetryPolicy).
func Send[T any](ctx context.Context, c *Client, method, path string, body any) (*T, *Response, error) {
	return requestData[T](ctx, c, method, path, body)
}

// get reads the resource typ/id (GET /v1/{typ}/{id}).
func get[T any](ctx context.Context, c *Client, typ, id string) (*T, *Response, error) {
	return Get[T](ctx, c, "v1/"+typ+"/"+pathEscape(id))
}

// create POSTs a new resource of type typ to v1/{typ} with attrs (nil: none)
// and rels, and decodes the resource Apple made.
func create[T, A any](ctx context.Context, c *Client, typ string, attrs *A, rels map[string]*Relationship) (*T, *Response, error) {
	body := requestDocument[A]{Data: requestResource[A]{Type: typ, Attributes: attrs, Relationships: rels}}
	return Send[T](ctx, c, http.MethodPost, "v1/"+typ, body)
}

// update PATCHes the attributes attrs of the resource typ/id and decodes the
// resource as changed.
func update[T, A any](ctx context.Context, c *Client, typ, id string, attrs *A) (*T, *Response, error) {
	body := requestDocument[A]{Data: requestResource[A]{Type: typ, ID: &id, Attributes: attrs}}
	return Send[T](ctx, c, http.MethodPatch, "v1/"+typ+"/"+pathEscape(id), body)
}

// requestData sends one request and decodes the document's data into a T; a
// document without data is a *DecodeError.
func requestData[T any](ctx context.Context, c *Client, method, path string, body any) (*T, *Response, error) {
	req, err := c.NewRequest(method, path, body)
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		Data *T `json:"data"`
	}
	resp, err := c.Do(ctx, req, &doc)
	if err != nil {
		return nil, resp, err
	}
	if doc.Data == nil {
		return nil, resp, &DecodeError{Method: method, Path: req.URL.Path, StatusCode: resp.StatusCode, Err: fmt.Errorf("no data in the document")}
	}
	return doc.Data, resp, nil
}
