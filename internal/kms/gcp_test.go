package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"hash/crc32"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// fakeCloudKMS is Google Cloud KMS's gRPC service, as much of it as the
// signer calls: the key, its enabled versions, the public key, signing.
type fakeCloudKMS struct {
	kmspb.UnimplementedKeyManagementServiceServer
	key     *ecdsa.PrivateKey
	pubPEM  string
	purpose kmspb.CryptoKey_CryptoKeyPurpose
	algo    kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	fail    map[string]error // method -> error
	signs   atomic.Int32
}

const gcpKeyName = "projects/p/locations/global/keyRings/release/cryptoKeys/asc"

func (f *fakeCloudKMS) GetCryptoKey(_ context.Context, r *kmspb.GetCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	if err := f.fail["GetCryptoKey"]; err != nil {
		return nil, err
	}
	if r.Name != gcpKeyName {
		return nil, status.Errorf(codes.NotFound, "CryptoKey %s not found.", r.Name)
	}
	return &kmspb.CryptoKey{Name: r.Name, Purpose: f.purpose}, nil
}

func (f *fakeCloudKMS) ListCryptoKeyVersions(_ context.Context, r *kmspb.ListCryptoKeyVersionsRequest) (*kmspb.ListCryptoKeyVersionsResponse, error) {
	if err := f.fail["ListCryptoKeyVersions"]; err != nil {
		return nil, err
	}
	return &kmspb.ListCryptoKeyVersionsResponse{CryptoKeyVersions: []*kmspb.CryptoKeyVersion{{
		Name: r.Parent + "/cryptoKeyVersions/1", State: kmspb.CryptoKeyVersion_ENABLED, Algorithm: f.algo}}, TotalSize: 1}, nil
}

func (f *fakeCloudKMS) GetCryptoKeyVersion(_ context.Context, r *kmspb.GetCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	if err := f.fail["GetCryptoKeyVersion"]; err != nil {
		return nil, err
	}
	if r.Name != gcpKeyName+"/cryptoKeyVersions/1" {
		return nil, status.Errorf(codes.NotFound, "CryptoKeyVersion %s not found.", r.Name)
	}
	return &kmspb.CryptoKeyVersion{Name: r.Name, State: kmspb.CryptoKeyVersion_ENABLED, Algorithm: f.algo}, nil
}

func (f *fakeCloudKMS) GetPublicKey(_ context.Context, r *kmspb.GetPublicKeyRequest) (*kmspb.PublicKey, error) {
	if err := f.fail["GetPublicKey"]; err != nil {
		return nil, err
	}
	return &kmspb.PublicKey{Name: r.Name, Pem: f.pubPEM, Algorithm: f.algo}, nil
}

func (f *fakeCloudKMS) AsymmetricSign(_ context.Context, r *kmspb.AsymmetricSignRequest) (*kmspb.AsymmetricSignResponse, error) {
	f.signs.Add(1)
	if err := f.fail["AsymmetricSign"]; err != nil {
		return nil, err
	}
	digest := r.GetDigest().GetSha256()
	table := crc32.MakeTable(crc32.Castagnoli)
	if len(digest) != 32 || r.DigestCrc32C == nil || int64(crc32.Checksum(digest, table)) != r.DigestCrc32C.Value {
		return nil, status.Error(codes.InvalidArgument, "bad digest")
	}
	sig, _ := ecdsa.SignASN1(rand.Reader, f.key, digest)
	return &kmspb.AsymmetricSignResponse{Signature: sig, SignatureCrc32C: wrapperspb.Int64(int64(crc32.Checksum(sig, table))), VerifiedDigestCrc32C: true, Name: r.Name}, nil
}

func startFakeCloudKMS(t *testing.T, f *fakeCloudKMS) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	kmspb.RegisterKeyManagementServiceServer(srv, f)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	saved := gcpClientOptions
	gcpClientOptions = []option.ClientOption{option.WithEndpoint(ln.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))}
	t.Cleanup(func() { gcpClientOptions = saved })
}

