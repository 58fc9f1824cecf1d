package readiness

import (
	"fmt"
	"strings"
)

// Plan is what the release will do, from verify's `plan` input.
type Plan struct {
	Upload, TestFlight, Audit bool
}

// Plan steps as the `plan` input names them.
const (
	StepUpload     = "upload"
	StepTestFlight = "testflight"
	StepAudit      = "audit"
)

// ParsePlan reads a comma (or line) separated list of upload, testflight
// and audit; empty is the empty plan (the key check alone).
func ParsePlan(s string) (Plan, error) {
	var p Plan
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case StepUpload:
			p.Upload = true
		case StepTestFlight:
			p.TestFlight = true
		case StepAudit:
			p.Audit = true
		default:
			return p, fmt.Errorf("plan: %q is not a step; give a comma list of upload, testflight and audit (empty: check the key only)", f)
		}
	}
	return p, nil
}

// Empty reports whether the plan has no step.
func (p Plan) Empty() bool { return !p.Upload && !p.TestFlight && !p.Audit }

// String renders the plan as the input takes it.
func (p Plan) String() string {
	var s []string
	for _, st := range []struct {
		on   bool
		name string
	}{{p.Upload, StepUpload}, {p.TestFlight, StepTestFlight}, {p.Audit, StepAudit}} {
		if st.on {
			s = append(s, st.name)
		}
	}
	return strings.Join(s, ",")
}
