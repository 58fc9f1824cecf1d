package uploadtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/asc-action/asc-action/internal/upload/transfer"
)

func TestBarePUTSendsEachPartOnce(t *testing.T) {
	file := []byte("0123456789abcdefghij")
	var mu sync.Mutex
	got := map[string]string{} // path -> body, Content-Type
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = string(b) + " " + r.Header.Get("Content-Type")
		mu.Unlock()
		if r.URL.Path == "/p3" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	ct := []transfer.Header{{Name: "Content-Type", Value: "application/octet-stream"}}
	ops := []transfer.Operation{
		{Method: http.MethodPut, URL: srv.URL + "/p1", Offset: 0, Length: 8, PartNumber: 1, Headers: ct},
		{Method: http.MethodPut, URL: srv.URL + "/p2", Offset: 8, Length: 8, PartNumber: 2, Headers: ct},
		{Method: http.MethodPut, URL: srv.URL + "/p3", Offset: 16, Length: 4, PartNumber: 3, Headers: ct},
	}
	err := BarePUT(BareClient(2, 0), bytes.NewReader(file), 2, ops)
	if err == nil || err.Error() != "part 3: status 500 Internal Server Error" {
		t.Errorf("err = %v; want part 3's 500 alone", err)
	}
	want := map[string]string{"/p1": "01234567 application/octet-stream", "/p2": "89abcdef application/octet-stream", "/p3": "ghij application/octet-stream"}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s received %q, want %q", path, got[path], w)
		}
	}
}