func TestGoogleCloudKMS(t *testing.T) {
	key := testkeys.New(t).Private
	newFake := func() *fakeCloudKMS {
		return &fakeCloudKMS{key: key, pubPEM: pemOf(t, &key.PublicKey), purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN, algo: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256}
	}
	uri := "gcpkms://" + gcpKeyName

	t.Run("signs", func(t *testing.T) {
		startFakeCloudKMS(t, newFake())
		s, err := Open(context.Background(), uri)
		if err != nil {
			t.Fatal(err)
		}
		signAndCheck(t, s, &key.PublicKey)
	})

	cases := []struct {
		name   string
		change func(*fakeCloudKMS)
		uri    string
		kind   error
		want   string
		signs  int32 // AsymmetricSign calls expected
	}{
		{"sign denied", func(f *fakeCloudKMS) {
			f.fail = map[string]error{"AsymmetricSign": status.Error(codes.PermissionDenied, "Permission 'cloudkms.cryptoKeyVersions.useToSign' denied")}
		}, uri, ErrAccessDenied, "grant cloudkms.cryptoKeyVersions.useToSign", 1},
		{"public key denied", func(f *fakeCloudKMS) {
			f.fail = map[string]error{"GetPublicKey": status.Error(codes.PermissionDenied, "Permission 'cloudkms.cryptoKeyVersions.viewPublicKey' denied")}
		}, uri, ErrAccessDenied, "grant cloudkms.cryptoKeyVersions.viewPublicKey", 0},
		{"no such key", nil, "gcpkms://projects/p/locations/global/keyRings/release/cryptoKeys/other", ErrKeyNotFound, "no such key", 0},
		{"version destroyed", func(f *fakeCloudKMS) {
			f.fail = map[string]error{"AsymmetricSign": status.Error(codes.FailedPrecondition, "CryptoKeyVersion is not enabled, current state is: DESTROYED.")}
		}, uri, ErrKeyDisabled, "enable the key", 1},
		{"encryption key", func(f *fakeCloudKMS) { f.purpose = kmspb.CryptoKey_ENCRYPT_DECRYPT }, uri, ErrWrongKeyType, "P-256 signing key", 0},
		{"unauthenticated", func(f *fakeCloudKMS) {
			f.fail = map[string]error{"GetCryptoKey": status.Error(codes.Unauthenticated, "Request had invalid authentication credentials.")}
		}, uri, ErrNoCredentials, "google-github-actions/auth", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.change != nil {
				tc.change(f)
			}
			startFakeCloudKMS(t, f)
			openAndSign(t, tc.uri, tc.kind, tc.want)
			if n := f.signs.Load(); n != tc.signs {
				t.Errorf("AsymmetricSign called %d times, want %d: a permanent refusal must not be retried", n, tc.signs)
			}
		})
	}

	// A URI pinned to a version reads that version (GetCryptoKeyVersion,
	// which needs cloudkms.cryptoKeyVersions.get), not the list.
	t.Run("pinned version signs", func(t *testing.T) {
		f := newFake()
		f.fail = map[string]error{"ListCryptoKeyVersions": status.Error(codes.PermissionDenied, "Permission 'cloudkms.cryptoKeyVersions.list' denied")}
		startFakeCloudKMS(t, f)
		s, err := Open(context.Background(), uri+"/cryptoKeyVersions/1")
		if err != nil {
			t.Fatal(err)
		}
		signAndCheck(t, s, &key.PublicKey)
	})
	t.Run("pinned version denied", func(t *testing.T) {
		f := newFake()
		f.fail = map[string]error{"GetCryptoKeyVersion": status.Error(codes.PermissionDenied, "Permission 'cloudkms.cryptoKeyVersions.get' denied")}
		startFakeCloudKMS(t, f)
		openAndSign(t, uri+"/cryptoKeyVersions/1", ErrAccessDenied, "grant cloudkms.cryptoKeyVersions.get on this key")
	})
	t.Run("secp256k1 key", func(t *testing.T) {
		f := newFake()
		f.algo = kmspb.CryptoKeyVersion_EC_SIGN_SECP256K1_SHA256
		startFakeCloudKMS(t, f)
		openAndSign(t, uri, ErrWrongKeyType, "EC_SIGN_SECP256K1_SHA256")
		if f.signs.Load() != 0 {
			t.Error("a secp256k1 key was asked to sign")
		}
	})

	// An answer past kms.MaxAnswerBytes is refused by gRPC's receive limit.
	t.Run("huge answer", func(t *testing.T) {
		f := newFake()
		f.pubPEM = strings.Repeat("A", 2<<20)
		startFakeCloudKMS(t, f)
		openAndSign(t, uri, ErrTooLarge, "kms.MaxAnswerBytes")
	})

	t.Run("P-384 key", func(t *testing.T) {
		f := newFake()
		f.algo = kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384
		k384 := p384(t)
		f.pubPEM = pemOf(t, &k384.PublicKey)
		startFakeCloudKMS(t, f)
		_, err := Open(context.Background(), uri)
		if !errors.Is(err, ErrWrongKeyType) || !strings.Contains(err.Error(), "EC_SIGN_P384_SHA384") {
			t.Fatal(err)
		}
	})
}
