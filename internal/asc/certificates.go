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
	CertificateType []string
	// Fields names the attributes to fetch (fields[certificates]); empty
	// fetches all. CertificateSummaryFields leaves out the certificate itself.
	Fields []string
	// Limit is the page size (Apple allows up to 200).
	Limit int
	// MaxPages stops after this many pages (0: all); Response.NextURL then
	// tells whether more were left.
	MaxPages int
}

// ListCertificates returns every certificate, following pages. Individual
// keys are refused here by Apple (403).
func (c *Client) ListCertificates(ctx context.Context, opts *ListCertificatesOptions) ([]Certificate, *Response, error) {
	if opts == nil {
		opts = &ListCertificatesOptions{}
	}
	q := newQuery().list("filter[certificateType]", opts.CertificateType...).list("fields[certificates]", opts.Fields...).int("limit", opts.Limit)
	return ListAll[Certificate](ctx, c, q.path("v1/certificates"), opts.MaxPages)
}
