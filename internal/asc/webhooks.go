package asc

import "context"

// Webhooks (App Store Connect API 4.0 and later): an app's webhook
// configurations, their deliveries, pings and redeliveries.

// Webhook is a webhook configuration of an app (resource type "webhooks").
// Apple never sends its secret back.
type Webhook = Resource[WebhookAttributes]

// WebhookAttributes are the configuration's fields.
type WebhookAttributes struct {
	Enabled    bool     `json:"enabled"`
	EventTypes []string `json:"eventTypes,omitempty"`
	Name       string   `json:"name,omitempty"`
	URL        string   `json:"url,omitempty"`
}

// Webhook event types (Apple's WebhookEventType) asc-action relays by default.
const (
	EventBuildUploadStateUpdated             = "BUILD_UPLOAD_STATE_UPDATED"
	EventBuildBetaDetailExternalStateUpdated = "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED"
)

// WebhookCreate is a new configuration; every field is required.
type WebhookCreate struct {
	Enabled    bool     `json:"enabled"`
	EventTypes []string `json:"eventTypes"`
	Name       string   `json:"name"`
	Secret     string   `json:"secret"`
	URL        string   `json:"url"`
}

// WebhookUpdate changes a configuration; nil fields are not sent.
type WebhookUpdate struct {
	Enabled    *bool    `json:"enabled,omitempty"`
	EventTypes []string `json:"eventTypes,omitempty"`
	Name       *string  `json:"name,omitempty"`
	Secret     *string  `json:"secret,omitempty"`
	URL        *string  `json:"url,omitempty"`
}

// ListAppWebhooks returns the webhook configurations of an app.
func (c *Client) ListAppWebhooks(ctx context.Context, appID string) ([]Webhook, *Response, error) {
	return ListAll[Webhook](ctx, c, "v1/apps/"+pathEscape(appID)+"/webhooks", 0)
}

// CreateWebhook adds a configuration to the app. Not repeated after a 5xx
// or a broken connection: list the app's webhooks before trying again.
func (c *Client) CreateWebhook(ctx context.Context, appID string, w WebhookCreate) (*Webhook, *Response, error) {
	return create[Webhook](ctx, c, "webhooks", &w, toOne("app", "apps", appID))
}

// UpdateWebhook changes the configuration id.
func (c *Client) UpdateWebhook(ctx context.Context, id string, u WebhookUpdate) (*Webhook, *Response, error) {
	return update[Webhook](ctx, c, "webhooks", id, &u)
}

// WebhookDelivery is one delivery of an event to a webhook (resource type
// "webhookDeliveries").
type WebhookDelivery = Resource[WebhookDeliveryAttributes]

// WebhookDeliveryAttributes are the delivery's fields.
type WebhookDeliveryAttributes struct {
	CreatedDate Time `json:"createdDate,omitzero"`
	// DeliveryState is SUCCEEDED, FAILED or PENDING.
	DeliveryState string `json:"deliveryState,omitempty"`
	ErrorMessage  string `json:"errorMessage,omitempty"`
	Redelivery    bool   `json:"redelivery,omitempty"`
	SentDate      Time   `json:"sentDate,omitzero"`
	Response      *struct {
		HTTPStatusCode int    `json:"httpStatusCode,omitempty"`
		Body           string `json:"body,omitempty"`
	} `json:"response,omitempty"`
}

// ListWebhookDeliveriesOptions filters ListWebhookDeliveries.
type ListWebhookDeliveriesOptions struct {
	// DeliveryState filters by state (SUCCEEDED, FAILED, PENDING).
	DeliveryState []string `query:"filter[deliveryState]"`
	ListOptions
}

// ListWebhookDeliveries returns a webhook's deliveries, newest first.
func (c *Client) ListWebhookDeliveries(ctx context.Context, webhookID string, opts *ListWebhookDeliveriesOptions) ([]WebhookDelivery, *Response, error) {
	return list[WebhookDelivery](ctx, c, "v1/webhooks/"+pathEscape(webhookID)+"/deliveries", opts)
}

// WebhookPing is a test notification sent to a webhook.
type WebhookPing = Resource[struct{}]

// PingWebhook asks App Store Connect to send the webhook a test
// notification (webhookPingCreated).
func (c *Client) PingWebhook(ctx context.Context, webhookID string) (*WebhookPing, *Response, error) {
	return create[WebhookPing, struct{}](ctx, c, "webhookPings", nil, toOne("webhook", "webhooks", webhookID))
}

// RedeliverWebhook sends the event of delivery deliveryID again, as a new
// delivery.
func (c *Client) RedeliverWebhook(ctx context.Context, deliveryID string) (*WebhookDelivery, *Response, error) {
	return create[WebhookDelivery, struct{}](ctx, c, "webhookDeliveries", nil, toOne("template", "webhookDeliveries", deliveryID))
}
