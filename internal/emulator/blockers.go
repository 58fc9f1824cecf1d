package emulator

// Blockers are what stops a release on Apple's side whatever the client
// does: an agreement the Account Holder has not accepted (agreement.go),
// and processing that ends in Apple's errors (processing.go). A data file
// sets them under "blockers"; the emulator command's --agreement and
// --processing flags (and their ASC_EMULATOR_* variables, which rehearsals
// with api-url: emulator read too) override them.
type Blockers struct {
	// Agreement is AgreementMissing or AgreementLegacy to block every API
	// request with Apple's 403; empty (or AgreementAccepted) blocks nothing.
	Agreement string `json:"agreement,omitempty"`
	// Processing says how the processing of committed uploads ends; nil
	// means as the file deserves (and the Faults say).
	Processing *Processing `json:"processing,omitempty"`
}

// blockers returns d's blockers, the zero value when there are none.
func (d *Data) blockers() Blockers {
	if d == nil || d.Blockers == nil {
		return Blockers{}
	}
	return *d.Blockers
}

// SetBlockers replaces the account's blockers: a test can lift a blocker
// (accept the agreement) and see the next request go through.
func (s *Server) SetBlockers(b Blockers) error {
	if err := b.validate(); err != nil {
		return err
	}
	b = b.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.Blockers = &b
	return nil
}

func (b Blockers) validate() error {
	if _, err := ParseAgreement(b.Agreement); err != nil {
		return invalidData("blockers.agreement: %q is not accepted, missing or legacy", b.Agreement)
	}
	if b.Processing != nil {
		return b.Processing.validate()
	}
	return nil
}

func (b Blockers) clone() Blockers {
	if b.Processing != nil {
		p := b.Processing.clone()
		b.Processing = &p
	}
	return b
}

// Environment variables of the emulator command's --agreement,
// --processing, --missing and --uploads-in-flight flags; a rehearsal
// (api-url: emulator) reads them too.
const (
	EnvAgreement       = "ASC_EMULATOR_AGREEMENT"
	EnvProcessing      = "ASC_EMULATOR_PROCESSING"
	EnvMissing         = "ASC_EMULATOR_MISSING"
	EnvUploadsInFlight = "ASC_EMULATOR_UPLOADS_IN_FLIGHT"
)

// OverrideBlockers sets on d the blockers named as the --agreement and
// --processing flags name them (ParseAgreement, ParseProcessing); an empty
// value leaves what d has.
func (d *Data) OverrideBlockers(agreement, processing string) error {
	b := d.blockers().clone()
	if agreement != "" {
		a, err := ParseAgreement(agreement)
		if err != nil {
			return err
		}
		b.Agreement = a
	}
	if processing != "" {
		p, err := ParseProcessing(processing)
		if err != nil {
			return err
		}
		b.Processing = p
	}
	// Set also when b is empty: "accepted" or "valid" lifts a blocker the
	// data file set.
	if b != (Blockers{}) || d.Blockers != nil {
		d.Blockers = &b
	}
	return nil
}
