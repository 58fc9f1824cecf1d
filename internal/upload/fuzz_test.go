package upload

import (
	"encoding/json"
	"testing"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// FuzzUploadOperations feeds untrusted buildUploadFiles documents through
// the path their operations take before any byte is sent (decode, convert,
// check the plan): no panic, and an accepted plan covers the file exactly,
// each part inside it.
func FuzzUploadOperations(f *testing.F) {
	f.Add([]byte(`{"data":{"type":"buildUploadFiles","id":"f","attributes":{"fileSize":10,"uploadOperations":[{"method":"PUT","url":"https://s/1","offset":0,"length":6,"partNumber":1},{"method":"PUT","url":"https://s/2","offset":6,"length":4,"partNumber":2,"requestHeaders":[{"name":"Content-Type","value":"application/octet-stream"}]}]}}}`), int64(10))
	f.Add([]byte(`{"data":{"attributes":{"uploadOperations":[{"url":"https://s/1","offset":9223372036854775807,"length":9223372036854775807}]}}}`), int64(10))
	f.Add([]byte(`{"data":{"attributes":{"uploadOperations":[{"url":"https://s/1","offset":0,"length":1},{"url":"https://s/1","offset":0,"length":1}]}}}`), int64(1))
	f.Add([]byte(`{"data":{"attributes":{"uploadOperations":[{"url":"https://s/1","offset":-1,"length":2,"expiration":"x"}]}}}`), int64(1))
	f.Fuzz(func(t *testing.T, body []byte, size int64) {
		var doc struct {
			Data *asc.BuildUploadFile `json:"data"`
		}
		if json.Unmarshal(body, &doc) != nil || doc.Data == nil {
			return
		}
		ops := convertOps(doc.Data.Attributes.UploadOperations)
		if transfer.CheckPlan(size, ops) != nil {
			return
		}
		var covered int64
		for _, op := range ops {
			if op.Offset < 0 || op.Length <= 0 || op.Length > size-op.Offset || op.URL == "" {
				t.Fatalf("accepted %+v for a file of %d bytes", op, size)
			}
			covered += op.Length
		}
		if covered != size || len(ops) > transfer.MaxParts {
			t.Fatalf("accepted %d parts covering %d of %d bytes", len(ops), covered, size)
		}
	})
}
