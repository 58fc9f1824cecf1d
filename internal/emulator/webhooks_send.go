package emulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The emulator's webhook sender: each change of a watched resource (a
// build upload's state, a build's external beta state after a beta review
// decision) becomes one event, sent to every enabled webhook of the app
// that lists its type, signed as Apple's article describes
// (x-apple-signature: hmacsha256=<hex HMAC-SHA256 of the body under the
// webhook's secret>), retried after a failure and recorded as a delivery.
// This signer shares no code with the relay's verifier.

// WebhookTick is how often a server with webhooks looks for changes by
// itself, so that deliveries go out while nobody polls.
const WebhookTick = 250 * time.Millisecond

// webhookTimeout bounds one attempt, as Apple bounds its wait.
const webhookTimeout = 10 * time.Second

// signatureHeader carries the signature (Apple's article).
const signatureHeader = "x-apple-signature"

func validHookURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// primeWebhooks records the current state of every watched resource
// without sending anything, so that only later changes are sent, and starts
// the ticker. The caller holds s.mu.
func (s *Server) primeWebhooks() {
	if s.hooks.seen == nil {
		s.hooks.seen = map[string]string{}
		s.hooks.events = map[string]*webhookEvent{}
		for k, v := range s.watched() {
			s.hooks.seen[k] = v.state
		}
	}
	if !s.hooks.ticking {
		s.hooks.ticking, s.hooks.stop = true, make(chan struct{})
		s.work.Add(1)
		go s.tickWebhooks(s.hooks.stop)
	}
}

func (s *Server) tickWebhooks(stop chan struct{}) {
	defer s.work.Done()
	t := time.NewTicker(WebhookTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.advance()
		}
	}
}

// stopWebhooks ends the ticker (Close).
func (s *Server) stopWebhooks() {
	s.mu.Lock()
	if s.hooks.ticking {
		close(s.hooks.stop)
		s.hooks.ticking = false
	}
	s.waitDeliveries()
	s.mu.Unlock()
}

// waitDeliveries waits until no attempt is under way. The caller holds s.mu.
func (s *Server) waitDeliveries() {
	for s.hooks.inFlight > 0 {
		s.hooks.idle.Wait()
	}
}

// Tick applies the clock's progress now (state changes, webhook events,
// due retries) and waits for the deliveries it started: what a request
// would do, for tests and benchmarks that move an injected clock.
func (s *Server) Tick() {
	s.advance()
	s.mu.Lock()
	s.waitDeliveries()
	s.mu.Unlock()
}

// watchedState is one watched resource's state and what an event about it
// names.
type watchedState struct {
	appID, state, initial  string
	eventType, payloadType string
	instanceType, id       string
}

// watched returns every watched resource by "type/id". The caller holds s.mu.
func (s *Server) watched() map[string]watchedState {
	out := map[string]watchedState{}
	for id, u := range s.uploads {
		out["buildUploads/"+id] = watchedState{appID: u.appID, state: u.state, initial: "AWAITING_UPLOAD",
			eventType: "BUILD_UPLOAD_STATE_UPDATED", payloadType: "buildUploadStateUpdated", instanceType: "buildUploads", id: id}
	}
	external := map[string]string{"WAITING_FOR_REVIEW": "WAITING_FOR_BETA_REVIEW", "IN_REVIEW": "IN_BETA_REVIEW",
		"APPROVED": "BETA_APPROVED", "REJECTED": "BETA_REJECTED"}
	for _, sub := range s.data.BetaAppReviewSubmissions {
		i := indexOf(s.data.Builds, sub.Build)
		if i < 0 {
			continue
		}
		out["buildBetaDetails/"+sub.Build] = watchedState{appID: s.data.Builds[i].App, state: external[sub.State], initial: "READY_FOR_BETA_SUBMISSION",
			eventType: "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED", payloadType: "buildBetaDetailExternalBuildStateUpdated",
			instanceType: "buildBetaDetails", id: sub.Build}
	}
	return out
}

