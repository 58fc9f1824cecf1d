package asc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewValidatesInputs(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		ts      TokenSource
		opts    []Option
		wantErr string
		wantURL string
	}{
		{name: "default", base: "", ts: plainSource("x"), wantURL: DefaultBaseURL + "/"},
		{name: "prefix", base: "http://127.0.0.1:9/asc", ts: plainSource("x"), wantURL: "http://127.0.0.1:9/asc/"},
		{name: "no scheme", base: "api.appstoreconnect.apple.com", ts: plainSource("x"), wantErr: "api-url"},
		{name: "ftp", base: "ftp://example.com", ts: plainSource("x"), wantErr: "api-url"},
		{name: "query", base: "https://example.com/?a=b", ts: plainSource("x"), wantErr: "query"},
		{name: "no token source", base: "", ts: nil, wantErr: "token source"},
		{name: "bad retry max", ts: plainSource("x"), opts: []Option{WithRetryMax(-1)}, wantErr: "WithRetryMax"},
		{name: "bad wait", ts: plainSource("x"), opts: []Option{WithRetryWait(time.Second, time.Millisecond)}, wantErr: "WithRetryWait"},
		{name: "zero max retry-after", ts: plainSource("x"), opts: []Option{WithMaxRetryAfter(0)}, wantErr: "WithMaxRetryAfter"},
		{name: "nil http client", ts: plainSource("x"), opts: []Option{WithHTTPClient(nil)}, wantErr: "WithHTTPClient"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.base, tc.ts, tc.opts...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v; want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.BaseURL() != tc.wantURL {
				t.Errorf("New = %v, %v; want base %s", c, err, tc.wantURL)
			}
		})
	}
}

func TestRequestsStayUnderPrefixAndCarryHeaders(t *testing.T) {
	var got *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		status(200)(w, r)
	})
	c, _, _ := newTestClient(t, h, plainSource("abc"), WithUserAgent("asc-action/test"))
	if _, _, err := c.GetApp(context.Background(), "a/b?c"); err != nil {
		t.Fatal(err)
	}
	if got.URL.EscapedPath() != "/v1/apps/a%2Fb%3Fc" {
		t.Errorf("path = %q; the ID must be one escaped segment under the prefix", got.URL.EscapedPath())
	}
	if got.Header.Get("Authorization") != "Bearer abc" || got.Header.Get("User-Agent") != "asc-action/test" || got.Header.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", got.Header)
	}
}

