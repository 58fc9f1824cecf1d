package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The emulator's webhooks (App Store Connect API 4.0 and later): webhook
// configurations of an app (/v1/webhooks, /v1/apps/{id}/webhooks), their
// deliveries (/v1/webhooks/{id}/deliveries), pings (/v1/webhookPings) and
// redelivery (/v1/webhookDeliveries). The sender is webhooks_send.go.

// webhookEventTypes are the event types Apple's document lists
// (WebhookEventType); the emulator sends the build upload and beta review
// ones and accepts every one in a configuration.
var webhookEventTypes = set("ALTERNATIVE_DISTRIBUTION_PACKAGE_AVAILABLE_UPDATED", "ALTERNATIVE_DISTRIBUTION_PACKAGE_VERSION_CREATED",
	"ALTERNATIVE_DISTRIBUTION_TERRITORY_AVAILABILITY_UPDATED", "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED",
	"BACKGROUND_ASSET_VERSION_APP_STORE_RELEASE_STATE_UPDATED", "BACKGROUND_ASSET_VERSION_EXTERNAL_BETA_RELEASE_STATE_UPDATED",
	"BACKGROUND_ASSET_VERSION_INTERNAL_BETA_RELEASE_CREATED", "BACKGROUND_ASSET_VERSION_STATE_UPDATED",
	"BETA_FEEDBACK_CRASH_SUBMISSION_CREATED", "BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED",
	"BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED", "BUILD_UPLOAD_STATE_UPDATED")

// webhookState is the server's webhooks, guarded by Server.mu (the sender
// takes it to record each attempt).
type webhookState struct {
	hooks      []*webhook
	events     map[string]*webhookEvent
	deliveries []*webhookDelivery
	// seen is the last state of each watched resource ("buildUploads/ID"),
	// so that each change is sent once.
	seen map[string]string
	// retries are the waits after a failed attempt before the next one;
	// nil means DefaultWebhookRetries.
	retries  []time.Duration
	retrySet bool
	ticking  bool
	stop     chan struct{}
	// inFlight counts attempts under way; idle is signalled (on Server.mu)
	// when one ends.
	inFlight int
	idle     *sync.Cond
	client   *http.Client
}

type webhook struct {
	id, appID, name, url string
	secret               string
	enabled              bool
	eventTypes           []string
}

type webhookEvent struct {
	id, eventType string
	payload       []byte
	ping          bool
	created       time.Time
}

type webhookDelivery struct {
	id, hookID       string
	event            *webhookEvent
	state            string // PENDING, SUCCEEDED, FAILED
	created, sent    time.Time
	redelivery       bool
	attempts         int
	next             time.Time
	inFlight         bool
	url              string
	status           int
	body, errMessage string
}

// DefaultWebhookRetries are the waits between the attempts of a delivery
// whose endpoint failed (no answer or not 2xx): three attempts in all.
var DefaultWebhookRetries = []time.Duration{10 * time.Second, time.Minute}

// SetWebhookRetries replaces the waits between a failed delivery's
// attempts (an empty list: one attempt only, as the e2e tests want).
func (s *Server) SetWebhookRetries(waits []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.retries, s.hooks.retrySet = slices.Clone(waits), true
}

var webhookRoutes = []route{
	{"POST /v1/webhooks", "webhooks_createInstance", AccessUpload, (*Server).createWebhook},
	{"GET /v1/webhooks/{id}", "webhooks_getInstance", AccessUpload, (*Server).getWebhook},
	{"PATCH /v1/webhooks/{id}", "webhooks_updateInstance", AccessUpload, (*Server).updateWebhook},
	{"DELETE /v1/webhooks/{id}", "webhooks_deleteInstance", AccessUpload, (*Server).deleteWebhook},
	{"GET /v1/apps/{id}/webhooks", "apps_webhooks_getToManyRelated", AccessUpload, (*Server).listAppWebhooks},
	{"GET /v1/apps/{id}/relationships/webhooks", "apps_webhooks_getToManyRelationship", AccessUpload, (*Server).listAppWebhooks},
	{"GET /v1/webhooks/{id}/deliveries", "webhooks_deliveries_getToManyRelated", AccessUpload, (*Server).listDeliveries},
	{"GET /v1/webhooks/{id}/relationships/deliveries", "webhooks_deliveries_getToManyRelationship", AccessUpload, (*Server).listDeliveries},
	{"POST /v1/webhookPings", "webhookPings_createInstance", AccessUpload, (*Server).createWebhookPing},
	{"POST /v1/webhookDeliveries", "webhookDeliveries_createInstance", AccessUpload, (*Server).redeliver},
}

func init() { routes = append(routes, webhookRoutes...) }

// hook returns the webhook with the path's id, or answers 404. The caller
// holds s.mu.
func (s *Server) hook(w http.ResponseWriter, id string) *webhook {
	for _, h := range s.hooks.hooks {
		if h.id == id {
			return h
		}
	}
	writeNotFound(w, "webhooks", id)
	return nil
}

// webhookAttrs is the attributes of a create or update request; nil
// pointers are attributes not given.
type webhookAttrs struct {
	Enabled    *bool     `json:"enabled"`
	EventTypes *[]string `json:"eventTypes"`
	Name       *string   `json:"name"`
	Secret     *string   `json:"secret"`
	URL        *string   `json:"url"`
}

