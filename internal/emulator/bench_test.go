package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/asc-action/asc-action/internal/openapi"
)

// BenchmarkPartPut measures how fast the emulator takes part bytes on
// loopback: parallel PUTs of 8 MiB parts written at their offsets on disk.
func BenchmarkPartPut(b *testing.B) {
	const partSize, parts = 8 << 20, 32
	clock := newClock()
	key := genKey(b, "BENCHKEY01", false, RoleAdmin)
	// Served bare: the contract checker would hold each part in memory.
	srv := New(Config{Keys: []Key{key.Key}, Now: clock.Now, Data: DefaultData(clock.Now()), PartSize: partSize, StoreDir: b.TempDir()})
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { hs.Close(); srv.Close() })
	e := &env{t: b, srv: srv, hs: hs, clock: clock, key: key}
	id := e.createUpload("900")
	_, ops := e.createFile(id, partSize*parts)
	data := bytes.Repeat([]byte{0xa5}, partSize)
	var next atomic.Int64
	b.SetBytes(partSize)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			op := ops[int(next.Add(1))%parts]
			req, _ := http.NewRequest("PUT", op.URL, bytes.NewReader(data[:op.Length]))
			for k, v := range op.Headers {
				req.Header.Set(k, v)
			}
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatal(fmt.Sprint("status ", res.StatusCode))
			}
		}
	})
}

// BenchmarkCatalog measures what every start of the emulator pays to read
// Apple's embedded OpenAPI document into the catalog of operations and
// resource types (decompression is done once per process, before).
func BenchmarkCatalog(b *testing.B) {
	doc, err := openapi.JSON()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, err := parseAPIDoc(doc)
		if err != nil {
			b.Fatal(err)
		}
		if c := buildCatalog(d); len(c.ops) == 0 {
			b.Fatal("no operations")
		}
	}
}

// BenchmarkGenericList measures one generic read: a page of builds with
// their app, groups and pre-release version included.
func BenchmarkGenericList(b *testing.B) {
	data, err := LoadData("testdata/account.json")
	if err != nil {
		b.Fatal(err)
	}
	e, tok := bareEnv(b, data)
	for b.Loop() {
		if r := e.do("GET", "/v1/builds?include=app,betaGroups,preReleaseVersion&limit=50", nil, tok); r.status != 200 {
			b.Fatal(r.status)
		}
	}
}

// bareEnv serves data to a benchmark without the contract checker, whose
// cost is not the emulator's, and returns a token of an admin key.
func bareEnv(b *testing.B, data *Data) (*env, string) {
	b.Helper()
	clock := newClock()
	key := genKey(b, "BENCHKEY02", false, RoleAdmin)
	srv := New(Config{Keys: []Key{key.Key}, Now: clock.Now, Data: data, StoreDir: b.TempDir()})
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { hs.Close(); srv.Close() })
	return &env{t: b, srv: srv, hs: hs, clock: clock, key: key}, key.token(b, clock.Now())
}
