package localfile

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"howett.net/plist"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/asc-action/asc-action/internal/expiry"
	"github.com/asc-action/asc-action/internal/expiry/localfile/localfiletest"
)

var notAfter = time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)

func TestP12(t *testing.T) {
	key, cert := localfiletest.Cert(t, "Apple Distribution: Example Co (TEAM123456)", "TEAM123456", 0xABCDEF, notAfter)
	const password = "s3cret-Pa55word"
	encoders := map[string]*pkcs12.Encoder{
		"modern":     pkcs12.Modern,
		"modern2026": pkcs12.Modern2026,
		"legacy-des": pkcs12.LegacyDES,
		"legacy-rc2": pkcs12.LegacyRC2,
	}
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			der, err := enc.Encode(key, cert, nil, password)
			if err != nil {
				t.Fatal(err)
			}
			b64 := base64.StdEncoding.EncodeToString(der)
			// Wrapped over lines, as `base64` prints it.
			var wrapped strings.Builder
			for i := 0; i < len(b64); i += 76 {
				wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\n")
			}
			p, err := ReadP12Base64(wrapped.String(), password)
			if err != nil {
				t.Fatal(err)
			}
			if p.CommonName != "Apple Distribution: Example Co (TEAM123456)" || p.Team != "TEAM123456" || !p.NotAfter.Equal(notAfter) || p.SerialNumber != "ABCDEF" {
				t.Errorf("got %+v", p)
			}
			it := p.Item()
			if it.Kind != expiry.KindP12 || it.Name != p.CommonName || !it.ExpiresAt.Equal(notAfter) || it.Type != "team TEAM123456" {
				t.Errorf("item %+v", it)
			}

			_, err = ReadP12Base64(b64, "not-the-password")
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: %v", err)
			}
			noLeak(t, err, password, "not-the-password", b64[:16], b64[len(b64)-16:])
		})
	}
}

func TestP12Errors(t *testing.T) {
	key, cert := localfiletest.Cert(t, "c", "T", 1, notAfter)
	good, err := pkcs12.Modern.Encode(key, cert, nil, "pw-Value-1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "  \n", ErrNotBase64},
		{"not base64", "this is -- not base64 ***", ErrNotBase64},
		{"a path", "./certs/dist.p12", ErrNotBase64},
		{"random bytes", base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuvwxyz")), ErrMalformed},
		{"truncated", base64.StdEncoding.EncodeToString(good[:len(good)/2]), ErrMalformed},
		{"a PEM certificate", base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadP12Base64(tt.input, "pw-Value-1")
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Input != InputP12 || !strings.HasPrefix(err.Error(), "p12-base64: ") {
				t.Errorf("error does not name the input: %v", err)
			}
			leak := []string{"pw-Value-1"}
			if s := strings.TrimSpace(tt.input); len(s) >= 12 {
				leak = append(leak, s[:12])
			}
			noLeak(t, err, leak...)
		})
	}
}

// noLeak fails when the printed message holds any of the secrets.
func noLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error message leaks input (%d chars of it)", len(s))
		}
	}
}

// newProfile builds a signed .mobileprovision as Apple ships them.
func newProfile(t testing.TB, exp time.Time, devCerts ...*x509.Certificate) []byte {
	t.Helper()
	var ders [][]byte
	for _, c := range devCerts {
		ders = append(ders, c.Raw)
	}
	pl := map[string]any{
		"AppIDName":             "Example",
		"Name":                  "Example App Store",
		"UUID":                  "6b1f0c1e-0000-4000-8000-000000000001",
		"TeamName":              "Example Co",
		"TeamIdentifier":        []string{"TEAM123456"},
		"CreationDate":          exp.AddDate(-1, 0, 0),
		"ExpirationDate":        exp,
		"DeveloperCertificates": ders,
		"Entitlements":          map[string]any{"application-identifier": "TEAM123456.com.example.app"},
		"Version":               1,
	}
	content, err := plist.MarshalIndent(pl, plist.XMLFormat, "\t")
	if err != nil {
		t.Fatal(err)
	}
	return localfiletest.SignProfile(t, content)
}

