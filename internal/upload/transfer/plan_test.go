package transfer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAbsurdPlansAreRefusedBeforeAnyByte: whatever operations the server
// hands out, a plan that cannot describe the file is refused before a single
// request is sent.
func TestAbsurdPlansAreRefusedBeforeAnyByte(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	op := func(n int, off, l int64) Operation {
		return Operation{URL: srv.URL + fmt.Sprintf("/p%d", n), PartNumber: n, Offset: off, Length: l}
	}
	oneByteParts := func(n int) []Operation {
		ops := make([]Operation, n)
		for i := range ops {
			ops[i] = op(i+1, int64(i), 1)
		}
		return ops
	}
	for _, tc := range []struct {
		name string
		size int64
		ops  []Operation
		want string
	}{
		{"more parts than MaxParts", MaxParts + 1, oneByteParts(MaxParts + 1), "transfer.MaxParts"},
		{"more parts than bytes", 3, oneByteParts(4), "at most one per byte"},
		{"offset past the end", 10, []Operation{op(1, 0, 5), op(2, 20, 5)}, "outside the file"},
		{"length past the end", 10, []Operation{op(1, 0, 5), op(2, 5, 50)}, "outside the file"},
		{"length overflows", 10, []Operation{op(1, 0, 5), op(2, 5, math.MaxInt64)}, "outside the file"},
		{"negative offset", 10, []Operation{op(1, -5, 5), op(2, 0, 10)}, "outside the file"},
		{"negative length", 10, []Operation{op(1, 0, -10)}, "outside the file"},
		{"zero length", 10, []Operation{op(1, 0, 10), op(2, 10, 0)}, "length 0"},
		{"overlap", 10, []Operation{op(1, 0, 6), op(2, 4, 6)}, "overlap"},
		{"gap", 10, []Operation{op(1, 0, 4), op(2, 6, 4)}, "gap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Send(context.Background(), strings.NewReader(strings.Repeat("x", int(min(tc.size, 1<<20)))), tc.size, tc.ops, Options{})
			if !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), tc.want) || res.Complete {
				t.Errorf("err = %v; want ErrPlan containing %q", err, tc.want)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d part requests sent for refused plans", n)
	}
}

// FuzzCheckPlan: any operations either tile the file exactly (then every
// byte is sent once) or are refused; never a panic.
func FuzzCheckPlan(f *testing.F) {
	f.Add(int64(10), int64(0), int64(5), int64(5), int64(5), 1, 2)
	f.Add(int64(10), int64(0), int64(10), int64(10), int64(0), 1, 2)
	f.Add(int64(10), int64(0), int64(math.MaxInt64), int64(math.MaxInt64), int64(2), 1, 1)
	f.Fuzz(func(t *testing.T, size, off1, len1, off2, len2 int64, n1, n2 int) {
		ops := []Operation{{URL: "http://x/1", Offset: off1, Length: len1, PartNumber: n1}, {URL: "http://x/2", Offset: off2, Length: len2, PartNumber: n2}}
		if CheckPlan(size, ops) != nil {
			return
		}
		covered := int64(0)
		for _, op := range ops {
			if op.Offset < 0 || op.Length <= 0 || op.Offset+op.Length > size || op.Offset+op.Length < op.Offset {
				t.Fatalf("accepted %+v for size %d", op, size)
			}
			covered += op.Length
		}
		if covered != size {
			t.Fatalf("accepted parts covering %d of %d bytes", covered, size)
		}
	})
}
