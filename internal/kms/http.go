package kms

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/asc-action/asc-action/internal/httpx"
)

// tooLarge is the error of an answer cut at MaxAnswerBytes.
var tooLarge = &httpx.LimitError{What: "an answer from the KMS or its credentials' endpoint", Name: "kms.MaxAnswerBytes", Limit: MaxAnswerBytes}

// newHTTPClient returns the client of an HTTP-based provider (AWS, Azure and
// its credentials, Vault): the project's dial, TLS and response-header
// timeouts (internal/httpx) and every answer capped at MaxAnswerBytes. The
// whole of each call is bounded by Timeout through its context.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: capTransport(httpx.NewTransport(httpx.APIHeaderTimeout))}
}

// capTransport caps every answer's body read through rt at MaxAnswerBytes.
func capTransport(rt http.RoundTripper) http.RoundTripper { return capped{rt} }

type capped struct{ base http.RoundTripper }

func (c capped) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxAnswerBytes}
	return resp, nil
}

// cappedBody reads at most MaxAnswerBytes, then fails with tooLarge rather
// than read on.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, tooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, tooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// isTooLarge reports an answer cut at MaxAnswerBytes, also when an SDK kept
// only the error's text.
func isTooLarge(err error) bool {
	var le *httpx.LimitError
	return errors.As(err, &le) || strings.Contains(err.Error(), tooLarge.Name)
}

// isTimeout reports a network wait that ran out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || httpx.IsHeaderTimeout(err)
}
