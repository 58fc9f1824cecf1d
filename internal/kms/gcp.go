package kms

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"

	gcpkms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// gcpClientOptions are added to the Cloud KMS client's options (the tests
// point it at a fake server).
var gcpClientOptions []option.ClientOption

// Google Cloud KMS: gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K
// (the newest enabled version) or .../cryptoKeyVersions/N. Credentials come
// from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, set
// by google-github-actions/auth to a file in the workspace). The client
// speaks gRPC: each answer is capped at MaxAnswerBytes by gRPC's receive
// limit, each call bounded by Timeout.
func init() {
	register(&provider{
		scheme:      "gcpkms://",
		name:        "Google Cloud KMS",
		format:      "gcpkms://projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY[/cryptoKeyVersions/N]",
		credentials: "google-github-actions/auth in an earlier step (workload_identity_provider with id-token: write), which writes a credentials file into the workspace and sets GOOGLE_APPLICATION_CREDENTIALS",
		expired:     "google-github-actions/auth's access tokens last 1 hour (its access_token_lifetime) unless the step uses its credentials file, which renews them; use the credentials file (the default), or raise access_token_lifetime above the step's longest run",
		sign:        "cloudkms.cryptoKeyVersions.useToSign",
		read:        "cloudkms.cryptoKeyVersions.viewPublicKey, cloudkms.cryptoKeys.get and cloudkms.cryptoKeyVersions.list (cloudkms.cryptoKeyVersions.get instead of .list for a .../cryptoKeyVersions/N URI)",
		valid:       validGCP,
		load:        loadGCP,
		classify:    classifyGCP,
	})
}

var gcpURI = regexp.MustCompile(`^gcpkms://(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+)(?:/(?:cryptoKeyVersions|versions)/(\d+))?$`)

func validGCP(uri string) error {
	if !gcpURI.MatchString(uri) {
		return errors.New("not projects/P/locations/L/keyRings/R/cryptoKeys/K with an optional /cryptoKeyVersions/N")
	}
	return nil
}

type gcpKey struct {
	client  *gcpkms.KeyManagementClient
	key     string // projects/.../cryptoKeys/K
	pinned  string // N of .../cryptoKeyVersions/N, or ""
	version string // the version's full name, once read
}

// gcpCall is a failed call and the permission it needs.
type gcpCall struct {
	permission string
	err        error
}

func (c *gcpCall) Error() string { return c.err.Error() }
func (c *gcpCall) Unwrap() error { return c.err }

func gcpFailed(permission, what string, err error) error {
	return &gcpCall{permission, fmt.Errorf("%s: %w", what, err)}
}

func loadGCP(ctx context.Context, uri string) (backend, error) {
	m := gcpURI.FindStringSubmatch(uri)
	opts := append([]option.ClientOption{
		option.WithGRPCDialOption(grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxAnswerBytes))),
	}, gcpClientOptions...)
	client, err := gcpkms.NewKeyManagementClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("new Cloud KMS client: %w", err)
	}
	return &gcpKey{client: client, key: m[1], pinned: m[2]}, nil
}

// publicKey reads the key (its purpose must be asymmetric signing), its
// version (the one the URI pins, else the newest enabled one), whose
// algorithm must be EC_SIGN_P256_SHA256, and its public key.
func (g *gcpKey) publicKey(ctx context.Context) (crypto.PublicKey, error) {
	key, err := g.client.GetCryptoKey(ctx, &kmspb.GetCryptoKeyRequest{Name: g.key})
	if err != nil {
		return nil, gcpFailed("cloudkms.cryptoKeys.get", "reading the key", err)
	}
	if key.Purpose != kmspb.CryptoKey_ASYMMETRIC_SIGN {
		return nil, wrongKey(fmt.Sprintf("its purpose is %s, not ASYMMETRIC_SIGN", key.Purpose))
	}
	kv, err := g.pickVersion(ctx)
	if err != nil {
		return nil, err
	}
	if kv.Algorithm != kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256 {
		return nil, wrongKey(fmt.Sprintf("version %d's algorithm is %s, not EC_SIGN_P256_SHA256", versionNumber(kv.Name), kv.Algorithm))
	}
	if kv.State != kmspb.CryptoKeyVersion_ENABLED {
		return nil, disabledKey(fmt.Sprintf("version %d is %s", versionNumber(kv.Name), kv.State))
	}
	pk, err := g.client.GetPublicKey(ctx, &kmspb.GetPublicKeyRequest{Name: kv.Name})
	if err != nil {
		return nil, gcpFailed("cloudkms.cryptoKeyVersions.viewPublicKey", "reading the public key", err)
	}
	block, _ := pem.Decode([]byte(pk.Pem))
	if block == nil {
		return nil, errors.New("reading the public key: the answer holds no PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key: %w", err)
	}
	g.version = kv.Name
	return pub, nil
}

