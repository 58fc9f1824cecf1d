package localfile

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
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
