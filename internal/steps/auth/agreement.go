package auth

import (
	"errors"
	"fmt"

	"github.com/asc-action/asc-action/internal/asc"
)

// AgreementPage is where the Account Holder accepts Apple's agreements.
const AgreementPage = "https://developer.apple.com/account (Agreements; App Store Connect > Business shows the paid ones)"

// AgreementBlocked is a command stopped because App Store Connect answered
// 403 for a required agreement the Account Holder has not accepted (asc.
// ErrAgreementMissing). The block is account-wide: every key and every role
// gets the same answer until the agreement is accepted.
type AgreementBlocked struct {
	// Command is the command that stopped; Outcome what that left undone.
	Command, Outcome string
	// Err is the client's error (an *asc.APIError).
	Err error
}

// Error says what happened, who can fix it and where, and what does not help.
func (e *AgreementBlocked) Error() string {
	code := asc.CodeAgreementMissing
	var ae *asc.APIError
	if errors.As(e.Err, &ae) && ae.Code() != "" {
		code = ae.Code()
	}
	return fmt.Sprintf("%s stopped: App Store Connect blocks the whole account until the Account Holder accepts a required agreement "+
		"(403 %s on %s). The Account Holder signs in at %s and accepts the pending agreement (most often an updated Program License Agreement), "+
		"then run the step again. No new API key, Issuer ID or role can help: the block covers every key of the team. %s",
		e.Command, code, requestOf(ae), AgreementPage, e.Outcome)
}

// Unwrap returns the client's error, so errors.Is(err, asc.ErrAgreementMissing) holds.
func (e *AgreementBlocked) Unwrap() error { return e.Err }

func requestOf(ae *asc.APIError) string {
	if ae == nil {
		return "the first request"
	}
	return ae.Method + " " + ae.Path
}

// ExplainAgreement returns err as an *AgreementBlocked naming command and
// what it left undone when App Store Connect refused a request for a
// missing agreement, and err unchanged otherwise.
func ExplainAgreement(command, outcome string, err error) error {
	var done *AgreementBlocked
	if err == nil || !errors.Is(err, asc.ErrAgreementMissing) || errors.As(err, &done) {
		return err
	}
	return &AgreementBlocked{Command: command, Outcome: outcome, Err: err}
}