func TestMobileProvision(t *testing.T) {
	profExp := time.Date(2026, 12, 24, 10, 30, 0, 0, time.UTC)
	_, dev1 := localfiletest.Cert(t, "Apple Distribution: Example Co (TEAM123456)", "TEAM123456", 0x10, notAfter)
	_, dev2 := localfiletest.Cert(t, "Apple Development: Dev (ABC)", "TEAM123456", 0x20, profExp.AddDate(0, 1, 0))
	data := newProfile(t, profExp, dev1, dev2)

	check := func(t *testing.T, p *ProvisioningProfile, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Example App Store" || p.UUID != "6b1f0c1e-0000-4000-8000-000000000001" || p.TeamName != "Example Co" ||
			len(p.TeamIdentifier) != 1 || p.TeamIdentifier[0] != "TEAM123456" || !p.ExpirationDate.Equal(profExp) {
			t.Errorf("profile %+v", p)
		}
		if len(p.Certificates) != 2 || !p.Certificates[0].NotAfter.Equal(notAfter) || p.Certificates[1].SerialNumber != "20" ||
			p.Certificates[0].CommonName != "Apple Distribution: Example Co (TEAM123456)" {
			t.Errorf("certificates %+v", p.Certificates)
		}
		items := p.Items()
		if len(items) != 3 || items[0].Kind != expiry.KindMobileProvision || !items[0].ExpiresAt.Equal(profExp) || items[0].ID != p.UUID ||
			items[0].Type != "team Example Co (TEAM123456)" || !items[1].ExpiresAt.Equal(notAfter) || items[2].Type != "certificate in Example App Store" {
			t.Errorf("items %+v", items)
		}
	}

	t.Run("bytes", func(t *testing.T) {
		p, err := ParseMobileProvision(data)
		check(t, p, err)
	})
	t.Run("path", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "x.mobileprovision")
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := ReadMobileProvision(f)
		check(t, p, err)
	})
	t.Run("base64", func(t *testing.T) {
		p, err := ReadMobileProvision(base64.StdEncoding.EncodeToString(data) + "\n")
		check(t, p, err)
	})
	t.Run("ipa", func(t *testing.T) {
		// A decoy profile of an app extension comes first in the archive.
		decoy := newProfile(t, profExp.AddDate(1, 0, 0))
		ipa := writeIPA(t, map[string][]byte{
			"Payload/Example.app/PlugIns/Widget.appex/embedded.mobileprovision": decoy,
			"Payload/Example.app/Info.plist":                                    []byte("<plist/>"),
			"Payload/Example.app/embedded.mobileprovision":                      data,
		}, []string{"Payload/Example.app/PlugIns/Widget.appex/embedded.mobileprovision", "Payload/Example.app/Info.plist", "Payload/Example.app/embedded.mobileprovision"})
		p, err := ReadIPAProfile(ipa)
		check(t, p, err)
	})
}

