package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Notification is the part of Apple's webhook payload the relay reads:
//
//	{"data": {"type": "buildUploadStateUpdated", "id": "...", "version": 1,
//	  "attributes": {"oldState": "PROCESSING", "newState": "COMPLETE", "timestamp": "..."},
//	  "relationships": {"instance": {"data": {"type": "buildUploads", "id": "..."}}}}}
//
// State events carry oldState/newState (build uploads, beta details) or
// oldValue/newValue (App Store versions); a ping is "webhookPingCreated".
type Notification struct {
	Data struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Version    int            `json:"version"`
		Attributes map[string]any `json:"attributes"`
		Relations  struct {
			Instance struct {
				Data struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"data"`
			} `json:"instance"`
		} `json:"relationships"`
	} `json:"data"`
}

// PingType is the payload type of a test notification (webhookPings).
const PingType = "webhookPingCreated"

// ErrBadPayload is a signed body that is not Apple's notification JSON.
var ErrBadPayload = errors.New("not an App Store Connect notification")

var camelType = regexp.MustCompile(`^[a-z][A-Za-z0-9]{0,99}$`)

// Parse reads a verified body.
func Parse(body []byte) (*Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if !camelType.MatchString(n.Data.Type) {
		return nil, fmt.Errorf("%w: data.type is missing or not a lowerCamelCase name", ErrBadPayload)
	}
	return &n, nil
}

// IsPing reports whether the notification is a test ping.
func (n *Notification) IsPing() bool {
	return n.Data.Type == PingType || n.Data.Attributes["ping"] == true
}

// words splits a lowerCamelCase name into lower-case words.
func words(camel string) []string {
	var out []string
	start := 0
	for i := 1; i < len(camel); i++ {
		if camel[i] >= 'A' && camel[i] <= 'Z' {
			out = append(out, strings.ToLower(camel[start:i]))
			start = i
		}
	}
	return append(out, strings.ToLower(camel[start:]))
}

// AppleEventType is Apple's name of the event, as the webhook configuration
// lists it: buildUploadStateUpdated is BUILD_UPLOAD_STATE_UPDATED.
func (n *Notification) AppleEventType() string {
	return strings.ToUpper(strings.Join(words(n.Data.Type), "_"))
}

// DispatchType is the repository_dispatch event type a workflow filters
// on: asc-build-upload-state-updated.
func (n *Notification) DispatchType() string {
	return "asc-" + strings.Join(words(n.Data.Type), "-")
}

// ClientPayload is the repository_dispatch client_payload: Apple's event
// type, the notification's and the instance's IDs, and the states, flat so
// that a workflow reads github.event.client_payload.new_state. GitHub
// allows at most 10 top-level keys.
func (n *Notification) ClientPayload() map[string]any {
	p := map[string]any{
		"event_type":      n.AppleEventType(),
		"notification_id": n.Data.ID,
		"instance_type":   n.Data.Relations.Instance.Data.Type,
		"instance_id":     n.Data.Relations.Instance.Data.ID,
	}
	pick := func(key string, names ...string) {
		for _, name := range names {
			if v, ok := n.Data.Attributes[name].(string); ok {
				p[key] = v
				return
			}
		}
	}
	pick("old_state", "oldState", "oldValue")
	pick("new_state", "newState", "newValue")
	pick("timestamp", "timestamp")
	return p
}
