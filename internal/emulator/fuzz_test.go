package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequest sends arbitrary tokens and JSON bodies to the emulator's
// handler: it must never panic, never accept a token it did not check, and
// always answer with Apple's document shapes.
func FuzzRequest(f *testing.F) {
	clock := newClock()
	key := genKey(f, "FUZZKEY001", false, RoleAdmin)
	store := f.TempDir()
	data := DefaultData(clock.Now())
	valid := key.token(f, clock.Now())

	f.Add("Bearer "+valid, "POST", "/v1/buildUploads", `{"data":{"type":"buildUploads","attributes":{"cfBundleShortVersionString":"1.0","cfBundleVersion":"9","platform":"IOS"},"relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}}`)
	f.Add("Bearer "+valid, "POST", "/v1/buildUploadFiles", `{"data":{"type":"buildUploadFiles","attributes":{"fileName":"a.ipa","fileSize":99999999999,"uti":"com.apple.ipa","assetType":"ASSET"}}}`)
	f.Add("Bearer "+valid, "PATCH", "/v1/buildUploadFiles/x", `{"data":{"type":"buildUploadFiles","id":"x","attributes":{"uploaded":true}}}`)
	f.Add("Bearer "+valid, "GET", "/v1/apps?limit=2&cursor=eyJvZmZzZXQiOiIxIn0", ``)
	f.Add("Bearer eyJhbGciOiJFUzI1NiJ9.e30.", "GET", "/v1/apps", ``)
	f.Add("Bearer "+valid[:len(valid)-4], "GET", "/v1/builds", ``)
	f.Add("", "PUT", "/_emulator/parts/x/1?expires=1&signature=00", `x`)

	f.Fuzz(func(t *testing.T, auth, method, target, body string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		switch method {
		case "GET", "POST", "PATCH", "DELETE", "PUT":
		default:
			return
		}
		req, err := http.NewRequest(method, "http://emulator"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		if auth != "" {
			req.Header.Set("Authorization", strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1
				}
				return r
			}, auth))
		}
		// A server of its own per input: what one input created cannot slow
		// or change the next, and a failing input fails again alone.
		srv := New(Config{Keys: []Key{key.Key}, Now: clock.Now, Data: data, StoreDir: store, PartSize: 1024})
		defer srv.Close()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if strings.HasPrefix(req.URL.Path, partPrefix) {
			return
		}
		if rec.Code == 200 || rec.Code == 201 {
			if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer "+valid) {
				t.Fatalf("accepted a token other than the valid one: %d", rec.Code)
			}
		}
		if rec.Code == 204 {
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%d: body is not JSON: %q", rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			errs, _ := doc["errors"].([]any)
			if len(errs) == 0 {
				t.Fatalf("%d without errors[]: %s", rec.Code, rec.Body.String())
			}
		} else if _, ok := doc["data"]; !ok {
			t.Fatalf("%d without data: %s", rec.Code, rec.Body.String())
		}
	})
}

// FuzzParseData feeds arbitrary JSON to the data loader.
func FuzzParseData(f *testing.F) {
	f.Add(`{"apps":[{"id":"1","bundleId":"a"}],"builds":[{"id":"b","app":"1","version":"1"}]}`)
	f.Add(`{"certificates":[{"id":"c","certificateType":"DISTRIBUTION","expirationDate":"2030-01-01T00:00:00Z"}]}`)
	f.Add(`{"blockers":{"agreement":"legacy","processing":{"outcome":"build-invalid","errors":[{"code":"ITMS-90683","description":"d"}]}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseData([]byte(s))
		if err == nil {
			if err := d.Validate(); err != nil {
				t.Fatalf("parsed data fails validation: %v", err)
			}
		}
	})
}