type webhookRels struct {
	App toOne `json:"app"`
}

// checkAttrs answers Apple's entity errors for bad attribute values.
func checkAttrs(w http.ResponseWriter, a webhookAttrs) bool {
	if a.EventTypes != nil {
		for i, t := range *a.EventTypes {
			if !webhookEventTypes[t] {
				writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
					fmt.Sprintf("'%s' is not a webhook event type.", t), "/data/attributes/eventTypes/"+strconv.Itoa(i))
				return false
			}
		}
	}
	if a.URL != nil && !validHookURL(*a.URL) {
		writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
			"The url must be an absolute http or https URL.", "/data/attributes/url")
		return false
	}
	return true
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, _ *Key) {
	c, ok := readCreated[webhookAttrs, webhookRels](w, r, "webhooks")
	if !ok {
		return
	}
	a := c.Data.Attributes
	for _, req := range []struct {
		name  string
		given bool
	}{{"name", a.Name != nil}, {"secret", a.Secret != nil}, {"eventTypes", a.EventTypes != nil}, {"url", a.URL != nil}, {"enabled", a.Enabled != nil}} {
		if !req.given {
			writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "An attribute value is required.",
				fmt.Sprintf("You must provide a value for the attribute '%s' with this request", req.name), "/data/attributes/"+req.name)
			return
		}
	}
	if !checkAttrs(w, a) {
		return
	}
	app := c.Data.Relationships.App.Data
	s.mu.Lock()
	defer s.mu.Unlock()
	if app == nil || app.Type != "apps" || !in(&s.data.Apps)(app.ID) {
		writeInvalidRelationship(w, http.StatusUnprocessableEntity, "The app named by the relationship does not exist.", "/data/relationships/app")
		return
	}
	h := &webhook{id: newUUID(), appID: app.ID, name: *a.Name, url: *a.URL, secret: *a.Secret, enabled: *a.Enabled, eventTypes: slices.Clone(*a.EventTypes)}
	s.primeWebhooks()
	s.hooks.hooks = append(s.hooks.hooks, h)
	s.logf("emulator: webhook %s created for app %s, events %v", h.id, h.appID, h.eventTypes)
	writeJSON(w, http.StatusCreated, document{Data: renderWebhook(r, h), Links: docLinks{Self: baseURL(r) + "/v1/webhooks/" + h.id}})
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, _ *Key) {
	u, ok := readUpdated[webhookAttrs](w, r, "webhooks")
	if !ok || !checkAttrs(w, u.Data.Attributes) {
		return
	}
	a := u.Data.Attributes
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hook(w, r.PathValue("id"))
	if h == nil {
		return
	}
	if a.Enabled != nil {
		h.enabled = *a.Enabled
	}
	if a.EventTypes != nil {
		h.eventTypes = slices.Clone(*a.EventTypes)
	}
	if a.Name != nil {
		h.name = *a.Name
	}
	if a.Secret != nil {
		h.secret = *a.Secret
	}
	if a.URL != nil {
		h.url = *a.URL
	}
	writeJSON(w, http.StatusOK, document{Data: renderWebhook(r, h), Links: docLinks{Self: baseURL(r) + "/v1/webhooks/" + h.id}})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.hook(w, r.PathValue("id")); h != nil {
		writeJSON(w, http.StatusOK, document{Data: renderWebhook(r, h), Links: docLinks{Self: baseURL(r) + r.URL.Path}})
	}
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if s.hook(w, id) == nil {
		return
	}
	s.hooks.hooks = slices.DeleteFunc(s.hooks.hooks, func(h *webhook) bool { return h.id == id })
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAppWebhooks(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	appID := r.PathValue("id")
	if !in(&s.data.Apps)(appID) {
		writeNotFound(w, "apps", appID)
		return
	}
	linkages := strings.HasSuffix(r.URL.Path, "/relationships/webhooks")
	data := []any{}
	for _, h := range s.hooks.hooks {
		switch {
		case h.appID != appID:
		case linkages:
			data = append(data, linkage{Type: "webhooks", ID: h.id})
		default:
			data = append(data, renderWebhook(r, h))
		}
	}
	writeJSON(w, http.StatusOK, document{Data: data, Links: docLinks{Self: baseURL(r) + r.URL.Path},
		Meta: &pageMeta{Paging: paging{Total: len(data), Limit: 200}}})
}

// renderWebhook is a webhooks resource; the secret is never shown.
func renderWebhook(r *http.Request, h *webhook) resource {
	self := baseURL(r) + "/v1/webhooks/" + h.id
	return resource{Type: "webhooks", ID: h.id,
		Attributes: map[string]any{"enabled": h.enabled, "eventTypes": h.eventTypes, "name": h.name, "url": h.url},
		Relationships: map[string]relationship{
			"app":        {Data: &linkage{Type: "apps", ID: h.appID}},
			"deliveries": {Links: &relLinks{Self: self + "/relationships/deliveries", Related: self + "/deliveries"}},
		},
		Links: &resourceLinks{Self: self}}
}