// webhooksAdvanced turns the changes since the last look into events and
// deliveries, and sends what is due. advance calls it holding s.mu.
func (s *Server) webhooksAdvanced(now time.Time) {
	if s.hooks.seen == nil {
		return // no webhook was ever configured
	}
	for key, cur := range s.watched() {
		old, known := s.hooks.seen[key]
		if !known {
			old = cur.initial
		}
		s.hooks.seen[key] = cur.state
		if old == cur.state || cur.state == "" {
			continue
		}
		ev := s.newEvent(now, cur.eventType, map[string]any{"type": cur.payloadType,
			"attributes":    map[string]any{"oldState": old, "newState": cur.state, "timestamp": appleTime(now)},
			"relationships": map[string]any{"instance": map[string]any{"data": linkage{Type: cur.instanceType, ID: cur.id}}}})
		for _, h := range s.hooks.hooks {
			if h.enabled && h.appID == cur.appID && slices.Contains(h.eventTypes, cur.eventType) {
				s.queue(h, ev, now, false)
			}
		}
	}
	s.sendDue(now)
}

// newEvent records an event whose payload is Apple's notification:
// {"data": {"type", "id", "version": 1, "attributes", "relationships"}}.
func (s *Server) newEvent(now time.Time, eventType string, data map[string]any) *webhookEvent {
	ev := &webhookEvent{id: newUUID(), eventType: eventType, created: now}
	data["id"], data["version"] = ev.id, 1
	ev.payload, _ = json.Marshal(map[string]any{"data": data})
	s.hooks.events[ev.id] = ev
	return ev
}

// queue records a delivery of ev to h, due now. The caller holds s.mu.
func (s *Server) queue(h *webhook, ev *webhookEvent, now time.Time, redelivery bool) *webhookDelivery {
	d := &webhookDelivery{id: newUUID(), hookID: h.id, event: ev, state: "PENDING", created: now, next: now, redelivery: redelivery, url: h.url}
	s.hooks.deliveries = append(s.hooks.deliveries, d)
	return d
}

// sendDue starts an attempt of each pending delivery that is due. The
// caller holds s.mu.
func (s *Server) sendDue(now time.Time) {
	if s.hooks.client == nil {
		s.hooks.client = &http.Client{Timeout: webhookTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for _, d := range s.hooks.deliveries {
		if d.state != "PENDING" || d.inFlight || now.Before(d.next) {
			continue
		}
		var secret string
		for _, h := range s.hooks.hooks {
			if h.id == d.hookID {
				secret, d.url = h.secret, h.url
			}
		}
		if s.hooks.idle == nil {
			s.hooks.idle = sync.NewCond(&s.mu)
		}
		d.inFlight = true
		s.hooks.inFlight++
		go s.attempt(d, d.url, secret, d.event.payload)
	}
}

// sign is the signature App Store Connect puts in x-apple-signature.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
}

// attempt POSTs one delivery and records the outcome.
func (s *Server) attempt(d *webhookDelivery, target, secret string, body []byte) {
	status, answer, errMsg := 0, "", ""
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(signatureHeader, sign(secret, body))
		var res *http.Response
		if res, err = s.hooks.client.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
			res.Body.Close()
			status, answer = res.StatusCode, string(b)
		}
	}
	if err != nil {
		errMsg = "The webhook endpoint could not be reached: " + strings.ReplaceAll(err.Error(), secret, "")
	} else if status < 200 || status > 299 {
		errMsg = "The webhook endpoint answered HTTP " + http.StatusText(status)
	}
	s.record(d, status, answer, errMsg)
}

// record ends an attempt: SUCCEEDED, another attempt later, or FAILED.
func (s *Server) record(d *webhookDelivery, status int, answer, errMsg string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.inFlight--
	s.hooks.idle.Broadcast()
	d.inFlight, d.attempts, d.sent, d.status, d.body, d.errMessage = false, d.attempts+1, now, status, answer, errMsg
	retries := s.hooks.retries
	if !s.hooks.retrySet {
		retries = DefaultWebhookRetries
	}
	switch {
	case errMsg == "":
		d.state = "SUCCEEDED"
	case d.attempts > len(retries):
		d.state = "FAILED"
	default:
		d.next = now.Add(retries[d.attempts-1])
	}
	s.logf("emulator: webhook delivery %s attempt %d -> %d %s", d.id, d.attempts, status, d.state)
}