func TestPaging(t *testing.T) {
	pages := map[string][]string{"": {"A1", "A2"}, "p2": {"A3", "A4"}, "p3": {"A5"}}
	nextOf := map[string]string{"": "p2", "p2": "p3", "p3": ""}
	var seen []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := r.URL.Query().Get("cursor")
		seen = append(seen, r.URL.RequestURI())
		if cur == "" && r.URL.Query().Get("filter[bundleId]") != "com.example.demo" {
			t.Errorf("first page lost the filter: %s", r.URL.RequestURI())
		}
		var data []any
		for _, id := range pages[cur] {
			data = append(data, map[string]any{"type": "apps", "id": id, "attributes": map[string]any{"bundleId": "com.example.demo"}})
		}
		links := map[string]any{"self": selfURL(r)}
		if n := nextOf[cur]; n != "" {
			// Apple's next links are absolute URLs.
			links["next"] = "http://" + r.Host + prefix + "/v1/apps?cursor=" + n + "&limit=2"
		}
		w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:3500;user-hour-rem:%d;", 3000-len(seen)))
		writeJSON(w, 200, map[string]any{"data": data, "links": links, "meta": map[string]any{"paging": map[string]any{"total": 5, "limit": 2}}})
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	apps, resp, err := c.ListApps(context.Background(), &ListAppsOptions{BundleID: []string{"com.example.demo"}, ListOptions: ListOptions{Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range apps {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "A1,A2,A3,A4,A5" || resp.Pages != 3 || resp.Total != 5 || resp.NextURL != "" {
		t.Errorf("ids = %v, pages = %d, total = %d, next = %q", ids, resp.Pages, resp.Total, resp.NextURL)
	}
	if len(seen) != 3 || c.RateLimit().Remaining != 2997 {
		t.Errorf("requests = %v, rate limit %+v", seen, c.RateLimit())
	}

	// MaxPages stops early and says more is left.
	apps, resp, err = c.ListApps(context.Background(), &ListAppsOptions{BundleID: []string{"com.example.demo"}, ListOptions: ListOptions{Limit: 2, MaxPages: 2}})
	if err != nil || len(apps) != 4 || resp.Pages != 2 || !strings.Contains(resp.NextURL, "cursor=p3") {
		t.Errorf("MaxPages 2: %d apps, pages %d, next %q, err %v", len(apps), resp.Pages, resp.NextURL, err)
	}
}

func TestPagingRefusesForeignHostAndLoops(t *testing.T) {
	t.Run("foreign host", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "apps", "id": "1"}},
				"links": map[string]any{"self": selfURL(r), "next": "https://evil.example.com/v1/apps?cursor=2"}})
		})
		c, _, _ := newTestClient(t, h, plainSource("x"))
		apps, _, err := c.ListApps(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "evil.example.com") || len(apps) != 1 {
			t.Errorf("apps = %v, err = %v; want the first page and a refusal to follow", apps, err)
		}
	})
	t.Run("loop", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "apps", "id": "1"}},
				"links": map[string]any{"self": selfURL(r), "next": "http://" + r.Host + prefix + "/v1/apps?cursor=same"}})
		})
		c, _, _ := newTestClient(t, h, plainSource("x"))
		_, _, err := c.ListApps(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "already read") {
			t.Errorf("err = %v; want a loop error", err)
		}
	})
	t.Run("error on page 2", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("cursor") != "" {
				appleError(w, 403, "FORBIDDEN_ERROR", "forbidden", "no")
				return
			}
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"type": "apps", "id": "1"}},
				"links": map[string]any{"self": selfURL(r), "next": "http://" + r.Host + prefix + "/v1/apps?cursor=2"}})
		})
		c, _, _ := newTestClient(t, h, plainSource("x"))
		_, resp, err := c.ListApps(context.Background(), nil)
		if !errors.Is(err, ErrForbidden) || resp == nil || resp.Pages != 2 {
			t.Errorf("err = %v, resp = %+v", err, resp)
		}
	})
}

func TestRateLimitParsing(t *testing.T) {
	tests := []struct {
		in   string
		want RateLimit
	}{
		{"user-hour-lim:3500;user-hour-rem:500;", RateLimit{3500, 500, true}},
		{"user-hour-lim:3500;user-hour-rem:500", RateLimit{3500, 500, true}},
		{" user-hour-rem: 0 ; user-hour-lim: 3600 ; ", RateLimit{3600, 0, true}},
		{"USER-HOUR-LIM:10;User-Hour-Rem:9;", RateLimit{10, 9, true}},
		{"user-hour-lim:3500;user-hour-rem:500;other-thing:7;", RateLimit{3500, 500, true}},
		{"", RateLimit{}},
		{"user-hour-lim:3500;", RateLimit{}},
		{"user-hour-rem:500;", RateLimit{}},
		{"user-hour-lim:abc;user-hour-rem:500;", RateLimit{}},
		{"user-hour-lim:-1;user-hour-rem:500;", RateLimit{}},
		{"user-hour-lim:3500;user-hour-rem:1.5;", RateLimit{}},
		{"user-hour-lim=3500;user-hour-rem=500;", RateLimit{}},
		{"user-hour-lim:3500;user-hour-rem:500;user-hour-rem:400;", RateLimit{}},
		{"user-hour-lim:99999999999999999999999;user-hour-rem:1;", RateLimit{}},
		{";;;", RateLimit{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ParseRateLimit(tc.in); got != tc.want {
				t.Errorf("ParseRateLimit(%q) = %+v; want %+v", tc.in, got, tc.want)
			}
		})
	}
	if s := (RateLimit{3500, 12, true}).String(); s != "12/3500 left" {
		t.Errorf("String = %q", s)
	}
}

