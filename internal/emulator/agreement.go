package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// The account blocker: an Account Holder who has not accepted a required
// agreement. App Store Connect then answers every API request of every key
// of the team with 403, after checking the token, in one of two forms.

// Agreement states of the emulated account (Blockers.Agreement, the
// emulator command's --agreement).
const (
	// AgreementAccepted (the default) blocks nothing.
	AgreementAccepted = "accepted"
	// AgreementMissing answers 403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED,
	// as App Store Connect does today.
	AgreementMissing = "missing"
	// AgreementLegacy answers 403 FORBIDDEN "Access Unavailable" with a
	// detail naming the Program License Agreement, as older accounts get.
	AgreementLegacy = "legacy"
)

// Apple's words for each form.
const (
	agreementCode         = "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"
	agreementTitle        = "A required agreement is missing or has expired."
	agreementDetail       = "This request requires an in-effect agreement that has not been signed or has expired."
	legacyAgreementCode   = "FORBIDDEN"
	legacyAgreementTitle  = "Access Unavailable"
	legacyAgreementDetail = "You currently don't have access to this resource. To resolve this issue, the Account Holder must agree to the latest Program License Agreement in their account on the Apple Developer website. https://developer.apple.com/account"
)

// ParseAgreement reads an agreement state as the --agreement flag gives it:
// accepted (or empty), missing or legacy, in any case.
func ParseAgreement(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", AgreementAccepted:
		return "", nil
	case AgreementMissing, AgreementLegacy:
		return v, nil
	}
	return "", fmt.Errorf("agreement %q is not accepted, missing or legacy", s)
}

// refuseForAgreement answers the request with Apple's 403 when the account's
// agreement is not accepted, and reports whether it did.
func (s *Server) refuseForAgreement(w http.ResponseWriter) bool {
	s.mu.Lock()
	form, _ := ParseAgreement(s.data.blockers().Agreement) // validated at load; any case
	s.mu.Unlock()
	switch form {
	case AgreementMissing:
		writeError(w, http.StatusForbidden, agreementCode, agreementTitle, agreementDetail)
	case AgreementLegacy:
		writeError(w, http.StatusForbidden, legacyAgreementCode, legacyAgreementTitle, legacyAgreementDetail)
	default:
		return false
	}
	return true
}
