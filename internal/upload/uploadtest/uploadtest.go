// Package uploadtest holds what the upload benchmarks share: the baseline a
// part transfer is measured against, a bare parallel PUT of the same parts
// (package transfer's and package upload's benchmarks, and the bench/upload
// program's child process).
package uploadtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// BareClient is the baseline's HTTP client: net/http's default transport,
// keeping parallelism idle connections per host, with a connection write
// buffer of writeBuffer bytes (0 keeps net/http's default).
func BareClient(parallelism, writeBuffer int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = parallelism
	tr.WriteBufferSize = writeBuffer
	return &http.Client{Transport: tr}
}

// BarePUT sends every part of f with a plain parallel loop, parallelism parts
// at a time: a section reader per part and the part's headers, no retries, no
// events. It returns the failed parts' errors (a transport error, or an answer
// other than 200 OK) joined, or nil.
func BarePUT(client *http.Client, f io.ReaderAt, parallelism int, ops []transfer.Operation) error {
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, op := range ops {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := put(client, f, op); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("part %d: %w", op.PartNumber, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func put(client *http.Client, f io.ReaderAt, op transfer.Operation) error {
	req, err := http.NewRequest(op.Method, op.URL, io.NewSectionReader(f, op.Offset, op.Length))
	if err != nil {
		return err
	}
	req.ContentLength = op.Length
	for _, h := range op.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
