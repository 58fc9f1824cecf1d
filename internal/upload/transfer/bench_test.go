package transfer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/upload/transfer"
	"github.com/asc-action/asc-action/internal/upload/uploadtest"
)

// sink is a storage host that reads and discards every part, then answers
// after answerDelay (a storage host's own work and the answer's way back).
func sink(b *testing.B, answerDelay time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(answerDelay)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

const benchSize = 256 << 20

// benchCase is one measured layout. The last case shows what handing the
// slot on at a part's last byte is worth: 4 slots, so the 32 parts go in 8
// rounds, each followed by a 20 ms wait for the answers.
type benchCase struct {
	part        int64
	parallelism int
	delay       time.Duration
}

var benchCases = []benchCase{
	{8 << 20, transfer.DefaultParallelism, 0},
	{64 << 20, transfer.DefaultParallelism, 0},
	{8 << 20, 4, 20 * time.Millisecond},
}

func (bc benchCase) name() string {
	if bc.delay == 0 {
		return fmt.Sprintf("part=%dMiB", bc.part>>20)
	}
	return fmt.Sprintf("part=%dMiB/parallel=%d/answer-after=%v", bc.part>>20, bc.parallelism, bc.delay)
}

// eachCase runs send as a sub-benchmark per layout, with a file of benchSize
// bytes and its parts laid out on a sink.
func eachCase(b *testing.B, send func(b *testing.B, bc benchCase, f *os.File, ops []transfer.Operation)) {
	for _, bc := range benchCases {
		b.Run(bc.name(), func(b *testing.B) {
			f, _ := transfer.TestFile(b, benchSize)
			ops := transfer.BenchOps(sink(b, bc.delay).URL, benchSize, bc.part)
			b.SetBytes(benchSize)
			send(b, bc, f, ops)
		})
	}
}

// BenchmarkSend measures Send's throughput to a loopback sink; compare with
// BenchmarkBarePUT (same bytes, same server, same parallelism):
//
//	go test -run=^$ -bench=. -benchtime=5x ./internal/upload/transfer
func BenchmarkSend(b *testing.B) {
	eachCase(b, func(b *testing.B, bc benchCase, f *os.File, ops []transfer.Operation) {
		for b.Loop() {
			res, err := transfer.Send(context.Background(), f, benchSize, ops, transfer.Options{Parallelism: bc.parallelism})
			if err != nil || !res.Complete {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBarePUT is the baseline: a plain parallel PUT of each part with a
// section reader and a default-configured transport, no retries, no events
// (uploadtest.BarePUT).
func BenchmarkBarePUT(b *testing.B) {
	eachCase(b, func(b *testing.B, bc benchCase, f *os.File, ops []transfer.Operation) {
		client := uploadtest.BareClient(bc.parallelism, 0)
		for b.Loop() {
			if err := uploadtest.BarePUT(client, f, bc.parallelism, ops); err != nil {
				b.Error(err)
			}
		}
	})
}