func TestRateLimitEvents(t *testing.T) {
	rem := 200
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rem -= 10
		w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:3500;user-hour-rem:%d;", rem))
		status(200)(w, r)
	})
	ev := &events{}
	c, _, _ := newTestClient(t, h, plainSource("x"), WithEvents(ev.Add))
	for i := 0; i < 5; i++ {
		if _, _, err := c.GetApp(context.Background(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	// 3500/20 = 175: 190 and 180 are above, 170 crosses, 160 and 150 stay low.
	low := ev.of(EventRateLimitLow)
	if len(low) != 1 || low[0].RateLimit.Remaining != 170 {
		t.Errorf("low events = %+v; want one, at 170", low)
	}
	if got := c.RateLimit(); got.Remaining != 150 {
		t.Errorf("RateLimit() = %+v", got)
	}
}

func TestErrorDocuments(t *testing.T) {
	const tok = "eyJhbGciOiJFUzI1NiJ9.secret-token.sig"
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		is        error
		code      string
		body      string // APIError.Body substring
		msg       string // Error() substring
		itemCount int
	}{
		{
			name: "apple 403",
			handler: func(w http.ResponseWriter, r *http.Request) {
				appleError(w, 403, "FORBIDDEN_ERROR.INSUFFICIENT_ROLE", "This request is forbidden for security reasons", "The API key in use does not allow this request")
			},
			is: ErrForbidden, code: "FORBIDDEN_ERROR.INSUFFICIENT_ROLE", msg: "does not allow this request", itemCount: 1,
		},
		{
			name: "several errors with parameter source",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, map[string]any{"errors": []any{
					map[string]any{"status": "400", "code": "PARAMETER_ERROR.INVALID", "title": "A parameter has an invalid value", "detail": "'x' is not a valid filter", "source": map[string]any{"parameter": "filter[x]"}},
					map[string]any{"status": "400", "code": "PARAMETER_ERROR.INVALID", "title": "t", "detail": "d"},
				}})
			},
			code: "PARAMETER_ERROR.INVALID", msg: "in parameter filter[x] (and 1 more)", itemCount: 2,
		},
		{
			name: "numeric status tolerated",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{"status": 409, "code": "ENTITY_ERROR", "title": "t", "detail": "d"}}})
			},
			is: ErrConflict, code: "ENTITY_ERROR", itemCount: 1,
		},
		{
			name: "HTML from a proxy",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				fmt.Fprint(w, "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>")
			},
			is: ErrServer, body: "<h1>502 Bad Gateway</h1>", msg: "502 Bad Gateway",
		},
		{
			name: "empty 404",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(404)
			},
			is: ErrNotFound, msg: "404 Not Found",
		},
		{
			name: "body echoing the token",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(400)
				fmt.Fprintf(w, "bad header: %s", r.Header.Get("Authorization"))
			},
			body: "[token]",
		},
		{
			name: "error document echoing the token",
			handler: func(w http.ResponseWriter, r *http.Request) {
				appleError(w, 401, "NOT_AUTHORIZED", "bad token", "token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" refused")
			},
			is: ErrUnauthorized, code: "NOT_AUTHORIZED", msg: "[token]", itemCount: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, tc.handler, plainSource(tok), WithRetryMax(0))
			_, resp, err := c.GetApp(context.Background(), "1")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v; want *APIError", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			for _, other := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited, ErrServer, ErrAgreementMissing} {
				if other != tc.is && errors.Is(err, other) {
					t.Errorf("err also matches %v", other)
				}
			}
			if ae.Code() != tc.code || len(ae.Errors) != tc.itemCount {
				t.Errorf("code = %q, items = %d", ae.Code(), len(ae.Errors))
			}
			if tc.code != "" && !ae.HasCode(strings.Split(tc.code, ".")[0]) {
				t.Errorf("HasCode(top level of %q) = false", tc.code)
			}
			if !strings.Contains(ae.Body, tc.body) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("body = %q, message = %q", ae.Body, err.Error())
			}
			if strings.Contains(err.Error(), "secret-token") || strings.Contains(ae.Body, "secret-token") || strings.Contains(fmt.Sprintf("%+v", ae.Errors), "secret-token") {
				t.Errorf("the token leaked into the error: %v", err)
			}
			if resp == nil || resp.StatusCode != ae.StatusCode {
				t.Errorf("resp = %v", resp)
			}
		})
	}
}

