package asc

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// The two forms in which App Store Connect says that the Account Holder has
// not accepted a required agreement, as Apple sends them (status as a
// string, an id, no source).
const (
	agreementTitle        = "A required agreement is missing or has expired."
	agreementDetail       = "This request requires an in-effect agreement that has not been signed or has expired."
	legacyAgreementTitle  = "Access Unavailable"
	legacyAgreementDetail = "You currently don't have access to this resource. To resolve this issue, the Account Holder must agree to the latest Program License Agreement in their account on the Apple Developer website. https://developer.apple.com/account"
)

func TestAgreementMissing(t *testing.T) {
	tests := []struct {
		name                string
		status              int
		code, title, detail string
		want                bool
	}{
		{"required agreements code", 403, CodeAgreementMissing, agreementTitle, agreementDetail, true},
		{"older accounts: Access Unavailable", 403, "FORBIDDEN", legacyAgreementTitle, legacyAgreementDetail, true},
		{"a role that may not", 403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons", "The API key in use does not allow this request", false},
		{"FORBIDDEN without an agreement", 403, "FORBIDDEN", "Forbidden", "You do not have access to this app.", false},
		{"the code on another status", 401, CodeAgreementMissing, agreementTitle, agreementDetail, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				appleError(w, tc.status, tc.code, tc.title, tc.detail)
			}), plainSource("tok"), WithRetryMax(0))
			_, _, err := c.ListApps(context.Background(), nil)
			if got := errors.Is(err, ErrAgreementMissing); got != tc.want {
				t.Fatalf("errors.Is(%v, ErrAgreementMissing) = %v, want %v", err, got, tc.want)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.AgreementMissing() != tc.want {
				t.Fatalf("errors.As: %v", err)
			}
			if tc.status == 403 && !errors.Is(err, ErrForbidden) {
				t.Error("a 403 no longer matches ErrForbidden")
			}
		})
	}
}

// TestAgreementMissingIsNotRetried: the answer is the same until a person
// accepts the agreement, so the client does not spend the budget on it.
func TestAgreementMissingIsNotRetried(t *testing.T) {
	calls := 0
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		appleError(w, 403, CodeAgreementMissing, agreementTitle, agreementDetail)
	}), plainSource("tok"), WithRetryMax(3))
	if _, _, err := c.ListApps(context.Background(), nil); !errors.Is(err, ErrAgreementMissing) {
		t.Fatalf("err = %v", err)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1", calls)
	}
}
