package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// Limits of the attributes a write may store: without them one group name
// of 900 KB made every later create 30 times slower and one list answer
// 90 MB.
const (
	// MaxAttributeLength is the most characters of any string attribute
	// attributeLimits does not list (Apple's longest texts, description
	// and whatsNew, take 4000).
	MaxAttributeLength = 4000
	// MaxAttributeItems is the most entries of a list attribute.
	MaxAttributeItems = 100
)

// attributeLimits are the lengths, in characters, Apple allows for the
// attributes that have a limit of their own.
var attributeLimits = map[string]int{
	"keywords":        100,
	"promotionalText": 170,
	"csrContent":      16 << 10, // a certificate signing request, base64 or PEM
}

// attributesWithinLimits answers Apple's 422
// ENTITY_ERROR.ATTRIBUTE.INVALID.TOO_LONG (as for whatsNew, testflight.go) for the first attribute of the
// request body b whose value (or a string inside it) is longer than its
// limit, or whose list has more than MaxAttributeItems entries.
func attributesWithinLimits(w http.ResponseWriter, b []byte) bool {
	var probe struct {
		Data struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return true // not an object of attributes: the handler decides
	}
	names := make([]string, 0, len(probe.Data.Attributes))
	for name := range probe.Data.Attributes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		limit := MaxAttributeLength
		if l, ok := attributeLimits[name]; ok {
			limit = l
		}
		if detail := overLimit(name, probe.Data.Attributes[name], limit); detail != "" {
			writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.INVALID.TOO_LONG", "An attribute value is too long.",
				detail, "/data/attributes/"+name)
			return false
		}
	}
	return true
}

// overLimit says what of v, the value of attribute name, is over limit,
// or "".
func overLimit(name string, v any, limit int) string {
	switch x := v.(type) {
	case string:
		if n := utf8.RuneCountInString(x); n > limit {
			return fmt.Sprintf("The attribute '%s' can not be longer than %d characters (it has %d).", name, limit, n)
		}
	case []any:
		if len(x) > MaxAttributeItems {
			return fmt.Sprintf("The attribute '%s' can not have more than %d entries (it has %d).", name, MaxAttributeItems, len(x))
		}
		for _, e := range x {
			if d := overLimit(name, e, limit); d != "" {
				return d
			}
		}
	case map[string]any:
		if len(x) > MaxAttributeItems {
			return fmt.Sprintf("The attribute '%s' can not have more than %d fields (it has %d).", name, MaxAttributeItems, len(x))
		}
		for _, e := range x {
			if d := overLimit(name, e, limit); d != "" {
				return d
			}
		}
	}
	return ""
}