func TestDecodeErrorOn2xx(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprint(w, `{"data": [1,2,3]}`)
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	_, _, err := c.CreateBuildUpload(context.Background(), "1", "1.0", "1", PlatformIOS)
	var de *DecodeError
	if !errors.As(err, &de) || de.StatusCode != 201 {
		t.Errorf("err = %v; want *DecodeError", err)
	}
}

// A 2xx document without data is a *DecodeError naming the request, for
// reads and writes alike.
func TestNoDataIsADecodeError(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"links": {"self": "x"}}`)
	})
	c, _, _ := newTestClient(t, h, plainSource("x"))
	tests := []struct {
		name, method, path string
		call               func() error
	}{
		{"Get", http.MethodGet, prefix + "/v1/apps/1", func() error {
			_, _, err := Get[App](context.Background(), c, "v1/apps/1")
			return err
		}},
		{"Send", http.MethodPatch, prefix + "/v1/buildUploadFiles/f", func() error {
			_, _, err := Send[BuildUploadFile](context.Background(), c, http.MethodPatch, "v1/buildUploadFiles/f", map[string]any{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var de *DecodeError
			if err := tt.call(); !errors.As(err, &de) || de.Method != tt.method || de.Path != tt.path || de.StatusCode != 200 {
				t.Errorf("err = %v (%+v); want a *DecodeError for %s %s", err, de, tt.method, tt.path)
			}
		})
	}
}

func TestTime(t *testing.T) {
	want := time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC)
	for _, in := range []string{
		`"2027-01-15T10:00:00Z"`, `"2027-01-15T10:00:00.000Z"`, `"2027-01-15T10:00:00.000+0000"`,
		`"2027-01-15T10:00:00+00:00"`, `"2027-01-15T11:00:00.000+01:00"`, `"2027-01-15T02:00:00-0800"`,
	} {
		var tm Time
		if err := json.Unmarshal([]byte(in), &tm); err != nil || !tm.Equal(want) {
			t.Errorf("%s -> %v, %v", in, tm, err)
		}
	}
	var tm Time
	if err := json.Unmarshal([]byte(`null`), &tm); err != nil || !tm.IsZero() {
		t.Errorf("null -> %v, %v", tm, err)
	}
	for _, bad := range []string{`"tomorrow"`, `42`, `"2027-13-45T00:00:00Z"`} {
		if err := json.Unmarshal([]byte(bad), &tm); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	b, _ := json.Marshal(struct {
		T Time `json:"t,omitzero"`
	}{})
	if string(b) != `{}` {
		t.Errorf("zero Time marshals to %s", b)
	}
}

func TestConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	n := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:3500;user-hour-rem:%d;", 3500-i))
		if i%7 == 0 {
			status(503)(w, r)
			return
		}
		status(200)(w, r)
	})
	clock := newFakeClock()
	// Every 7th request fails; a generous retry budget keeps a goroutine
	// from being unlucky on every attempt.
	c, _, _ := newTestClient(t, h, newFakeSource(clock.Now), WithClock(clock.Now), WithRetryMax(30))
	var wg sync.WaitGroup
	errs := make(chan error, 160)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, _, err := c.GetApp(context.Background(), "1"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if rl := c.RateLimit(); !rl.Known || rl.Remaining >= 3500-160 {
		t.Errorf("RateLimit() = %+v after %d requests", rl, n)
	}
}

func TestDoRefusesOtherHosts(t *testing.T) {
	sc := &script{steps: []func(http.ResponseWriter, *http.Request){status(200)}}
	c, _, _ := newTestClient(t, sc, plainSource("x"))
	req, _ := http.NewRequest(http.MethodGet, "https://upload.example.com/part/1", nil)
	if _, err := c.Do(context.Background(), req, nil); err == nil || !strings.Contains(err.Error(), "not the API host") {
		t.Errorf("err = %v; want a refusal", err)
	}
	if _, err := c.NewRequest(http.MethodGet, "https://upload.example.com/part/1", nil); err == nil {
		t.Error("NewRequest accepted a foreign absolute URL")
	}
}
