package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The emulator's own JSON:API types. They follow Apple's OpenAPI document
// (components/schemas) and are deliberately not shared with the client.

type document struct {
	Data     any       `json:"data"`
	Included []any     `json:"included,omitempty"`
	Links    docLinks  `json:"links"`
	Meta     *pageMeta `json:"meta,omitempty"`
}

type docLinks struct {
	Self  string `json:"self"`
	First string `json:"first,omitempty"`
	Next  string `json:"next,omitempty"`
}

type pageMeta struct {
	Paging paging `json:"paging"`
}

type paging struct {
	Total int `json:"total"`
	Limit int `json:"limit"`
}

type resource struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    any                     `json:"attributes,omitempty"`
	Relationships map[string]relationship `json:"relationships,omitempty"`
	Links         *resourceLinks          `json:"links,omitempty"`
}

type resourceLinks struct {
	Self string `json:"self,omitempty"`
}

type relationship struct {
	Data  *linkage  `json:"data,omitempty"`
	Links *relLinks `json:"links,omitempty"`
	Meta  *pageMeta `json:"meta,omitempty"`
}

type relLinks struct {
	Self    string `json:"self,omitempty"`
	Related string `json:"related,omitempty"`
}

type linkage struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// apiError is one entry of Apple's error document.
type apiError struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *errorSource `json:"source,omitempty"`
}

type errorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

type errorDocument struct {
	Errors []apiError `json:"errors"`
}

// Apple's wording for the errors the emulator returns.
const (
	unauthorizedTitle  = "Authentication credentials are missing or invalid."
	unauthorizedDetail = "Provide a properly configured and signed bearer token, and make sure that it has not expired. Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"
	forbiddenTitle     = "This request is forbidden for security reasons"
	forbiddenDetail    = "The API key in use does not allow this request"
	notFoundTitle      = "The specified resource does not exist"
	rateLimitTitle     = "The API rate limit has been exceeded."
	rateLimitDetail    = "The rate limit has been exceeded for the requested resource. Wait before sending further requests."
)

// newUUID returns a random (version 4) UUID: the emulator's resource IDs,
// error IDs and throwaway issuer IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func mkError(status int, code, title, detail string) apiError {
	return apiError{ID: newUUID(), Status: strconv.Itoa(status), Code: code, Title: title, Detail: detail}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// writeJSONAs writes v as JSON under a content type of the JSON family.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"status":"500","code":"UNEXPECTED_ERROR","title":"An unexpected error occurred.","detail":"The emulator could not encode its response."}]}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	writeJSON(w, status, errorDocument{Errors: errs})
}

func writeError(w http.ResponseWriter, status int, code, title, detail string) {
	writeErrors(w, status, mkError(status, code, title, detail))
}

func writeParamError(w http.ResponseWriter, code, param, detail string) {
	e := mkError(http.StatusBadRequest, code, "A parameter has an invalid value", detail)
	if code == "PARAMETER_ERROR.ILLEGAL" {
		e.Title = "A parameter is not allowed for this request"
	}
	e.Source = &errorSource{Parameter: param}
	writeErrors(w, http.StatusBadRequest, e)
}

func writeNotFound(w http.ResponseWriter, typ, id string) {
	writeError(w, http.StatusNotFound, "NOT_FOUND", notFoundTitle,
		fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id))
}

func writeEntityError(w http.ResponseWriter, status int, code, title, detail, pointer string) {
	e := mkError(status, code, title, detail)
	if pointer != "" {
		e.Source = &errorSource{Pointer: pointer}
	}
	writeErrors(w, status, e)
}

// writeInvalidRelationship answers Apple's ENTITY_ERROR.RELATIONSHIP.INVALID,
// pointing at the relationship (or linkage) that is wrong.
func writeInvalidRelationship(w http.ResponseWriter, status int, detail, pointer string) {
	writeEntityError(w, status, "ENTITY_ERROR.RELATIONSHIP.INVALID", "The provided entity includes a relationship with an invalid value",
		detail, pointer)
}

// writeNoSuchLinkage answers Apple's 404 for linkage n of a relationship
// request (POST or DELETE .../relationships/...) naming no resource of typ.
func writeNoSuchLinkage(w http.ResponseWriter, typ string, n int, id string) {
	writeEntityError(w, http.StatusNotFound, "NOT_FOUND", notFoundTitle,
		fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id), fmt.Sprintf("/data/%d/id", n))
}

// writeNoSuchRelated answers ENTITY_ERROR.RELATIONSHIP.INVALID for a
// relationship name whose linkage l names no existing resource.
func writeNoSuchRelated(w http.ResponseWriter, name string, l *linkage) {
	writeInvalidRelationship(w, http.StatusUnprocessableEntity,
		fmt.Sprintf("There is no resource of type '%s' with id '%s'", l.Type, l.ID), "/data/relationships/"+name)
}

// appleTime formats a time the way Apple's API does (RFC 3339, milliseconds).
func appleTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
