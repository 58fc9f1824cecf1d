package kms

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// iamStatement is the part of an IAM policy statement the evaluator reads.
type iamStatement struct {
	Effect    string
	Action    any // a string or a list
	Condition map[string]map[string]any
}

// allows reports whether st allows call: an Allow whose Action names the
// call's (or kms:*), and each of whose conditions holds for the request's
// condition keys. StringEquals needs the key in the request;
// StringEqualsIfExists holds when it is absent (IAM's rules).
func (st iamStatement) allows(call awsCall) bool {
	if st.Effect != "Allow" {
		return false
	}
	if !slices.ContainsFunc(strings_(st.Action), func(a string) bool { return a == call.Action || a == "kms:*" || a == "*" }) {
		return false
	}
	for op, conds := range st.Condition {
		for key, want := range conds {
			got, present := call.Conditions[key]
			switch op {
			case "StringEquals":
				if !present || !slices.Contains(strings_(want), got) {
					return false
				}
			case "StringEqualsIfExists":
				if present && !slices.Contains(strings_(want), got) {
					return false
				}
			default:
				return false // an operator this evaluator does not know allows nothing
			}
		}
	}
	return true
}

func strings_(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// The least-permission policy docs/key-custody.md gives for AWS allows every
// call the signer makes (awsCalls), with the condition keys each call
// carries: kms:SigningAlgorithm exists only for Sign (and Verify), so a
// statement requiring it denies GetPublicKey.
func TestDocumentedAWSPolicy(t *testing.T) {
	doc, err := os.ReadFile("../../docs/key-custody.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)[strings.Index(string(doc), "## AWS KMS"):]
	section = section[strings.Index(section, "**Least permission**"):]
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("no JSON policy after AWS's **Least permission** in docs/key-custody.md")
	}
	var policy struct{ Statement []iamStatement }
	if err := json.Unmarshal([]byte(m[1]), &policy); err != nil {
		t.Fatalf("the documented policy is not JSON: %v", err)
	}
	for _, call := range awsCalls {
		if !slices.ContainsFunc(policy.Statement, func(st iamStatement) bool { return st.allows(call) }) {
			t.Errorf("the documented policy denies %s with the condition keys %v", call.Action, call.Conditions)
		}
	}
	// The evaluator itself: the policy of the guide before the fix denies
	// GetPublicKey, and one without a signing condition is not the least.
	old := iamStatement{Effect: "Allow", Action: []any{"kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"},
		Condition: map[string]map[string]any{"StringEquals": {"kms:SigningAlgorithm": "ECDSA_SHA_256"}}}
	if old.allows(awsCalls[0]) || !old.allows(awsCalls[1]) {
		t.Error("the evaluator misreads StringEquals on a key the request lacks")
	}
	for _, st := range policy.Statement {
		if slices.Contains(strings_(st.Action), "kms:Sign") && st.Condition["StringEquals"]["kms:SigningAlgorithm"] != "ECDSA_SHA_256" {
			t.Error("the documented policy lets kms:Sign use any algorithm; it should require ECDSA_SHA_256")
		}
	}
}
