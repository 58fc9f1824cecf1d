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

// TestWebhookOnBetaReview: a beta review decision is sent as the build's
// external state (WAITING_FOR_BETA_REVIEW, then BETA_APPROVED), only to
// enabled webhooks of the build's app that list the event.
func TestWebhookOnBetaReview(t *testing.T) {
	e := newEnv(t, Config{BetaReviewDelay: 5 * time.Minute})
	rc := &receiver{secret: "s3cret", status: 200}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	other := &receiver{secret: "s3cret", status: 200}
	otherHook := httptest.NewServer(other)
	defer otherHook.Close()
	for _, body := range []map[string]any{
		webhookBody(hook.URL, "s3cret", "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED"),
		webhookBody(otherHook.URL, "s3cret", "BUILD_UPLOAD_STATE_UPDATED"), // another event: nothing
	} {
		if r := e.do("POST", "/v1/webhooks", body); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	disabled := webhookBody(otherHook.URL, "s3cret", "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED")
	disabled["data"].(map[string]any)["attributes"].(map[string]any)["enabled"] = false
	if r := e.do("POST", "/v1/webhooks", disabled); r.status != 201 {
		t.Fatalf("create disabled: %d %s", r.status, r.body)
	}
	upd := map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00001", "attributes": map[string]any{"usesNonExemptEncryption": false}}}
	if r := e.do("PATCH", "/v1/builds/BUILD00001", upd); r.status != 200 {
		t.Fatalf("compliance: %d %s", r.status, r.body)
	}
	submit := map[string]any{"data": map[string]any{"type": "betaAppReviewSubmissions",
		"relationships": map[string]any{"build": map[string]any{"data": map[string]any{"type": "builds", "id": "BUILD00001"}}}}}
	if r := e.do("POST", "/v1/betaAppReviewSubmissions", submit); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	e.srv.Tick()
	e.clock.Advance(5 * time.Minute)
	e.srv.Tick()
	got, bad := rc.got()
	if len(got) != 2 || bad != 0 {
		t.Fatalf("%d notifications (%d badly signed), want 2", len(got), bad)
	}
	for i, want := range [][2]string{{"READY_FOR_BETA_SUBMISSION", "WAITING_FOR_BETA_REVIEW"}, {"WAITING_FOR_BETA_REVIEW", "BETA_APPROVED"}} {
		d := got[i]["data"]
		if dig(d, "type") != "buildBetaDetailExternalBuildStateUpdated" || dig(d, "attributes", "oldState") != want[0] ||
			dig(d, "attributes", "newState") != want[1] || dig(d, "relationships", "instance", "data", "id") != "BUILD00001" {
			t.Errorf("notification %d: %v", i, d)
		}
	}
	if n, _ := other.got(); len(n) != 0 {
		t.Errorf("a webhook without the event, or disabled, got %d notifications", len(n))
	}
}

// TestWebhookLinkages: the relationship endpoints list the state's IDs.
func TestWebhookLinkages(t *testing.T) {
	e := newEnv(t, Config{})
	rc := &receiver{secret: "s", status: 200}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	id := dig(e.do("POST", "/v1/webhooks", webhookBody(hook.URL, "s", "BUILD_UPLOAD_STATE_UPDATED")).json(t), "data", "id")
	ping := map[string]any{"data": map[string]any{"type": "webhookPings",
		"relationships": map[string]any{"webhook": map[string]any{"data": map[string]any{"type": "webhooks", "id": id}}}}}
	e.do("POST", "/v1/webhookPings", ping)
	e.srv.Tick()
	if got := e.mustGet("/v1/apps/" + demoAppID + "/relationships/webhooks"); dig(got, "data", 0, "id") != id || len(got["data"].([]any)) != 1 {
		t.Errorf("app's webhook linkages: %v", got)
	}
	deliveries := e.mustGet("/v1/webhooks/" + id.(string) + "/deliveries")
	links := e.mustGet("/v1/webhooks/" + id.(string) + "/relationships/deliveries")
	if dig(links, "data", 0, "type") != "webhookDeliveries" || dig(links, "data", 0, "id") != dig(deliveries, "data", 0, "id") {
		t.Errorf("delivery linkages %v, deliveries %v", links, deliveries)
	}
}
