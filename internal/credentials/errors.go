package credentials

import "errors"

// Sentinel errors, one per way a key input can be wrong. Each message names
// the fix; none ever contains key material. Use errors.Is to tell them apart.
var (
	ErrEmpty        = errors.New("no private key was given: set the private-key input (or --private-key / ASC_PRIVATE_KEY, --private-key-path / ASC_PRIVATE_KEY_PATH) to the contents of the .p8 file downloaded from App Store Connect (Users and Access > Integrations > App Store Connect API); on a pull request from a fork, repository secrets are empty")
	ErrRSAKey       = errors.New("this is an RSA key; App Store Connect keys are EC P-256 (.p8 files downloaded from Users and Access > Integrations > App Store Connect API)")
	ErrWrongCurve   = errors.New("this is an EC key on a curve other than P-256; App Store Connect keys are EC P-256 (.p8 files downloaded from Users and Access > Integrations > App Store Connect API)")
	ErrOtherKeyType = errors.New("this is not an EC key (for example Ed25519 or DSA); App Store Connect keys are EC P-256 .p8 files")
	ErrEncrypted    = errors.New("this key is encrypted with a passphrase; App Store Connect .p8 files are not: store the .p8 file exactly as downloaded (or decrypt it with `openssl pkcs8 -topk8 -nocrypt`)")
	ErrPublicKey    = errors.New("this is a public key; the private-key input needs the private key, the .p8 file downloaded from App Store Connect")
	ErrCertificate  = errors.New("this is a certificate, not a private key; the private-key input needs the .p8 file downloaded from App Store Connect (Users and Access > Integrations > App Store Connect API), not a signing certificate")
	ErrOpenSSH      = errors.New("this is an OpenSSH private key; App Store Connect keys are .p8 files (PKCS#8 PEM) downloaded from App Store Connect")
	ErrUnrecognized = errors.New("the value is not a private key in any form this tool reads (PEM, PEM with \\n escapes, base64 of the PEM, base64 of the DER key, or the PEM body alone); paste the whole .p8 file, including the -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- lines")
	ErrTruncated    = errors.New("the PEM block has a BEGIN line but no matching END line, or its body is not valid base64; the secret was probably truncated when it was pasted: paste the whole .p8 file again")
	ErrBadDER       = errors.New("the PEM block decodes but does not hold a valid key; the secret may be truncated or altered: paste the whole .p8 file again")
	ErrNoFile       = errors.New("the key file cannot be read; check the private-key-path input points to the .p8 file")
)
