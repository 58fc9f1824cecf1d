package asc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/asc-action/asc-action/internal/httpx"
)

// FuzzParseErrorDocument feeds untrusted bodies to the error-document parser:
// it must not panic, and what it accepts must survive a round trip.
func FuzzParseErrorDocument(f *testing.F) {
	for _, s := range []string{
		`{"errors":[{"id":"x","status":"409","code":"ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE","title":"dup","detail":"d","source":{"pointer":"/data/attributes/cfBundleVersion"}}]}`,
		`{"errors":[{"status":401,"code":"NOT_AUTHORIZED","title":"t","detail":"d"}]}`,
		`{"errors":[]}`,
		`{"errors":null}`,
		`{"errors":[{"source":{"parameter":"filter[x]"}}]}`,
		`<html>502</html>`,
		``,
		`{"errors":[1]}`,
		`{"errors":[{"status":1e400}]}`,
		`{"errors":[{"id":"5d6c","status":"403","code":"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED","title":"A required agreement is missing or has expired.","detail":"This request requires an in-effect agreement that has not been signed or has expired."}]}`,
		`{"errors":[{"status":"403","code":"FORBIDDEN","title":"Access Unavailable","detail":"the Account Holder must agree to the latest Program License Agreement"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, ok := ParseErrorDocument(body)
		if !ok {
			if items != nil {
				t.Fatalf("not a document, yet items = %v", items)
			}
			return
		}
		again, err := json.Marshal(ErrorDocument{Errors: items})
		if err != nil {
			t.Fatal(err)
		}
		items2, ok := ParseErrorDocument(again)
		if !ok || !reflect.DeepEqual(items, items2) {
			t.Fatalf("round trip changed %+v into %+v (%v)", items, items2, ok)
		}
		e := &APIError{StatusCode: 400, Errors: items}
		_ = e.Error()
		_ = e.HasCode("ENTITY_ERROR")
		if e.AgreementMissing() {
			t.Fatal("a 400 read as a missing agreement")
		}
		e.StatusCode = 403
		if e.AgreementMissing() && !e.HasCode("FORBIDDEN") {
			t.Fatalf("a missing agreement without a FORBIDDEN code: %+v", items)
		}
	})
}

// FuzzParseRateLimit: no panic; a Known result renders and parses back the same.
func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{
		"user-hour-lim:3500;user-hour-rem:500;", "user-hour-lim:3500;", ";;", "user-hour-lim:-1;user-hour-rem:2;",
		"user-hour-lim:1;user-hour-rem:2;x:y;", "a:b:c;user-hour-rem:1;user-hour-lim:2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rl := ParseRateLimit(v)
		if !rl.Known {
			if rl != (RateLimit{}) {
				t.Fatalf("unknown but not zero: %+v", rl)
			}
			return
		}
		if rl.Limit < 0 || rl.Remaining < 0 {
			t.Fatalf("negative values from %q: %+v", v, rl)
		}
		back := ParseRateLimit(fmt.Sprintf("user-hour-lim:%d;user-hour-rem:%d;", rl.Limit, rl.Remaining))
		if back != rl {
			t.Fatalf("%+v renders and parses back as %+v", rl, back)
		}
	})
}

// FuzzTime: Apple's date-times never panic the decoder.
func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2027-01-15T10:00:00.000+0000"`, `"2027-01-15T10:00:00Z"`, `null`, `"x"`, `7`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tm Time
		if err := json.Unmarshal(b, &tm); err == nil && !tm.IsZero() {
			if _, err := json.Marshal(tm); err != nil {
				t.Fatalf("%s decoded but does not encode: %v", b, err)
			}
		}
	})
}

// FuzzDocument feeds untrusted JSON:API documents to the decoders the client
// uses (a page of each resource it lists, the paging facts): no panic, and a
// links.next the client would follow never leaves the API's origin.
func FuzzDocument(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"a.b"}}],"links":{"next":"https://api.appstoreconnect.apple.com/v1/apps?cursor=2"},"meta":{"paging":{"total":3}}}`,
		`{"data":[{"type":"profiles","id":"1","attributes":{"name":"p","expirationDate":"2026-01-02T03:04:05.000+0000"}}],"links":{"next":"https://evil.example.com/v1/profiles"}}`,
		`{"data":[{"type":"buildUploadFiles","id":"f","attributes":{"fileSize":10,"uploadOperations":[{"method":"PUT","url":"https://s/x","offset":0,"length":10,"partNumber":1}]}}]}`,
		`{"data":[{"type":"certificates","id":"c","attributes":{"expirationDate":"2026-13-40"}}],"links":{"next":"//api.appstoreconnect.apple.com:444/v1/x"}}`,
		`{"data":null,"links":{"next":"http://api.appstoreconnect.apple.com/v1/apps"}}`,
		`{"data":[{"attributes":{"state":{"errors":[{"code":"X","description":"::add-mask::x"}]}}}]}`,
		`[]`, ``,
	} {
		f.Add([]byte(s))
	}
	c, err := New("", plainSource("x"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var (
			apps    page[App]
			builds  page[Build]
			profs   page[Profile]
			certs   page[Certificate]
			uploads page[BuildUpload]
			files   page[BuildUploadFile]
		)
		for _, v := range []any{&apps, &builds, &profs, &certs, &uploads, &files} {
			_ = json.Unmarshal(body, v)
		}
		r := c.newResponse(&http.Response{StatusCode: 200, Header: http.Header{}}, body, 1)
		for _, next := range []string{r.NextURL, apps.Links.Next, profs.Links.Next} {
			if next == "" {
				continue
			}
			req, err := c.NewRequest(http.MethodGet, next, nil)
			if err == nil && !httpx.SameOrigin(req.URL, c.baseURL) {
				t.Fatalf("links.next %q would be followed to %s", next, req.URL.Host)
			}
		}
	})
}
