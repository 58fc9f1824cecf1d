package asc

import "context"

// Certificate is a signing certificate (resource type "certificates").
type Certificate = Resource[CertificateAttributes]

// CertificateAttributes are the certificate's fields we read.
type CertificateAttributes struct {
	Name            string `json:"name,omitempty"`
	CertificateType string `json:"certificateType,omitempty"`
	DisplayName     string `json:"displayName,omitempty"`
	SerialNumber    string `json:"serialNumber,omitempty"`
	// Platform is IOS, MAC_OS or UNIVERSAL.
	Platform       string `json:"platform,omitempty"`
	ExpirationDate Time   `json:"expirationDate,omitzero"`
	// CertificateContent is the DER certificate, base64.
	CertificateContent string `json:"certificateContent,omitempty"`
	Activated          *bool  `json:"activated,omitempty"`
}

// CertificateSummaryFields are every certificate attribute but
// certificateContent: what an expiry audit reads.
var CertificateSummaryFields = []string{"name", "certificateType", "displayName", "serialNumber", "platform", "expirationDate", "activated"}

// ListCertificatesOptions filters ListCertificates. Zero fields are not sent.
type ListCertificatesOptions struct {
	// CertificateType filters by type (DISTRIBUTION, IOS_DISTRIBUTION, ...).
	CertificateType []string `query:"filter[certificateType]"`
	// Fields names the attributes to fetch; empty fetches all.
	// CertificateSummaryFields leaves out the certificate itself.
	Fields []string `query:"fields[certificates]"`
	ListOptions
}

// ListCertificates returns every certificate, following pages. Individual
// keys are refused here by Apple (403).
func (c *Client) ListCertificates(ctx context.Context, opts *ListCertificatesOptions) ([]Certificate, *Response, error) {
	return list[Certificate](ctx, c, "v1/certificates", opts)
}
