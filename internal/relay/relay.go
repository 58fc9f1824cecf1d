// Package relay turns App Store Connect webhook deliveries into GitHub
// repository_dispatch events. Its HTTP handler checks each delivery's
// x-apple-signature over the raw body before it reads anything in it,
// answers pings, and answers 2xx only once GitHub accepted the dispatch
// (5xx when GitHub failed, so Apple's retries and redeliveries cover an
// outage). It keeps no state: any number of instances can serve behind a
// load balancer.
//
// The verifier follows Apple's article on its own; it shares no code with
// the emulator's signer (internal/archtest holds that).
package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/asc-action/asc-action/internal/httpx"
)

// MaxBody bounds a delivery's body. Apple's notifications are well under a
// kilobyte; a larger body is refused (413) without being read further.
const MaxBody = 64 << 10

// DispatchTimeout bounds the call to GitHub, well inside the time Apple
// waits for an answer.
const DispatchTimeout = 15 * time.Second

// Dispatcher sends one repository_dispatch event.
type Dispatcher interface {
	Dispatch(ctx context.Context, eventType string, payload map[string]any) error
}

// Config configures a Handler.
type Config struct {
	// Secrets are the webhook secrets a signature may be made with: the
	// current one, and the previous one while a rotation is under way.
	Secrets [][]byte
	// Dispatcher receives each verified, non-ping notification.
	Dispatcher Dispatcher
	// Logf receives one line per delivery (never a secret or signature).
	Logf func(format string, args ...any)
}

// Handler is the relay's http.Handler.
type Handler struct{ cfg Config }

// New returns the handler; it refuses a configuration without a secret or
// a dispatcher.
func New(cfg Config) (*Handler, error) {
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("relay: no webhook secret")
	}
	for _, s := range cfg.Secrets {
		if len(s) == 0 {
			return nil, errors.New("relay: an empty webhook secret")
		}
	}
	if cfg.Dispatcher == nil {
		return nil, errors.New("relay: no dispatcher")
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Handler{cfg: cfg}, nil
}

// HealthPath answers GET with 200, for load balancers and platforms'
// health checks; every other path takes deliveries.
const HealthPath = "/healthz"

// ServeHTTP takes one delivery: bounded read, signature, parse, dispatch.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.answer(w, http.StatusMethodNotAllowed, "refused: method %s", r.Method)
		return
	}
	body, err := httpx.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody), MaxBody, "delivery", "body")
	if err != nil {
		var tooLarge *http.MaxBytesError
		var overLimit *httpx.LimitError
		if errors.As(err, &tooLarge) || errors.As(err, &overLimit) {
			h.answer(w, http.StatusRequestEntityTooLarge, "refused: body over %d bytes", MaxBody)
			return
		}
		h.answer(w, http.StatusBadRequest, "refused: body unreadable")
		return
	}
	if err := Verify(h.cfg.Secrets, body, r.Header.Get(SignatureHeader)); err != nil {
		h.answer(w, http.StatusUnauthorized, "refused: %v", err)
		return
	}
	n, err := Parse(body)
	if err != nil {
		h.answer(w, http.StatusBadRequest, "signed but refused: %v", err)
		return
	}
	if n.IsPing() {
		h.answer(w, http.StatusOK, "ping %s answered", n.Data.ID)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), DispatchTimeout)
	defer cancel()
	typ := n.DispatchType()
	if err := h.cfg.Dispatcher.Dispatch(ctx, typ, n.ClientPayload()); err != nil {
		h.answer(w, http.StatusBadGateway, "notification %s (%s): dispatch %s failed: %v", n.Data.ID, n.AppleEventType(), typ, err)
		return
	}
	h.answer(w, http.StatusOK, "notification %s (%s): dispatched %s", n.Data.ID, n.AppleEventType(), typ)
}

// answer writes the status, an empty body, and the delivery's log line.
func (h *Handler) answer(w http.ResponseWriter, status int, format string, args ...any) {
	w.WriteHeader(status)
	h.cfg.Logf("relay: %s -> %d", fmt.Sprintf(format, args...), status)
}
