package credentials

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// genKey returns a fresh key, its .p8 text and its PKCS#8 DER.
func genKey(t testing.TB) (*ecdsa.PrivateKey, string, []byte) {
	t.Helper()
	k := testkeys.New(t)
	return k.Private, k.PEM, k.DER
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestEveryFormYieldsTheSameKey(t *testing.T) {
	k, p8, der := genKey(t)
	sec1, _ := x509.MarshalECPrivateKey(k)
	body := strings.Join(strings.Split(strings.TrimSpace(p8), "\n")[1:4], "\n")
	dir := t.TempDir()
	file := filepath.Join(dir, "AuthKey_ABCDE12345.p8")
	if err := os.WriteFile(file, []byte(p8), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"pem as downloaded":        p8,
		"crlf":                     strings.ReplaceAll(p8, "\n", "\r\n"),
		"surrounding whitespace":   "\n\n  " + p8 + "  \n\t",
		"double quotes":            `"` + p8 + `"`,
		"single quotes":            "'" + strings.TrimSpace(p8) + "'",
		"literal \\n escapes":      strings.ReplaceAll(strings.TrimSpace(p8), "\n", `\n`),
		"quoted \\n escapes":       `"` + strings.ReplaceAll(strings.TrimSpace(p8), "\n", `\n`) + `"`,
		"literal \\r\\n escapes":   strings.ReplaceAll(strings.TrimSpace(p8), "\n", `\r\n`),
		"one line, spaces":         strings.ReplaceAll(strings.TrimSpace(p8), "\n", " "),
		"base64 of pem":            base64.StdEncoding.EncodeToString([]byte(p8)),
		"base64 of pem, wrapped":   wrap(base64.StdEncoding.EncodeToString([]byte(p8)), 76),
		"base64 of der":            base64.StdEncoding.EncodeToString(der),
		"raw url base64 of der":    base64.RawURLEncoding.EncodeToString(der),
		"pem body without armour":  body,
		"sec1 pem":                 pemOf("EC PRIVATE KEY", sec1),
		"base64 of sec1 der":       base64.StdEncoding.EncodeToString(sec1),
		"file path as the value":   file,
		"pem after a stray prefix": "key: " + p8,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(context.Background(), in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !got.Private.Equal(k) {
				t.Fatal("parsed a different key")
			}
			if len(got.Secrets()) == 0 {
				t.Fatal("no secrets to mask")
			}
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestLoadFromFileTakesKeyIDFromName(t *testing.T) {
	k, p8, _ := genKey(t)
	dir := t.TempDir()
	for _, tc := range []struct{ name, wantID string }{
		{"AuthKey_ABCDE12345.p8", "ABCDE12345"},
		{"key.p8", ""},
		{"AuthKey_short.p8", ""},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(p8), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Load(context.Background(), "", path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !got.Private.Equal(k) || got.KeyIDFromFileName != tc.wantID {
			t.Errorf("%s: key equal=%v, id=%q want %q", tc.name, got.Private.Equal(k), got.KeyIDFromFileName, tc.wantID)
		}
	}
	if _, err := Load(context.Background(), "", filepath.Join(dir, "missing.p8")); !errors.Is(err, ErrNoFile) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Parse(context.Background(), filepath.Join(dir, "AuthKey_MISSING123.p8")); !errors.Is(err, ErrNoFile) || !strings.Contains(err.Error(), "AuthKey_MISSING123.p8") {
		t.Errorf("value naming a missing file: %v", err)
	}
	if _, err := Load(context.Background(), "  ", ""); !errors.Is(err, ErrEmpty) {
		t.Errorf("nothing given: %v", err)
	}
}

func TestBadFormsGetTheirOwnError(t *testing.T) {
	_, p8, der := genKey(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaPKCS8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384der, _ := x509.MarshalPKCS8PrivateKey(p384)
	p384sec1, _ := x509.MarshalECPrivateKey(p384)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 legacy encrypted PEM is what some people have.
	legacy, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, []byte("pw"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	openssh, err := ssh.MarshalPrivateKey(ec, "")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(p8), "\n")
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"blank", "  \n\t ", ErrEmpty},
		{"rsa pkcs1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), ErrRSAKey},
		{"rsa pkcs8", pemOf("PRIVATE KEY", rsaPKCS8), ErrRSAKey},
		{"rsa pkcs8 base64", base64.StdEncoding.EncodeToString(rsaPKCS8), ErrRSAKey},
		{"p384 pkcs8", pemOf("PRIVATE KEY", p384der), ErrWrongCurve},
		{"p384 sec1", pemOf("EC PRIVATE KEY", p384sec1), ErrWrongCurve},
		{"ed25519", pemOf("PRIVATE KEY", edDER), ErrOtherKeyType},
		{"encrypted pkcs8 label", pemOf("ENCRYPTED PRIVATE KEY", der), ErrEncrypted},
		{"legacy encrypted pem", string(pem.EncodeToMemory(legacy)), ErrEncrypted},
		{"public key", pemOf("PUBLIC KEY", pubDER), ErrPublicKey},
		{"public key base64", base64.StdEncoding.EncodeToString(pubDER), ErrPublicKey},
		{"certificate", pemOf("CERTIFICATE", certDER), ErrCertificate},
		{"openssh", string(pem.EncodeToMemory(openssh)), ErrOpenSSH},
		{"garbage", "hello, this is not a key at all!", ErrUnrecognized},
		{"short", "abc", ErrUnrecognized},
		{"truncated pem", strings.Join(lines[:2], "\n"), ErrTruncated},
		{"pem with bad body", lines[0] + "\n!!!!notbase64!!!!\n" + lines[len(lines)-1], ErrTruncated},
		{"pem with cut body", lines[0] + "\n" + lines[1] + "\n" + lines[len(lines)-1], ErrBadDER},
		{"base64 of garbage", base64.StdEncoding.EncodeToString([]byte("this is some text that is not DER")), ErrUnrecognized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(context.Background(), tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			assertNoMaterial(t, err.Error(), tc.in, p8)
		})
	}
}

// assertNoMaterial fails when msg holds any line of an input longer than a
// few characters (a message may name a form, never repeat the value).
func assertNoMaterial(t *testing.T, msg string, inputs ...string) {
	t.Helper()
	for _, in := range inputs {
		for _, line := range strings.Split(in, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 12 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
				t.Fatalf("error message contains input material: %q", msg)
			}
		}
	}
}

func TestSecretsCoverEveryDerivedForm(t *testing.T) {
	k, p8, der := genKey(t)
	in := "  " + strings.ReplaceAll(p8, "\n", "\r\n")
	got, err := Parse(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	secrets := strings.Join(got.Secrets(), "\x00")
	must := []string{base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString([]byte(p8)), strings.ReplaceAll(strings.TrimSpace(p8), "\n", `\n`)}
	for _, line := range strings.Split(strings.TrimSpace(p8), "\n") {
		if !strings.HasPrefix(line, "-----") && len(line) >= minSecretLen {
			must = append(must, line)
		}
	}
	d, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	must = append(must, base64.StdEncoding.EncodeToString(d))
	for _, m := range must {
		if !strings.Contains(secrets, m) {
			t.Errorf("mask list lacks a derived form (%d chars)", len(m))
		}
	}
	for _, s := range got.Secrets() {
		if strings.HasPrefix(s, "-----") && !strings.Contains(s, `\n`) {
			t.Errorf("armour line would be masked: %q", s)
		}
		if len(s) < minSecretLen {
			t.Errorf("too short a mask: %d chars", len(s))
		}
	}
	if fp := got.Fingerprint(); !strings.HasPrefix(fp, "SHA256:") || len(fp) != 7+64 {
		t.Errorf("fingerprint = %q", fp)
	}
}

func FuzzParse(f *testing.F) {
	_, p8, der := genKey(f)
	f.Add(p8)
	f.Add(base64.StdEncoding.EncodeToString(der))
	f.Add(strings.ReplaceAll(p8, "\n", `\n`))
	f.Add("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----")
	f.Add(`"'` + "`x`'\"")
	f.Fuzz(func(t *testing.T, in string) {
		k, err := Parse(context.Background(), in)
		if err == nil && (k.Private == nil || k.Private.Curve != elliptic.P256()) {
			t.Fatal("accepted a value without a P-256 key")
		}
		if err != nil && k != nil {
			t.Fatal("returned a key with an error")
		}
	})
}

// A mistyped KMS URI is not a key: the error says how KMS URIs are written,
// and never quotes the value.
func TestNearMissKMSURIsSayHowToWriteOne(t *testing.T) {
	for _, v := range []string{"awskms:/alias/release", "kms://projects/p/keys/k", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd", "AWSKMS:alias/x"} {
		_, err := Parse(context.Background(), v)
		if !errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "awskms://") || strings.Contains(err.Error(), v) {
			t.Errorf("Parse(%q) = %v; want ErrUnrecognized listing the KMS schemes, without the value", v, err)
		}
	}
	if _, err := Parse(context.Background(), "not a key at all"); err == nil || strings.Contains(err.Error(), "awskms://") {
		t.Errorf("a value that is no URI: %v; want no KMS advice", err)
	}
}

// A KMS URI names a key and is not masked, unless it carries credentials
// (user information, a query, a fragment): then the whole value and each
// such part are masked before it is read, and opening it fails without
// printing them.
func TestKMSURIWithCredentialsIsMasked(t *testing.T) {
	if got := MaskFirst("awskms:///alias/app-store-connect"); len(got) != 0 {
		t.Errorf("a plain KMS URI is masked: %q", got)
	}
	if got := MaskFirst("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----"); len(got) != 1 {
		t.Errorf("key material: %d masks, want the value", len(got))
	}
	for _, uri := range []string{
		"hashivault://vaultuser:s3cretpassword@vault.example.com/asc",
		"awskms:///alias/asc?X-Amz-Security-Token=s3cretpassword",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k#s3cretpassword",
		` "azurekms://s3cretpassword@v.vault.azure.net/k" `,
	} {
		masks := strings.Join(MaskFirst(uri), "\x00")
		if !strings.Contains(masks, strings.TrimSpace(uri)) || !strings.Contains("\x00"+masks+"\x00", "\x00s3cretpassword\x00") &&
			!strings.Contains(masks, "=s3cretpassword") {
			t.Errorf("MaskFirst(%q) = %q", uri, masks)
		}
		_, err := Parse(context.Background(), uri)
		if err == nil || strings.Contains(err.Error(), "s3cretpassword") {
			t.Errorf("Parse(%q) = %v", uri, err)
		}
	}
}
