package asc

import (
	"context"
	"fmt"
	"net/http"
)

// MaxPages bounds how many pages a list call follows, against a server that
// never stops handing out links.next.
const MaxPages = 1000

// page is one page of a JSON:API collection.
type page[T any] struct {
	Data  []T   `json:"data"`
	Links Links `json:"links"`
}

// ListAll GETs path (relative to the base URL, query included) and follows
// links.next until the last page, or until maxPages pages when maxPages > 0,
// returning the items of every page read. T is the resource type ("data"
// items). The Response is the last page's, with Pages counting the pages and
// NextURL set when maxPages stopped the walk early. Every list call of the
// Client uses it; it serves endpoints the Client has no method for.
func ListAll[T any](ctx context.Context, c *Client, path string, maxPages int) ([]T, *Response, error) {
	var all []T
	seen := map[string]bool{}
	next := path
	pages := 0
	var last *Response
	for next != "" {
		if pages >= MaxPages {
			return all, last, fmt.Errorf("App Store Connect GET %s: stopped after %d pages; the server keeps sending links.next", path, MaxPages)
		}
		req, err := c.NewRequest(http.MethodGet, next, nil)
		if err != nil {
			return all, last, err
		}
		key := req.URL.String()
		if seen[key] {
			return all, last, fmt.Errorf("App Store Connect GET %s: links.next points back at a page already read (%s)", req.URL.Path, req.URL.RequestURI())
		}
		seen[key] = true
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

// listAll, getOne and sendOne are the unexported names of ListAll, Get and
// Send, kept for the files of this package written against them.
func listAll[T any](ctx context.Context, c *Client, path string) ([]T, *Response, error) {
	return ListAll[T](ctx, c, path, 0)
}

func getOne[T any](ctx context.Context, c *Client, path string) (*T, *Response, error) {
	return Get[T](ctx, c, path)
}

func sendOne[T any](ctx context.Context, c *Client, method, path string, body any) (*T, *Response, error) {
	return Send[T](ctx, c, method, path, body)
}
