package kms

import (
	"context"
	"strings"

	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gcpClientOptions are added to the Cloud KMS client's options (the tests
// point it at a fake server).
var gcpClientOptions []option.ClientOption

// Google Cloud KMS: gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K
// (the newest enabled version) or .../cryptoKeyVersions/N. Credentials come
// from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, set
// by google-github-actions/auth to a file in the workspace).
func init() {
	register(&provider{
		scheme:      "gcpkms://",
		name:        "Google Cloud KMS",
		format:      "gcpkms://projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY[/cryptoKeyVersions/N]",
		credentials: "google-github-actions/auth in an earlier step (workload_identity_provider with id-token: write), which writes a credentials file into the workspace and sets GOOGLE_APPLICATION_CREDENTIALS",
		sign:        "cloudkms.cryptoKeyVersions.useToSign",
		read:        "cloudkms.cryptoKeyVersions.viewPublicKey, cloudkms.cryptoKeys.get and cloudkms.cryptoKeyVersions.list",
		valid:       gcp.ValidReference,
		load: func(ctx context.Context, uri string) (sigkms.SignerVerifier, error) {
			return gcp.LoadSignerVerifier(ctx, uri, gcpClientOptions...)
		},
		classify: classifyGCP,
	})
}

func classifyGCP(err error) verdict {
	msg := err.Error()
	perm := ""
	switch {
	case strings.Contains(msg, "AsymmetricSign"):
		perm = "cloudkms.cryptoKeyVersions.useToSign"
	case strings.Contains(msg, "public key"):
		perm = "cloudkms.cryptoKeyVersions.viewPublicKey"
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.PermissionDenied:
			return verdict{ErrAccessDenied, perm}
		case codes.Unauthenticated:
			return verdict{kind: ErrNoCredentials}
		case codes.NotFound:
			return verdict{kind: ErrKeyNotFound}
		case codes.FailedPrecondition:
			return verdict{kind: ErrKeyDisabled}
		case codes.InvalidArgument:
			if strings.Contains(msg, "purpose") || strings.Contains(msg, "algorithm") {
				return verdict{kind: ErrWrongKeyType}
			}
		case codes.Unavailable, codes.DeadlineExceeded:
			return verdict{kind: ErrUnavailable}
		}
	}
	switch {
	case strings.Contains(msg, "could not find default credentials"), strings.Contains(msg, "credentials: "):
		return verdict{kind: ErrNoCredentials}
	case strings.Contains(msg, "cannot be used to sign"):
		return verdict{kind: ErrWrongKeyType}
	case strings.Contains(msg, "unable to find an enabled key version"):
		return verdict{kind: ErrKeyDisabled}
	}
	return verdict{}
}
