package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/asc-action/asc-action/internal/httpx"
)

// AWS KMS: awskms:///alias/NAME, awskms:///KEY-ID or a key or alias ARN
// (awskms://HOST/... names another endpoint). Credentials come from the
// SDK's default chain (AWS_* variables, shared files, web identity, the
// instance role); AWS_ENDPOINT_URL_KMS points the client at another
// endpoint (local-kms in the tests). The signer calls kms:GetPublicKey once
// and kms:Sign (ECDSA_SHA_256) per token: the calls awsCalls lists.
func init() {
	register(&provider{
		scheme:      "awskms://",
		name:        "AWS KMS",
		format:      "awskms:///alias/NAME, awskms:///KEY-ID or awskms:///arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
		credentials: "aws-actions/configure-aws-credentials in an earlier step (role-to-assume with id-token: write), which sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION",
		expired:     "the role session ended before the step did: aws-actions/configure-aws-credentials' sessions last 1 hour unless role-duration-seconds is raised (up to the role's maximum session duration); raise it above the step's longest run (an upload waiting for processing renews its token through the KMS)",
		sign:        "kms:Sign",
		read:        "kms:GetPublicKey",
		valid:       validAWS,
		load:        loadAWS,
		classify:    classifyAWS,
	})
}

// awsCall is one call the signer makes: the action and the request's
// condition keys, for the policy test.
type awsCall struct {
	Action     string
	Conditions map[string]string
}

// awsCalls are the calls the AWS signer makes.
var awsCalls = []awsCall{
	{Action: "kms:GetPublicKey"},
	{Action: "kms:Sign", Conditions: map[string]string{"kms:SigningAlgorithm": string(types.SigningAlgorithmSpecEcdsaSha256), "kms:MessageType": string(types.MessageTypeDigest)}},
}

var (
	awsKeyID = `(?:mrk-)?[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}|(?:mrk-)?[A-Fa-f0-9]{32}`
	awsARN   = `arn:aws(?:-us-gov|-cn)?:kms:[a-z0-9-]+:\d{12}:`
	awsURI   = regexp.MustCompile(`^awskms://([^/]*)/(` + awsKeyID + `|` + awsARN + `key/(?:` + awsKeyID + `)|(?:` + awsARN + `)?alias/[A-Za-z0-9/_-]+)$`)
)

func validAWS(uri string) error {
	if !awsURI.MatchString(uri) {
		return errors.New("no key ID, key ARN, alias or alias ARN after awskms://[ENDPOINT]/")
	}
	return nil
}

type awsKey struct {
	client *awskms.Client
	keyID  string
}

func loadAWS(ctx context.Context, uri string) (backend, error) {
	m := awsURI.FindStringSubmatch(uri)
	endpoint, keyID := m[1], m[2]
	// The SDK's own client, so AWS_CA_BUNDLE still applies, with the
	// project's timeouts; answers are capped by capAWS.
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout, d.KeepAlive = httpx.DialTimeout, httpx.KeepAlive }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout = httpx.TLSHandshakeTimeout, httpx.APIHeaderTimeout
		})
	// The SDK's own log lines (a body it could not drain, say) would
	// bypass the step's output boundary: its errors say enough.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(hc), config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("loading AWS config: %w", err)
	}
	client := awskms.NewFromConfig(cfg, func(o *awskms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String("https://" + endpoint)
		}
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(capAWS, middleware.After)
		})
	})
	return &awsKey{client: client, keyID: keyID}, nil
}

// publicKey reads the public key and its usage: a P-256 key for key
// agreement, or one that cannot sign with ECDSA_SHA_256, is refused here
// rather than at its first signature.
func (a *awsKey) publicKey(ctx context.Context) (crypto.PublicKey, error) {
	out, err := a.client.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(a.keyID)})
	if err != nil {
		return nil, fmt.Errorf("getting the public key: %w", err)
	}
	if out.KeyUsage != "" && out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, wrongKey(fmt.Sprintf("its KeyUsage is %s, not SIGN_VERIFY (key spec %s)", out.KeyUsage, out.KeySpec))
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key: %w", err)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P256() && len(out.SigningAlgorithms) > 0 &&
		!slices.Contains(out.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256) {
		return nil, wrongKey(fmt.Sprintf("it cannot sign with ECDSA_SHA_256 (its signing algorithms: %v)", out.SigningAlgorithms))
	}
	return pub, nil // Open names any other type of key
}

// capAWS caps the body of each KMS answer at MaxAnswerBytes before the
// SDK's deserializer reads it.
var capAWS = middleware.DeserializeMiddlewareFunc("CapAnswer", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
		resp.Body = &cappedBody{rc: resp.Body, left: MaxAnswerBytes}
	}
	return out, md, err
})

func (a *awsKey) sign(ctx context.Context, digest []byte) ([]byte, error) {
	out, err := a.client.Sign(ctx, &awskms.SignInput{
		KeyId: aws.String(a.keyID), Message: digest, MessageType: types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return out.Signature, nil
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
		case "ExpiredTokenException", "ExpiredToken":
			return verdict{kind: ErrExpired}
		case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "IncompleteSignature":
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
