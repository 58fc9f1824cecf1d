package kms

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"
	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/aws"
)

// AWS KMS: awskms:///alias/NAME, awskms:///KEY-ID or a key or alias ARN.
// Credentials come from the SDK's default chain (AWS_* variables, shared
// files, web identity, the instance role); AWS_ENDPOINT_URL_KMS points the
// client at another endpoint (local-kms in the tests).
func init() {
	register(&provider{
		scheme:      "awskms://",
		name:        "AWS KMS",
		format:      "awskms:///alias/NAME, awskms:///KEY-ID or awskms:///arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
		credentials: "aws-actions/configure-aws-credentials in an earlier step (role-to-assume with id-token: write), which sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION",
		sign:        "kms:Sign",
		read:        "kms:GetPublicKey and kms:DescribeKey",
		valid:       aws.ValidReference,
		load: func(ctx context.Context, uri string) (sigkms.SignerVerifier, error) {
			return aws.LoadSignerVerifier(ctx, uri)
		},
		classify: classifyAWS,
	})
}

func classifyAWS(err error) verdict {
	perm := ""
	var op *smithy.OperationError
	if errors.As(err, &op) {
		perm = "kms:" + op.OperationName
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDeniedException":
			return verdict{ErrAccessDenied, perm}
		case "NotFoundException":
			return verdict{kind: ErrKeyNotFound}
		case "DisabledException", "KMSInvalidStateException":
			return verdict{kind: ErrKeyDisabled}
		case "InvalidKeyUsageException", "UnsupportedOperationException":
			return verdict{kind: ErrWrongKeyType}
		case "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken":
			return verdict{kind: ErrNoCredentials}
		}
	}
	msg := err.Error()
	for _, s := range []string{"failed to refresh cached credentials", "failed to retrieve credentials", "no EC2 IMDS role found", "AnonymousCredentials"} {
		if strings.Contains(msg, s) {
			return verdict{kind: ErrNoCredentials}
		}
	}
	if strings.Contains(msg, "Invalid region") || strings.Contains(msg, "not resolve an endpoint") || strings.Contains(msg, "region") && strings.Contains(msg, "required") {
		return verdict{kind: ErrNoCredentials}
	}
	return verdict{}
}
