package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/contract"
)

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// TestProbeMatchesApplesDocument holds verify's one call to Apple's OpenAPI
// document, as the client's own calls are.
func TestProbeMatchesApplesDocument(t *testing.T) {
	spec := contract.ForTest(t)
	checked := false
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := spec.CheckRequest(r, nil); err != nil {
			t.Error(err)
		}
		checked = true
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":[],"links":{"self":"x"}}`))
	}))
	defer ts.Close()
	c, err := asc.New(ts.URL, staticToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probe(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the probe sent no request")
	}
}
