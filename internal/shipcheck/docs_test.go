package shipcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v4"

	"github.com/asc-action/asc-action/internal/credentials"
	"github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/expiry"
	"github.com/asc-action/asc-action/internal/expiry/ghrepo"
	"github.com/asc-action/asc-action/internal/relay"
	"github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/upload"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// slug is GitHub's anchor for a heading: lower case, punctuation other
// than hyphens and underscores dropped, spaces turned into hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	headingRe = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	linkRe    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	fenceRe   = regexp.MustCompile("(?ms)^```.*?^```")
)

// TestDocsLinks checks every link in the docs this package's owner keeps:
// in-page anchors name a heading, relative links name a file.
func TestDocsLinks(t *testing.T) {
	r := root(t)
	for _, doc := range []string{"docs/troubleshooting.md", "docs/migration.md", "docs/security.md", "docs/releasing.md", "docs/key-custody.md", "docs/emulator.md"} {
		t.Run(doc, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(r, doc))
			if err != nil {
				t.Fatal(err)
			}
			text := fenceRe.ReplaceAllString(string(b), "")
			anchors := map[string]bool{}
			for _, m := range headingRe.FindAllStringSubmatch(text, -1) {
				anchors[slug(m[1])] = true
			}
			for _, m := range linkRe.FindAllStringSubmatch(text, -1) {
				link := m[1]
				switch {
				case strings.HasPrefix(link, "http://"), strings.HasPrefix(link, "https://"):
				case strings.HasPrefix(link, "#"):
					if !anchors[link[1:]] {
						t.Errorf("link %s names no heading", link)
					}
				default:
					file, _, _ := strings.Cut(link, "#")
					if _, err := os.Stat(filepath.Join(r, filepath.Dir(doc), filepath.FromSlash(file))); err != nil {
						t.Errorf("link %s names no file", link)
					}
				}
			}
		})
	}
}

// TestTroubleshootingQuotesTheCode holds the troubleshooting page to the
// code: each key, token, upload and expiry error's message must appear
// there word for word, so a changed message cannot leave the page behind.
func TestTroubleshootingQuotesTheCode(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	errs := []error{
		credentials.ErrEmpty, credentials.ErrRSAKey, credentials.ErrWrongCurve, credentials.ErrOtherKeyType,
		credentials.ErrEncrypted, credentials.ErrPublicKey, credentials.ErrCertificate, credentials.ErrOpenSSH,
		credentials.ErrUnrecognized, credentials.ErrTruncated, credentials.ErrBadDER, credentials.ErrNoFile,
		token.ErrKeyID, token.ErrIssuerID, token.ErrKeyType, token.ErrScope,
		upload.ErrBuildExists, upload.ErrAppNotFound, upload.ErrUploadFailed, upload.ErrBuildInvalid,
		upload.ErrTimeout, upload.ErrStateUnknown, upload.ErrTransfer, upload.ErrConfig,
		ipa.ErrNotZip, ipa.ErrOpen, ipa.ErrNoApp, ipa.ErrMissingKey, ipa.ErrPackageNeedsVersions, ipa.ErrUnknownPlatform,
		expiry.ErrIndividualKey, expiry.ErrThresholds, ghrepo.ErrForbidden, ghrepo.ErrBadRepository,
		distribute.ErrNotPermitted, distribute.ErrBuildNotFound, distribute.ErrAmbiguousBuild, distribute.ErrWaitTimeout,
		relay.ErrNoSignature, relay.ErrMalformedSignature, relay.ErrBadSignature,
	}
	for _, e := range errs {
		if !strings.Contains(page, e.Error()) {
			t.Errorf("docs/troubleshooting.md does not quote %q", e.Error())
		}
	}
	// Messages built from inputs: check them as the code renders them.
	built := []func() error{
		func() error { _, err := token.ParseKeyID("abcde12345"); return err },
		func() error { _, err := token.ParseKeyType("admin", ""); return err },
		func() error { _, err := token.ParseKeyType("team", ""); return err },
		func() error { _, err := token.ParseScope("apps"); return err },
		func() error { _, err := token.ParseLifetime("soon"); return err },
	}
	for _, f := range built {
		if err := f(); err == nil {
			t.Errorf("a bad value was accepted")
		} else if !strings.Contains(page, err.Error()) {
			t.Errorf("docs/troubleshooting.md does not quote %q", err.Error())
		}
	}
}

var (
	tickRe = regexp.MustCompile("`([^`]+)`")
	nameRe = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
)

// TestMigrationNamesExist checks the asc-action column of every table in
// docs/migration.md against action.yml: each input (or output) named there
// exists, so the page cannot send anyone to a misspelt or removed input.
func TestMigrationNamesExist(t *testing.T) {
	r := root(t)
	b, err := os.ReadFile(filepath.Join(r, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(r, "docs", "migration.md"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(fenceRe.ReplaceAllString(string(doc), ""), "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[2]), "---") || strings.TrimSpace(cells[2]) == "asc-action" {
			continue
		}
		col := strings.TrimSpace(cells[2])
		known := action.Inputs
		if strings.HasPrefix(col, "output") {
			known = action.Outputs
		}
		for _, m := range tickRe.FindAllStringSubmatch(col, -1) {
			name, _, _ := strings.Cut(m[1], ":")
			if name = strings.TrimSpace(name); !nameRe.MatchString(name) {
				continue
			}
			checked++
			if _, ok := known[name]; !ok {
				t.Errorf("docs/migration.md maps to %q, which action.yml does not declare (row: %s)", name, line)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d names checked; the tables' layout may have changed", checked)
	}
}
