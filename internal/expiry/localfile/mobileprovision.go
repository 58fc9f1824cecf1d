package localfile

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"go.mozilla.org/pkcs7"
	"howett.net/plist"

	"github.com/asc-action/asc-action/internal/expiry"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// ProvisioningProfile is what the audit reports about a .mobileprovision.
type ProvisioningProfile struct {
	Name           string
	UUID           string
	TeamName       string
	TeamIdentifier []string
	CreationDate   time.Time
	ExpirationDate time.Time
	// Certificates are the DeveloperCertificates the profile allows to sign.
	Certificates []DeveloperCertificate
}

// DeveloperCertificate is one certificate embedded in a profile.
type DeveloperCertificate struct {
	CommonName   string
	SerialNumber string // hexadecimal
	NotAfter     time.Time
}

// profilePlist is the part of the profile's plist the audit reads.
type profilePlist struct {
	Name                  string    `plist:"Name"`
	UUID                  string    `plist:"UUID"`
	TeamName              string    `plist:"TeamName"`
	TeamIdentifier        []string  `plist:"TeamIdentifier"`
	CreationDate          time.Time `plist:"CreationDate"`
	ExpirationDate        time.Time `plist:"ExpirationDate"`
	DeveloperCertificates [][]byte  `plist:"DeveloperCertificates"`
}

const malformedProfileHint = "is not a readable provisioning profile (a CMS-signed property list, as downloaded from the Apple Developer site or found in an .ipa at Payload/*.app/embedded.mobileprovision)"

// ParseMobileProvision reads a .mobileprovision: the CMS (PKCS#7) signed
// data around a property list. The signature is not verified; the file is
// read for its dates only.
func ParseMobileProvision(data []byte) (*ProvisioningProfile, error) {
	return parseMobileProvision(InputMobileProvision, data)
}

func parseMobileProvision(input string, data []byte) (*ProvisioningProfile, error) {
	if len(data) > maxFileSize {
		return nil, newError(input, ErrTooLarge, "is larger than 4 MiB; a provisioning profile is a few kilobytes, check that the right file was given", nil)
	}
	content, err := signedContent(data)
	if err != nil {
		return nil, newError(input, ErrMalformed, malformedProfileHint, err)
	}
	var pl profilePlist
	if err := unmarshalPlist(content, &pl); err != nil {
		return nil, newError(input, ErrMalformed, malformedProfileHint+": its property list does not parse", err)
	}
	if pl.ExpirationDate.IsZero() {
		return nil, newError(input, ErrMalformed, malformedProfileHint+": it has no ExpirationDate", nil)
	}
	p := &ProvisioningProfile{
		Name:           pl.Name,
		UUID:           pl.UUID,
		TeamName:       pl.TeamName,
		TeamIdentifier: pl.TeamIdentifier,
		CreationDate:   pl.CreationDate,
		ExpirationDate: pl.ExpirationDate,
	}
	for _, der := range pl.DeveloperCertificates {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, newError(input, ErrMalformed, malformedProfileHint+": one of its DeveloperCertificates does not parse", err)
		}
		p.Certificates = append(p.Certificates, DeveloperCertificate{
			CommonName:   c.Subject.CommonName,
			SerialNumber: strings.ToUpper(c.SerialNumber.Text(16)),
			NotAfter:     c.NotAfter,
		})
	}
	return p, nil
}

// signedContent returns the signed content, turning a panic in the parser
// on hostile input into an error.
func signedContent(data []byte) (content []byte, err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("pkcs7: parser panicked on malformed input")
		}
	}()
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, err
	}
	if len(p7.Content) == 0 {
		return nil, errors.New("pkcs7: no signed content")
	}
	return p7.Content, nil
}

func unmarshalPlist(data []byte, v any) (err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("plist: decoder panicked on malformed input")
		}
	}()
	_, err = plist.Unmarshal(data, v)
	return err
}

