package asc

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/asc-action/asc-action/internal/contract"
)

// TestWebhooksContract sends every webhook call of the client to fixtures
// and holds each request and each answer to Apple's document.
func TestWebhooksContract(t *testing.T) {
	spec := contract.ForTest(t)
	hook := map[string]any{"type": "webhooks", "id": "wh1", "attributes": map[string]any{"enabled": true,
		"eventTypes": []string{EventBuildUploadStateUpdated}, "name": "ci", "url": "https://relay.example.com/"}}
	delivery := map[string]any{"type": "webhookDeliveries", "id": "d1", "attributes": map[string]any{"deliveryState": "FAILED",
		"createdDate": "2026-12-07T10:00:00Z", "response": map[string]any{"httpStatusCode": 502}}}
	mux := http.NewServeMux()
	one := func(status int, data any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]any{"data": data, "links": map[string]any{"self": selfURL(r)}})
		}
	}
	many := func(data any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"data": []any{data}, "links": map[string]any{"self": selfURL(r)}})
		}
	}
	mux.HandleFunc("GET /v1/apps/{id}/webhooks", many(hook))
	mux.HandleFunc("POST /v1/webhooks", one(201, hook))
	mux.HandleFunc("PATCH /v1/webhooks/{id}", one(200, hook))
	mux.HandleFunc("GET /v1/webhooks/{id}/deliveries", many(delivery))
	mux.HandleFunc("POST /v1/webhookPings", one(201, map[string]any{"type": "webhookPings", "id": "p1"}))
	mux.HandleFunc("POST /v1/webhookDeliveries", one(201, delivery))
	checked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := spec.CheckRequest(r, body); err != nil {
			t.Errorf("%v", err)
		}
		spec.Middleware(t, mux).ServeHTTP(w, r)
	})
	c, _, _ := newTestClient(t, checked, plainSource("t"))
	ctx := context.Background()
	hooks, _, err := c.ListAppWebhooks(ctx, "123")
	if err != nil || len(hooks) != 1 || hooks[0].Attributes.URL != "https://relay.example.com/" {
		t.Fatalf("list: %v %v", hooks, err)
	}
	if _, _, err := c.CreateWebhook(ctx, "123", WebhookCreate{Enabled: true, EventTypes: []string{EventBuildUploadStateUpdated},
		Name: "ci", Secret: "s", URL: "https://relay.example.com/"}); err != nil {
		t.Fatal(err)
	}
	url := "https://relay.example.com/"
	if _, _, err := c.UpdateWebhook(ctx, "wh1", WebhookUpdate{URL: &url, EventTypes: []string{EventBuildBetaDetailExternalStateUpdated}}); err != nil {
		t.Fatal(err)
	}
	ds, _, err := c.ListWebhookDeliveries(ctx, "wh1", &ListWebhookDeliveriesOptions{DeliveryState: []string{"FAILED"}, ListOptions: ListOptions{Limit: 10}})
	if err != nil || len(ds) != 1 || ds[0].Attributes.Response.HTTPStatusCode != 502 {
		t.Fatalf("deliveries: %v %v", ds, err)
	}
	if _, _, err := c.PingWebhook(ctx, "wh1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.RedeliverWebhook(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
}
