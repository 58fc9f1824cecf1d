package transfer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
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

func benchOps(url string, size, part int64) []Operation {
	var ops []Operation
	for off, n := int64(0), 1; off < size; off, n = off+part, n+1 {
		ops = append(ops, Operation{Method: "PUT", URL: fmt.Sprintf("%s/p%d", url, n), Offset: off, Length: min(part, size-off), PartNumber: n,
			Headers: []Header{{"Content-Type", "application/octet-stream"}}})
	}
	return ops
}

// benchCase is one measured layout. The last case shows what handing the
// slot on at a part's last byte is worth: 4 slots, so the 32 parts go in 8
// rounds, each followed by a 20 ms wait for the answers.
type benchCase struct {
	part        int64
	parallelism int
	delay       time.Duration
}

var benchCases = []benchCase{
	{8 << 20, DefaultParallelism, 0},
	{64 << 20, DefaultParallelism, 0},
	{8 << 20, 4, 20 * time.Millisecond},
}

func (bc benchCase) name() string {
	if bc.delay == 0 {
		return fmt.Sprintf("part=%dMiB", bc.part>>20)
	}
	return fmt.Sprintf("part=%dMiB/parallel=%d/answer-after=%v", bc.part>>20, bc.parallelism, bc.delay)
}

// BenchmarkSend measures Send's throughput to a loopback sink; compare with
// BenchmarkBarePUT (same bytes, same server, same parallelism):
//
//	go test -run=^$ -bench=. -benchtime=5x ./internal/upload/transfer
func BenchmarkSend(b *testing.B) {
	for _, bc := range benchCases {
		part := bc.part
		b.Run(bc.name(), func(b *testing.B) {
			f, _ := testFile(b, benchSize)
			srv := sink(b, bc.delay)
			ops := benchOps(srv.URL, benchSize, part)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for b.Loop() {
				res, err := Send(context.Background(), f, benchSize, ops, Options{Parallelism: bc.parallelism})
				if err != nil || !res.Complete {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBarePUT is the baseline: a plain parallel PUT of each part with a
// section reader and a default-configured transport, no retries, no events.
func BenchmarkBarePUT(b *testing.B) {
	for _, bc := range benchCases {
		part := bc.part
		b.Run(bc.name(), func(b *testing.B) {
			f, _ := testFile(b, benchSize)
			srv := sink(b, bc.delay)
			ops := benchOps(srv.URL, benchSize, part)
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = bc.parallelism
			client := &http.Client{Transport: tr, Timeout: time.Hour}
			b.SetBytes(benchSize)
			b.ResetTimer()
			for b.Loop() {
				sem := make(chan struct{}, bc.parallelism)
				var wg sync.WaitGroup
				for _, op := range ops {
					sem <- struct{}{}
					wg.Add(1)
					go func() {
						defer func() { <-sem; wg.Done() }()
						req, _ := http.NewRequest(op.Method, op.URL, io.NewSectionReader(f, op.Offset, op.Length))
						req.ContentLength = op.Length
						req.Header.Set("Content-Type", "application/octet-stream")
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}()
				}
				wg.Wait()
			}
		})
	}
}
