package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The deliveries, pings and redelivery endpoints of the webhooks.

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, _ *Key) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			writeParamError(w, "PARAMETER_ERROR.INVALID", "limit", "The value '"+v+"' is not a valid limit: use 1 to 200.")
			return
		}
		limit = n
	}
	var states []string
	if v := q.Get("filter[deliveryState]"); v != "" {
		states = strings.Split(v, ",")
	}
	withEvents := slices.Contains(strings.Split(q.Get("include"), ","), "event")
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if s.hook(w, id) == nil {
		return
	}
	linkages := strings.HasSuffix(r.URL.Path, "/relationships/deliveries")
	data, included := []any{}, []any{}
	for i := len(s.hooks.deliveries) - 1; i >= 0 && len(data) < limit; i-- { // newest first
		d := s.hooks.deliveries[i]
		if d.hookID != id || (states != nil && !slices.Contains(states, d.state)) {
			continue
		}
		if linkages {
			data = append(data, linkage{Type: "webhookDeliveries", ID: d.id})
			continue
		}
		data = append(data, renderDelivery(r, d))
		if withEvents {
			included = append(included, renderEvent(r, d.event))
		}
	}
	writeJSON(w, http.StatusOK, document{Data: data, Included: included, Links: docLinks{Self: baseURL(r) + r.URL.Path},
		Meta: &pageMeta{Paging: paging{Total: len(data), Limit: limit}}})
}

func renderDelivery(r *http.Request, d *webhookDelivery) resource {
	attrs := map[string]any{"createdDate": appleTime(d.created), "deliveryState": d.state, "redelivery": d.redelivery,
		"request": map[string]any{"url": d.url}}
	if !d.sent.IsZero() {
		attrs["sentDate"] = appleTime(d.sent)
	}
	if d.status != 0 {
		attrs["response"] = map[string]any{"httpStatusCode": d.status, "body": d.body}
	}
	if d.errMessage != "" {
		attrs["errorMessage"] = d.errMessage
	}
	return resource{Type: "webhookDeliveries", ID: d.id, Attributes: attrs,
		Relationships: map[string]relationship{"event": {Data: &linkage{Type: "webhookEvents", ID: d.event.id}}},
		Links:         &resourceLinks{Self: baseURL(r) + "/v1/webhookDeliveries/" + d.id}}
}

func renderEvent(r *http.Request, ev *webhookEvent) resource {
	attrs := map[string]any{"payload": string(ev.payload), "ping": ev.ping, "createdDate": appleTime(ev.created)}
	if ev.eventType != "" {
		attrs["eventType"] = ev.eventType
	}
	return resource{Type: "webhookEvents", ID: ev.id, Attributes: attrs, Links: &resourceLinks{Self: baseURL(r) + "/v1/webhookEvents/" + ev.id}}
}

type pingRels struct {
	Webhook toOne `json:"webhook"`
}

// createWebhookPing sends a test notification (webhookPingCreated) to the
// webhook at once.
func (s *Server) createWebhookPing(w http.ResponseWriter, r *http.Request, _ *Key) {
	c, ok := readCreated[struct{}, pingRels](w, r, "webhookPings")
	if !ok {
		return
	}
	l := c.Data.Relationships.Webhook.Data
	if l == nil || l.Type != "webhooks" {
		writeInvalidRelationship(w, http.StatusUnprocessableEntity, "A webhooks relationship is required.", "/data/relationships/webhook")
		return
	}
	s.mu.Lock()
	h := s.hook(w, l.ID)
	if h == nil {
		s.mu.Unlock()
		return
	}
	now := s.now()
	s.primeWebhooks()
	ev := s.newEvent(now, "", map[string]any{"type": "webhookPingCreated", "attributes": map[string]any{"timestamp": appleTime(now)}})
	ev.ping = true
	s.queue(h, ev, now, false)
	s.sendDue(now)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, document{Data: resource{Type: "webhookPings", ID: ev.id,
		Links: &resourceLinks{Self: baseURL(r) + "/v1/webhookPings/" + ev.id}}, Links: docLinks{Self: baseURL(r) + r.URL.Path}})
}

type redeliverRels struct {
	Template toOne `json:"template"`
}

// redeliver sends the event of a delivery again, as a new delivery marked
// redelivery, to the webhook's current URL.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, _ *Key) {
	c, ok := readCreated[struct{}, redeliverRels](w, r, "webhookDeliveries")
	if !ok {
		return
	}
	l := c.Data.Relationships.Template.Data
	if l == nil || l.Type != "webhookDeliveries" {
		writeInvalidRelationship(w, http.StatusUnprocessableEntity, "A template relationship naming a webhookDeliveries resource is required.", "/data/relationships/template")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.hooks.deliveries, func(d *webhookDelivery) bool { return d.id == l.ID })
	if i < 0 {
		writeNotFound(w, "webhookDeliveries", l.ID)
		return
	}
	tmpl := s.hooks.deliveries[i]
	var h *webhook
	for _, x := range s.hooks.hooks {
		if x.id == tmpl.hookID {
			h = x
		}
	}
	if h == nil {
		writeNotFound(w, "webhooks", tmpl.hookID)
		return
	}
	now := s.now()
	d := s.queue(h, tmpl.event, now, true)
	s.sendDue(now)
	writeJSON(w, http.StatusCreated, document{Data: renderDelivery(r, d), Links: docLinks{Self: baseURL(r) + r.URL.Path}})
}