func writeIPA(t *testing.T, files map[string][]byte, order []string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "App.ipa")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMobileProvisionErrors(t *testing.T) {
	good := newProfile(t, notAfter)
	noDate, err := plist.Marshal(map[string]any{"Name": "x"}, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	_, badCertHolder := localfiletest.Cert(t, "x", "y", 1, notAfter)
	badCert, err := plist.Marshal(map[string]any{"Name": "x", "ExpirationDate": notAfter, "DeveloperCertificates": [][]byte{badCertHolder.Raw[:20]}}, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want error
		hint string
	}{
		{"empty", nil, ErrMalformed, "CMS-signed"},
		{"plain plist, unsigned", noDate, ErrMalformed, "CMS-signed"},
		{"truncated", good[:len(good)/2], ErrMalformed, "CMS-signed"},
		{"signed but not a plist", localfiletest.SignProfile(t, []byte("SECRET-CONTENT not a plist {{{")), ErrMalformed, "does not parse"},
		{"no expiration date", localfiletest.SignProfile(t, noDate), ErrMalformed, "no ExpirationDate"},
		{"bad developer certificate", localfiletest.SignProfile(t, badCert), ErrMalformed, "DeveloperCertificates"},
		{"too large", make([]byte, maxFileSize+1), ErrTooLarge, "4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMobileProvision(tt.data)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.hint) || !strings.HasPrefix(err.Error(), "mobileprovision: ") {
				t.Fatalf("error %v, want %v mentioning %q", err, tt.want, tt.hint)
			}
			noLeak(t, err, "SECRET-CONTENT")
		})
	}

	t.Run("neither path nor base64", func(t *testing.T) {
		_, err := ReadMobileProvision("./missing/profile.mobileprovision")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "neither the path") {
			t.Fatalf("error %v", err)
		}
		noLeak(t, err, "missing/profile")
	})
	t.Run("ipa without profile", func(t *testing.T) {
		ipa := writeIPA(t, map[string][]byte{"Payload/A.app/Info.plist": []byte("x"), "embedded.mobileprovision": good},
			[]string{"Payload/A.app/Info.plist", "embedded.mobileprovision"})
		_, err := ReadIPAProfile(ipa)
		if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "ipa-path: ") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("ipa not a zip", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "x.ipa")
		if err := os.WriteFile(f, good, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadIPAProfile(f)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("ipa missing", func(t *testing.T) {
		_, err := ReadIPAProfile(filepath.Join(t.TempDir(), "none.ipa"))
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("error %v", err)
		}
	})
}

func TestIsAppBundleDir(t *testing.T) {
	tests := map[string]bool{
		"Payload/A.app/":                 true,
		"Payload/My App.app/":            true,
		"Payload/.app/":                  false,
		"Payload/A.app/PlugIns/W.appex/": false,
		"Payload/X/A.app/":               false,
		"A.app/":                         false,
		"":                               false,
	}
	for dir, want := range tests {
		t.Run(dir, func(t *testing.T) {
			if got := isAppBundleDir(dir); got != want {
				t.Errorf("got %v", got)
			}
		})
	}
}

func FuzzParseMobileProvision(f *testing.F) {
	_, dev := localfiletest.Cert(f, "Apple Distribution: X", "T", 3, notAfter)
	good := newProfile(f, notAfter, dev)
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte{})
	f.Add([]byte("<?xml version=\"1.0\"?><plist><dict/></plist>"))
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseMobileProvision(data)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "mobileprovision: ") {
				t.Fatalf("error is not an *Error naming the input: %v", err)
			}
			return
		}
		if p.ExpirationDate.IsZero() {
			t.Fatal("accepted a profile without ExpirationDate")
		}
		_ = p.Items()
	})
}

// lowerIterationBound keeps each fuzz execution under a few milliseconds:
// the bound is what is being tested, not its value.
func lowerIterationBound(f *testing.F) {
	old := maxP12Iterations
	maxP12Iterations = 4096
	f.Cleanup(func() { maxP12Iterations = old })
}

// fuzzPassword marks the passwords of the fuzz seeds, which no error may
// repeat (a fuzzed password without it may be a word an error holds).
const fuzzPassword = "Fz-p12-Pass-7"

func p12Seeds(f *testing.F) [][]byte {
	key, cert := localfiletest.Cert(f, "Apple Distribution: X (T)", "T", 7, notAfter)
	var out [][]byte
	for _, enc := range []*pkcs12.Encoder{pkcs12.Modern, pkcs12.LegacyRC2} {
		der, err := enc.Encode(key, cert, nil, fuzzPassword)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, der, der[:len(der)/2])
	}
	return append(out, nil, []byte{0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x03}, []byte("0123456789abcdefghij"))
}

