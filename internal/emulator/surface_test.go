package emulator

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/contract"
)

// TestEveryGetOperationOfTheDocument walks every GET operation of Apple's
// document against the emulator, taking IDs from earlier answers (lists,
// relationships, included resources), and validates each answer against
// the document. It prints the coverage and fails below 100% of the GET
// operations answering 200 with a valid body.
func TestEveryGetOperationOfTheDocument(t *testing.T) {
	spec := contract.ForTest(t)
	data, err := LoadData("testdata/account.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Data: data})
	e.createFile(e.createUpload("99"), 1000)                                                                 // a build upload and its file, to be read back
	e.do("POST", "/v1/webhooks", webhookBody("http://127.0.0.1:9/", "s3cret", "BUILD_UPLOAD_STATE_UPDATED")) // webhooks_test.go
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	harvest := func(body []byte) {
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			collectIDs(doc, ids)
		}
	}
	valid := map[string]bool{}
	why := map[string]string{}
	for round := 0; round < 8; round++ {
		progress := false
		for _, op := range cat.ops {
			if valid[op.id] {
				continue
			}
			for _, p := range candidatePaths(op, ids) {
				u := p + requiredQuery(op, ids)
				r := e.do("GET", u, nil)
				harvest(r.body)
				if r.status != 200 {
					why[op.id] = fmt.Sprintf("GET %s -> %d %.200s", u, r.status, r.body)
					continue
				}
				req := httptest.NewRequest("GET", e.hs.URL+u, nil)
				if _, err := spec.CheckResponse(req, r.status, r.header, r.body); err != nil {
					why[op.id] = fmt.Sprintf("GET %s: %.600v", u, err)
					continue
				}
				valid[op.id], progress = true, true
				// Everything the operation can include, to learn the IDs of
				// resources reachable only that way; checked as well.
				if inc := allIncludes(op); inc != "" {
					sep := "?"
					if strings.Contains(u, "?") {
						sep = "&"
					}
					r := e.do("GET", u+sep+"include="+inc, nil)
					harvest(r.body)
					if r.status != 200 {
						t.Errorf("GET %s with include=%s: %d %.300s", u, inc, r.status, r.body)
					}
				}
				break
			}
		}
		if !progress {
			break
		}
	}
	var missing []string
	for _, op := range cat.ops {
		if !valid[op.id] {
			reason := why[op.id]
			if reason == "" {
				reason = "no ID of " + op.parent + " was ever seen"
			}
			missing = append(missing, op.id+": "+reason)
		}
	}
	sort.Strings(missing)
	n := len(cat.ops)
	t.Logf("GET operations answering 200 with a body valid against Apple's document: %d of %d (%.1f%%)", len(valid), n, 100*float64(len(valid))/float64(n))
	fmt.Printf("emulator read surface: %d of %d GET operations of Apple's document answer 200 with a valid body (%.1f%%)\n", len(valid), n, 100*float64(len(valid))/float64(n))
	for _, m := range missing {
		t.Errorf("not covered: %s", m)
	}
}

// collectIDs records the type and id of every resource or identifier in a
// decoded document.
func collectIDs(v any, ids map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		typ, ok1 := x["type"].(string)
		id, ok2 := x["id"].(string)
		if ok1 && ok2 && id != "" && len(ids[typ]) < 4 && !contains(ids[typ], id) {
			ids[typ] = append(ids[typ], id)
		}
		for _, e := range x {
			collectIDs(e, ids)
		}
	case []any:
		for _, e := range x {
			collectIDs(e, ids)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func candidatePaths(op *readOp, ids map[string][]string) []string {
	if !strings.Contains(op.path, "{id}") {
		return []string{op.path}
	}
	var out []string
	for _, id := range ids[op.parent] {
		out = append(out, strings.Replace(op.path, "{id}", url.PathEscape(id), 1))
	}
	return out
}

// requiredQuery fills the operation's required parameters: the first value
// of an enumeration, else an ID of the type a filter names.
func requiredQuery(op *readOp, ids map[string][]string) string {
	q := url.Values{}
	for name, p := range op.params {
		if !p.Required {
			continue
		}
		q.Set(name, sampleValue(name, p, op, ids))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func sampleValue(name string, p *apiParameter, op *readOp, ids map[string][]string) string {
	s := p.Schema
	if s.Items != nil {
		s = s.Items
	}
	if len(s.Enum) > 0 {
		return fmt.Sprint(s.Enum[0])
	}
	key := strings.TrimSuffix(strings.TrimPrefix(name, "filter["), "]")
	for _, typ := range []string{key, key + "s", op.parent} {
		if len(ids[typ]) > 0 {
			return ids[typ][0]
		}
	}
	return "1"
}

func allIncludes(op *readOp) string {
	p := op.params["include"]
	if p == nil || p.Schema.Items == nil {
		return ""
	}
	var names []string
	for _, v := range p.Schema.Items.Enum {
		names = append(names, fmt.Sprint(v))
	}
	return strings.Join(names, ",")
}