func (g *gcpKey) pickVersion(ctx context.Context) (*kmspb.CryptoKeyVersion, error) {
	if g.pinned != "" {
		kv, err := g.client.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: g.key + "/cryptoKeyVersions/" + g.pinned})
		if err != nil {
			return nil, gcpFailed("cloudkms.cryptoKeyVersions.get", "reading the key version", err)
		}
		return kv, nil
	}
	it := g.client.ListCryptoKeyVersions(ctx, &kmspb.ListCryptoKeyVersionsRequest{Parent: g.key, Filter: "state=ENABLED"})
	var newest *kmspb.CryptoKeyVersion
	for {
		kv, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, gcpFailed("cloudkms.cryptoKeyVersions.list", "listing the key's versions", err)
		}
		if kv.State == kmspb.CryptoKeyVersion_ENABLED && (newest == nil || versionNumber(kv.Name) > versionNumber(newest.Name)) {
			newest = kv
		}
	}
	if newest == nil {
		return nil, disabledKey("the key has no enabled version")
	}
	return newest, nil
}

// versionNumber is N of a version's name .../cryptoKeyVersions/N (0 if none).
func versionNumber(name string) int {
	n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '/')+1:])
	return n
}

func (g *gcpKey) sign(ctx context.Context, digest []byte) ([]byte, error) {
	table := crc32.MakeTable(crc32.Castagnoli)
	resp, err := g.client.AsymmetricSign(ctx, &kmspb.AsymmetricSignRequest{
		Name:         g.version,
		Digest:       &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: digest}},
		DigestCrc32C: wrapperspb.Int64(int64(crc32.Checksum(digest, table))),
	})
	if err != nil {
		return nil, gcpFailed("cloudkms.cryptoKeyVersions.useToSign", "AsymmetricSign", err)
	}
	if !resp.VerifiedDigestCrc32C || resp.SignatureCrc32C == nil || int64(crc32.Checksum(resp.Signature, table)) != resp.SignatureCrc32C.Value {
		return nil, errors.New("AsymmetricSign: the request or the answer was corrupted in transit (CRC32C)")
	}
	return resp.Signature, nil
}

func classifyGCP(err error) verdict {
	msg := err.Error()
	perm := ""
	var call *gcpCall
	if errors.As(err, &call) {
		perm = call.permission
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.PermissionDenied:
			return verdict{ErrAccessDenied, perm}
		case codes.Unauthenticated:
			if strings.Contains(strings.ToLower(msg), "expired") {
				return verdict{kind: ErrExpired}
			}
			return verdict{kind: ErrNoCredentials}
		case codes.NotFound:
			return verdict{kind: ErrKeyNotFound}
		case codes.FailedPrecondition:
			return verdict{kind: ErrKeyDisabled}
		case codes.InvalidArgument:
			if strings.Contains(msg, "purpose") || strings.Contains(msg, "algorithm") {
				return verdict{kind: ErrWrongKeyType}
			}
		case codes.ResourceExhausted:
			if strings.Contains(msg, "larger than max") {
				return verdict{kind: ErrTooLarge}
			}
		case codes.Unavailable, codes.DeadlineExceeded:
			return verdict{kind: ErrUnavailable}
		}
	}
	if strings.Contains(msg, "could not find default credentials") || strings.Contains(msg, "credentials: ") {
		return verdict{kind: ErrNoCredentials}
	}
	return verdict{}
}
