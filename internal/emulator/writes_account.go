package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Provisioning (bundle IDs, certificates, profiles) and App Store versions
// with their localizations: created, changed and deleted in the state.

func (s *Server) createBundleID(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "bundleIds", attrs: []string{"identifier", "name", "platform"}, unique: "identifier",
		taken: func(e *entity, _ *linkage) bool {
			return slices.ContainsFunc(s.data.BundleIDs, func(b BundleID) bool { return b.Identifier == e.str("identifier") })
		}},
		func(e *entity, _ *linkage) string {
			return add(&s.data.BundleIDs, BundleID{ID: newUUID(), Identifier: e.str("identifier"), Name: e.str("name"),
				Platform: e.str("platform"), SeedID: "EMULATOR01"})
		})
}

func (s *Server) deleteBundleID(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "bundleIds", func(id string) bool { return removeFrom(&s.data.BundleIDs, id) })
}

// createCertificate issues a certificate for a CSR (csrContent is required
// but not examined), valid for a year, as Apple's are.
func (s *Server) createCertificate(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "certificates", attrs: []string{"csrContent", "certificateType"}}, func(e *entity, _ *linkage) string {
		serial := make([]byte, 8)
		_, _ = rand.Read(serial)
		typ := e.str("certificateType")
		return add(&s.data.Certificates, Certificate{ID: newUUID(), CertificateType: typ,
			Name: "Emulator " + strings.ReplaceAll(typ, "_", " "), DisplayName: "Emulator",
			SerialNumber: strings.ToUpper(hex.EncodeToString(serial)), Platform: "IOS",
			ExpirationDate: s.now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)})
	})
}

func (s *Server) deleteCertificate(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "certificates", func(id string) bool { return removeFrom(&s.data.Certificates, id) })
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "profiles", attrs: []string{"name", "profileType"},
		one:  relation{"bundleId", "bundleIds", in(&s.data.BundleIDs)},
		many: relation{"certificates", "certificates", in(&s.data.Certificates)}},
		func(e *entity, bundle *linkage) string {
			now := s.now().UTC().Truncate(time.Second)
			return add(&s.data.Profiles, Profile{ID: newUUID(), Name: e.str("name"), ProfileType: e.str("profileType"),
				ProfileState: "ACTIVE", Platform: "IOS", UUID: newUUID(), CreatedDate: now, ExpirationDate: now.Add(365 * 24 * time.Hour),
				BundleID: bundle.ID, Certificates: e.many("certificates")})
		})
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "profiles", func(id string) bool { return removeFrom(&s.data.Profiles, id) })
}

func (s *Server) createAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "appStoreVersions", attrs: []string{"platform", "versionString"},
		one: relation{"app", "apps", in(&s.data.Apps)}, unique: "versionString",
		optional: relation{"build", "builds", func(id string) bool { _, ok := s.findBuild(id); return ok }},
		taken: func(e *entity, app *linkage) bool {
			return slices.ContainsFunc(s.data.AppStoreVersions, func(v AppStoreVersion) bool {
				return v.App == app.ID && v.VersionString == e.str("versionString") && platformOr(v.Platform) == e.str("platform")
			})
		}},
		func(e *entity, app *linkage) string {
			v := AppStoreVersion{ID: newUUID(), App: app.ID, VersionString: e.str("versionString"), Platform: e.str("platform"),
				ReleaseType: e.str("releaseType"), CreatedDate: s.now()}
			if b := e.one("build"); b != nil {
				v.Build = b.ID
			}
			return add(&s.data.AppStoreVersions, v)
		})
}

func (s *Server) updateAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	update(s, w, r, "appStoreVersions", &s.data.AppStoreVersions, func(e *entity, v *AppStoreVersion) bool {
		if x := e.str("versionString"); x != "" {
			v.VersionString = x
		}
		if x := e.str("releaseType"); x != "" {
			v.ReleaseType = x
		}
		if b := e.one("build"); b != nil {
			if _, ok := s.findBuild(b.ID); !ok {
				writeNoSuchRelated(w, "build", b)
				return false
			}
			v.Build = b.ID
		}
		return true
	})
}

func (s *Server) deleteAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "appStoreVersions", func(id string) bool { return removeFrom(&s.data.AppStoreVersions, id) })
}

// localizationTexts are the attributes of a version's localization a
// create or update may set.
func (l *AppStoreVersionLocalization) setTexts(e *entity) {
	for name, field := range map[string]*string{"description": &l.Description, "keywords": &l.Keywords,
		"whatsNew": &l.WhatsNew, "promotionalText": &l.PromotionalText} {
		if v, ok := e.Data.Attributes[name].(string); ok {
			*field = v
		}
	}
}

func (s *Server) createAppStoreVersionLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.create(w, r, creation{typ: "appStoreVersionLocalizations", attrs: []string{"locale"},
		one: relation{"appStoreVersion", "appStoreVersions", in(&s.data.AppStoreVersions)}, unique: "locale",
		taken: func(e *entity, ver *linkage) bool {
			return slices.ContainsFunc(s.data.AppStoreVersionLocalizations, func(l AppStoreVersionLocalization) bool {
				return l.AppStoreVersion == ver.ID && strings.EqualFold(l.Locale, e.str("locale"))
			})
		}},
		func(e *entity, ver *linkage) string {
			l := AppStoreVersionLocalization{ID: newUUID(), AppStoreVersion: ver.ID, Locale: e.str("locale")}
			l.setTexts(e)
			return add(&s.data.AppStoreVersionLocalizations, l)
		})
}

func (s *Server) updateAppStoreVersionLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	update(s, w, r, "appStoreVersionLocalizations", &s.data.AppStoreVersionLocalizations, func(e *entity, l *AppStoreVersionLocalization) bool {
		l.setTexts(e)
		return true
	})
}

func (s *Server) deleteAppStoreVersionLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "appStoreVersionLocalizations", func(id string) bool {
		return removeFrom(&s.data.AppStoreVersionLocalizations, id)
	})
}