// ReadMobileProvision reads the `mobileprovision` input, which is either a
// path to the file or its base64 text.
func ReadMobileProvision(pathOrBase64 string) (*ProvisioningProfile, error) {
	s := strings.TrimSpace(pathOrBase64)
	if s == "" {
		return nil, newError(InputMobileProvision, ErrNotFound, "is empty; give a path to the .mobileprovision or its base64 text", nil)
	}
	if fi, err := os.Stat(s); err == nil && fi.Mode().IsRegular() {
		data, err := readFileLimited(s)
		if err != nil {
			return nil, newError(InputMobileProvision, ErrNotFound, "names a file that cannot be read; check the path and the file's permissions", err)
		}
		return parseMobileProvision(InputMobileProvision, data)
	}
	data, err := DecodeBase64(InputMobileProvision, s)
	if err != nil {
		return nil, newError(InputMobileProvision, ErrNotFound, "is neither the path of an existing file nor base64 text; give the path of the .mobileprovision (relative to the workspace) or its base64 text", err)
	}
	return parseMobileProvision(InputMobileProvision, data)
}

func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// ReadIPAProfile reads the provisioning profile embedded in an .ipa at
// Payload/<App>.app/embedded.mobileprovision.
func ReadIPAProfile(ipaPath string) (*ProvisioningProfile, error) {
	data, err := EmbeddedProfile(ipaPath)
	if err != nil {
		return nil, err
	}
	return parseMobileProvision(InputIPA, data)
}

// EmbeddedProfile returns the bytes of Payload/<App>.app/embedded.mobileprovision
// inside the .ipa at ipaPath.
func EmbeddedProfile(ipaPath string) ([]byte, error) {
	// A FIFO would block the open until a writer came, a device would be
	// read without end: only a regular file is opened.
	if fi, err := os.Stat(ipaPath); err == nil && !fi.Mode().IsRegular() {
		return nil, newError(InputIPA, ErrMalformed, fmt.Sprintf("is %s, not a regular file; give the path of the exported .ipa", ipa.FileKind(fi.Mode())), nil)
	}
	zr, err := zip.OpenReader(ipaPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, newError(InputIPA, ErrNotFound, "names no file; check the path to the .ipa", err)
		}
		return nil, newError(InputIPA, ErrMalformed, "is not a readable .ipa (zip archive); give the path of the exported .ipa", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		if base != "embedded.mobileprovision" || !isAppBundleDir(dir) {
			continue
		}
		if f.UncompressedSize64 > maxFileSize {
			return nil, newError(InputIPA, ErrTooLarge, "holds an embedded.mobileprovision larger than 4 MiB; check the .ipa", nil)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, newError(InputIPA, ErrMalformed, "holds an embedded.mobileprovision that cannot be read", err)
		}
		defer rc.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, io.LimitReader(rc, maxFileSize+1)); err != nil {
			return nil, newError(InputIPA, ErrMalformed, "holds an embedded.mobileprovision that cannot be read", err)
		}
		if buf.Len() > maxFileSize {
			return nil, newError(InputIPA, ErrTooLarge, "holds an embedded.mobileprovision larger than 4 MiB; check the .ipa", nil)
		}
		return buf.Bytes(), nil
	}
	return nil, newError(InputIPA, ErrNotFound, "has no Payload/<App>.app/embedded.mobileprovision; was it built for the simulator or unsigned? Give an .ipa exported for distribution", nil)
}

// isAppBundleDir reports whether dir is exactly "Payload/<name>.app/".
func isAppBundleDir(dir string) bool {
	rest, ok := strings.CutPrefix(dir, "Payload/")
	if !ok {
		return false
	}
	app, ok := strings.CutSuffix(rest, ".app/")
	return ok && app != "" && !strings.Contains(app, "/")
}

// Items reports the profile and each of its developer certificates as
// unclassified expiry Items.
func (p *ProvisioningProfile) Items() []expiry.Item {
	name := p.Name
	if name == "" {
		name = "provisioning profile"
	}
	team := p.TeamName
	if len(p.TeamIdentifier) > 0 {
		team = strings.TrimSpace(team + " (" + strings.Join(p.TeamIdentifier, ", ") + ")")
	}
	it := expiry.Item{Kind: expiry.KindMobileProvision, Name: name, ID: p.UUID, ExpiresAt: p.ExpirationDate}
	if team != "" {
		it.Type = "team " + team
	}
	items := []expiry.Item{it}
	for _, c := range p.Certificates {
		items = append(items, expiry.Item{
			Kind:      expiry.KindMobileProvision,
			Name:      c.CommonName,
			ID:        c.SerialNumber,
			Type:      "certificate in " + name,
			ExpiresAt: c.NotAfter,
		})
	}
	return items
}
