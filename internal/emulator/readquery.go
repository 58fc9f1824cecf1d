package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// readQuery is a GET's parameters, checked against the operation's
// declaration in Apple's document.
type readQuery struct {
	filters map[string][]string // "app", "preReleaseVersion.version"
	exists  map[string]bool
	sort    []string // attribute names, "-" first for descending
	include []string
	fields  map[string][]string // type -> names
	limits  map[string]int      // limit[relationship]
	limit   int
	offset  int
}

// parseReadQuery checks every parameter as Apple does: a parameter the
// operation does not declare gets 400 PARAMETER_ERROR.ILLEGAL, a value
// outside the declared enumeration or range 400 PARAMETER_ERROR.INVALID,
// a missing required one 400 PARAMETER_ERROR.REQUIRED. `cursor` is
// accepted though undeclared: Apple puts it in links.next.
func parseReadQuery(w http.ResponseWriter, r *http.Request, op *readOp) (readQuery, bool) {
	q := readQuery{filters: map[string][]string{}, exists: map[string]bool{}, fields: map[string][]string{},
		limits: map[string]int{}, limit: defaultPageLimit}
	values := r.URL.Query()
	for name, p := range op.params {
		if p.Required && values.Get(name) == "" {
			writeParamError(w, "PARAMETER_ERROR.REQUIRED", name, fmt.Sprintf("The parameter '%s' is required with this request.", name))
			return q, false
		}
	}
	for name, vals := range values {
		v := strings.Join(vals, ",")
		if name == "cursor" {
			off, ok := decodeCursor(v)
			if !ok {
				writeParamError(w, "PARAMETER_ERROR.INVALID", name, fmt.Sprintf("'%s' is not a valid cursor for this request.", v))
				return q, false
			}
			q.offset = off
			continue
		}
		p, declared := op.params[name]
		if !declared {
			writeParamError(w, "PARAMETER_ERROR.ILLEGAL", name, fmt.Sprintf("The parameter '%s' can not be used with this request", name))
			return q, false
		}
		if !q.set(w, name, v, p) {
			return q, false
		}
	}
	return q, true
}

// set records one declared parameter after checking its value.
func (q *readQuery) set(w http.ResponseWriter, name, v string, p *apiParameter) bool {
	list := strings.Split(v, ",")
	if bad, ok := outsideEnum(list, p); ok {
		writeParamError(w, "PARAMETER_ERROR.INVALID", name, fmt.Sprintf("'%s' is not a valid value for the parameter '%s'.", bad, name))
		return false
	}
	inner, bracketed := strings.CutSuffix(name, "]")
	prefix, key, _ := strings.Cut(inner, "[")
	switch {
	case name == "limit" || (bracketed && prefix == "limit"):
		n, err := strconv.Atoi(v)
		maxN := paramMax(p)
		if err != nil || n < 1 || n > maxN {
			writeParamError(w, "PARAMETER_ERROR.INVALID", name,
				fmt.Sprintf("'%s' is not a valid value for the parameter '%s'. The limit must be an integer from 1 to %d.", v, name, maxN))
			return false
		}
		if name == "limit" {
			q.limit = n
		} else {
			q.limits[key] = n
		}
	case name == "sort":
		q.sort = list
	case name == "include":
		q.include = list
	case bracketed && prefix == "filter":
		q.filters[key] = list
	case bracketed && prefix == "fields":
		q.fields[key] = list
	case bracketed && prefix == "exists":
		q.exists[key] = v == "true"
	}
	return true
}

// outsideEnum returns the first value the parameter's enumeration (of the
// parameter or of its array items) does not hold.
func outsideEnum(list []string, p *apiParameter) (string, bool) {
	s := p.Schema
	if s == nil {
		return "", false
	}
	if s.Items != nil {
		s = s.Items
	}
	if len(s.Enum) == 0 {
		return "", false
	}
	for _, v := range list {
		if !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == v }) {
			return v, true
		}
	}
	return "", false
}

func paramMax(p *apiParameter) int {
	if p.Schema != nil && p.Schema.Maximum != nil {
		return int(*p.Schema.Maximum)
	}
	return maxPageLimit
}