// checkP12 holds DecodeP12's contract on any input: an *Error naming
// p12-base64 that repeats no password, or a certificate with a date.
func checkP12(t *testing.T, p *P12, err error, password string) {
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) || fe.Input != InputP12 || !strings.HasPrefix(err.Error(), "p12-base64: ") {
			t.Fatalf("error is not an *Error naming the input: %v", err)
		}
		if strings.HasPrefix(password, "Fz-") && strings.Contains(err.Error(), password) {
			t.Fatal("the error repeats the password")
		}
		return
	}
	if p.NotAfter.IsZero() {
		t.Fatal("accepted a .p12 whose certificate has no NotAfter")
	}
	if it := p.Item(); it.Kind != expiry.KindP12 || !it.ExpiresAt.Equal(p.NotAfter) {
		t.Fatalf("item %+v", it)
	}
}

// A .p12 asking for more key-derivation iterations than maxP12Iterations
// is refused before the library runs them (found by FuzzDecodeP12: a
// mutated count held one decode for hours).
func TestP12IterationBound(t *testing.T) {
	key, cert := localfiletest.Cert(t, "c", "T", 1, notAfter)
	for _, enc := range []*pkcs12.Encoder{pkcs12.LegacyRC2, pkcs12.Modern} {
		ok, err := enc.WithIterations(int(maxP12Iterations/100)).Encode(key, cert, nil, "pw-Value-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeP12(ok, "pw-Value-1"); err != nil {
			t.Errorf("%d iterations refused: %v", maxP12Iterations/100, err)
		}
		// The encoder's own bound is an int; write a larger count into the
		// DER where the MAC's iteration count is, as a corrupt file would.
		bad, err := enc.WithIterations(2048).Encode(key, cert, nil, "pw-Value-1")
		if err != nil {
			t.Fatal(err)
		}
		bad = setMacIterations(t, bad, 1<<40)
		// Without the bound this call does not return for hours.
		_, err = DecodeP12(bad, "pw-Value-1")
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "iterations") {
			t.Errorf("2^40 iterations: %v; want ErrMalformed naming the iterations", err)
		}
	}
}

// setMacIterations rewrites the MacData iteration count of a PFX.
func setMacIterations(t *testing.T, der []byte, n int64) []byte {
	t.Helper()
	var pfx struct {
		Version  int
		AuthSafe asn1.RawValue
		MacData  struct {
			Mac        asn1.RawValue
			MacSalt    []byte
			Iterations int64
		}
	}
	if _, err := asn1.Unmarshal(der, &pfx); err != nil {
		t.Fatal(err)
	}
	pfx.MacData.Iterations = n
	out, err := asn1.Marshal(pfx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzDecodeP12: a .p12 from a secret is untrusted bytes; whatever they
// hold, DecodeP12 returns a certificate or a clear error, never a panic.
func FuzzDecodeP12(f *testing.F) {
	lowerIterationBound(f)
	for _, der := range p12Seeds(f) {
		f.Add(der, fuzzPassword)
		f.Add(der, "")
	}
	f.Fuzz(func(t *testing.T, der []byte, password string) {
		p, err := DecodeP12(der, password)
		checkP12(t, p, err, password)
	})
}

// FuzzReadP12Base64: the p12-base64 input as pasted (any base64 alphabet,
// wrapped, or not base64 at all).
func FuzzReadP12Base64(f *testing.F) {
	lowerIterationBound(f)
	for _, der := range p12Seeds(f) {
		f.Add(base64.StdEncoding.EncodeToString(der), fuzzPassword)
		f.Add(base64.RawURLEncoding.EncodeToString(der), fuzzPassword)
	}
	f.Add("  \n", "")
	f.Add("./certs/dist.p12", fuzzPassword)
	f.Add("====", fuzzPassword)
	f.Fuzz(func(t *testing.T, b64, password string) {
		p, err := ReadP12Base64(b64, password)
		checkP12(t, p, err, password)
	})
}
