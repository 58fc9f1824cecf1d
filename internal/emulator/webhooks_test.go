package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint that checks each signature with its own
// HMAC (written from Apple's article) and records the payloads.
type receiver struct {
	mu       sync.Mutex
	secret   string
	status   int
	payloads []map[string]any
	badSigs  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Header.Get("X-Apple-Signature") != "hmacsha256="+hex.EncodeToString(m.Sum(nil)) {
		rc.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	rc.payloads = append(rc.payloads, p)
	w.WriteHeader(rc.status)
}

func (rc *receiver) got() ([]map[string]any, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.payloads...), rc.badSigs
}

const demoAppID = "1000000001"

func webhookBody(url, secret string, events ...string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "webhooks",
		"attributes":    map[string]any{"enabled": true, "eventTypes": events, "name": "ci", "secret": secret, "url": url},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": demoAppID}}}}}
}

func TestWebhookConfigurationAndPing(t *testing.T) {
	e := newEnv(t, Config{})
	rc := &receiver{secret: "s3cret", status: 200}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	r := e.do("POST", "/v1/webhooks", webhookBody(hook.URL, "s3cret", "BUILD_UPLOAD_STATE_UPDATED"))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := dig(r.json(t), "data", "id").(string)
	if _, has := dig(r.json(t), "data", "attributes").(map[string]any)["secret"]; has {
		t.Fatal("the secret is shown")
	}
	if r := e.do("POST", "/v1/webhooks", webhookBody(hook.URL, "x", "NOT_AN_EVENT")); r.status != 422 {
		t.Errorf("unknown event type: %d", r.status)
	}
	list := e.mustGet("/v1/apps/" + demoAppID + "/webhooks")
	if n := len(list["data"].([]any)); n != 1 {
		t.Fatalf("%d webhooks", n)
	}
	patch := map[string]any{"data": map[string]any{"type": "webhooks", "id": id, "attributes": map[string]any{"name": "renamed"}}}
	if r := e.do("PATCH", "/v1/webhooks/"+id, patch); r.status != 200 || dig(r.json(t), "data", "attributes", "name") != "renamed" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}

	ping := map[string]any{"data": map[string]any{"type": "webhookPings",
		"relationships": map[string]any{"webhook": map[string]any{"data": map[string]any{"type": "webhooks", "id": id}}}}}
	if r := e.do("POST", "/v1/webhookPings", ping); r.status != 201 {
		t.Fatalf("ping: %d %s", r.status, r.body)
	}
	e.srv.Tick()
	got, bad := rc.got()
	if len(got) != 1 || bad != 0 || dig(got[0], "data", "type") != "webhookPingCreated" {
		t.Fatalf("ping deliveries %v (bad signatures %d)", got, bad)
	}
	d := e.mustGet("/v1/webhooks/" + id + "/deliveries?include=event")
	if dig(d, "data", 0, "attributes", "deliveryState") != "SUCCEEDED" || dig(d, "included", 0, "attributes", "ping") != true {
		t.Fatalf("deliveries %v", d)
	}
	if r := e.do("DELETE", "/v1/webhooks/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
}

// TestWebhookOnUploadStates: the upload's PROCESSING and COMPLETE are sent
// once each, signed; a failing endpoint is retried and then FAILED; a
// redelivery reaches the endpoint once it is back.
func TestWebhookOnUploadStates(t *testing.T) {
	e := newEnv(t, Config{UploadProcessingDelay: 10 * time.Minute, BuildProcessingDelay: time.Minute})
	rc := &receiver{secret: "s3cret", status: 200}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	r := e.do("POST", "/v1/webhooks", webhookBody(hook.URL, "s3cret", "BUILD_UPLOAD_STATE_UPDATED"))
	hookID := dig(r.json(t), "data", "id").(string)

	data := makeIPA(t, DemoBundleID, "77", 1000)
	id, fileID := e.uploadAll("77", data, nil)
	if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, nil)); r.status != 200 {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	e.srv.Tick()
	e.srv.Tick() // nothing new: nothing more is sent
	got, _ := rc.got()
	if len(got) != 1 || dig(got[0], "data", "attributes", "newState") != StateProcessing ||
		dig(got[0], "data", "relationships", "instance", "data", "id") != id {
		t.Fatalf("after commit: %v", got)
	}
	rc.mu.Lock()
	rc.status = 503
	rc.mu.Unlock()
	e.clock.Advance(10 * time.Minute)
	e.srv.Tick() // COMPLETE: first attempt fails
	for _, wait := range DefaultWebhookRetries {
		e.clock.Advance(wait)
		e.srv.Tick()
	}
	got, _ = rc.got()
	if len(got) != 1+1+len(DefaultWebhookRetries) || dig(got[1], "data", "attributes", "newState") != StateComplete {
		t.Fatalf("want the COMPLETE event tried %d times, got %d payloads", 1+len(DefaultWebhookRetries), len(got)-1)
	}
	failed := e.mustGet("/v1/webhooks/" + hookID + "/deliveries?filter[deliveryState]=FAILED")
	list := failed["data"].([]any)
	if len(list) != 1 || dig(list[0], "attributes", "response", "httpStatusCode") != float64(503) {
		t.Fatalf("failed deliveries: %v", failed)
	}
	rc.mu.Lock()
	rc.status = 200
	rc.mu.Unlock()
	redo := map[string]any{"data": map[string]any{"type": "webhookDeliveries",
		"relationships": map[string]any{"template": map[string]any{"data": map[string]any{"type": "webhookDeliveries", "id": dig(list[0], "id")}}}}}
	if r := e.do("POST", "/v1/webhookDeliveries", redo); r.status != 201 || dig(r.json(t), "data", "attributes", "redelivery") != true {
		t.Fatalf("redeliver: %d %s", r.status, r.body)
	}
	e.srv.Tick()
	last := e.mustGet("/v1/webhooks/" + hookID + "/deliveries?limit=1")
	if dig(last, "data", 0, "attributes", "deliveryState") != "SUCCEEDED" {
		t.Fatalf("redelivery: %v", last)
	}
}
