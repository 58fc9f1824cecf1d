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
	e, ok := readCreate(w, r, "bundleIds", "identifier", "name", "platform")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.data.BundleIDs, func(b BundleID) bool { return b.Identifier == e.str("identifier") }) {
		duplicateAttr(w, "identifier", e.str("identifier"))
		return
	}
	b := BundleID{ID: newUUID(), Identifier: e.str("identifier"), Name: e.str("name"), Platform: e.str("platform"), SeedID: "EMULATOR01"}
	s.data.BundleIDs = append(s.data.BundleIDs, b)
	s.writeState(w, r, http.StatusCreated, "bundleIds", b.ID)
}

func (s *Server) deleteBundleID(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "bundleIds", func(id string) bool {
		return removeFrom(&s.data.BundleIDs, id, func(b BundleID) string { return b.ID })
	})
}

// createCertificate issues a certificate for a CSR (csrContent is required
// but not examined), valid for a year, as Apple's are.
func (s *Server) createCertificate(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readCreate(w, r, "certificates", "csrContent", "certificateType")
	if !ok {
		return
	}
	serial := make([]byte, 8)
	_, _ = rand.Read(serial)
	s.mu.Lock()
	defer s.mu.Unlock()
	typ := e.str("certificateType")
	c := Certificate{ID: newUUID(), CertificateType: typ, Name: "Emulator " + strings.ReplaceAll(typ, "_", " "),
		DisplayName: "Emulator", SerialNumber: strings.ToUpper(hex.EncodeToString(serial)), Platform: "IOS",
		ExpirationDate: s.now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)}
	s.data.Certificates = append(s.data.Certificates, c)
	s.writeState(w, r, http.StatusCreated, "certificates", c.ID)
}

func (s *Server) deleteCertificate(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "certificates", func(id string) bool {
		return removeFrom(&s.data.Certificates, id, func(c Certificate) string { return c.ID })
	})
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readCreate(w, r, "profiles", "name", "profileType")
	if !ok {
		return
	}
	bundle, ok := e.requiredOne(w, "bundleId", "bundleIds")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.data.BundleIDs, func(b BundleID) bool { return b.ID == bundle.ID }) {
		writeNoSuchRelated(w, "bundleId", bundle)
		return
	}
	certs := e.many("certificates")
	for _, c := range certs {
		if !slices.ContainsFunc(s.data.Certificates, func(x Certificate) bool { return x.ID == c }) {
			writeNoSuchRelated(w, "certificates", &linkage{Type: "certificates", ID: c})
			return
		}
	}
	now := s.now().UTC().Truncate(time.Second)
	p := Profile{ID: newUUID(), Name: e.str("name"), ProfileType: e.str("profileType"), ProfileState: "ACTIVE", Platform: "IOS",
		UUID: newUUID(), CreatedDate: now, ExpirationDate: now.Add(365 * 24 * time.Hour), BundleID: bundle.ID, Certificates: certs}
	s.data.Profiles = append(s.data.Profiles, p)
	s.writeState(w, r, http.StatusCreated, "profiles", p.ID)
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "profiles", func(id string) bool {
		return removeFrom(&s.data.Profiles, id, func(p Profile) string { return p.ID })
	})
}

func (s *Server) createAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readCreate(w, r, "appStoreVersions", "platform", "versionString")
	if !ok {
		return
	}
	app, ok := e.requiredOne(w, "app", "apps")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findApp(app.ID); !ok {
		writeNoSuchRelated(w, "app", app)
		return
	}
	if slices.ContainsFunc(s.data.AppStoreVersions, func(v AppStoreVersion) bool {
		return v.App == app.ID && v.VersionString == e.str("versionString") && platformOr(v.Platform) == e.str("platform")
	}) {
		duplicateAttr(w, "versionString", e.str("versionString"))
		return
	}
	v := AppStoreVersion{ID: newUUID(), App: app.ID, VersionString: e.str("versionString"), Platform: e.str("platform"),
		ReleaseType: e.str("releaseType"), CreatedDate: s.now()}
	if b := e.one("build"); b != nil {
		v.Build = b.ID
	}
	s.data.AppStoreVersions = append(s.data.AppStoreVersions, v)
	s.writeState(w, r, http.StatusCreated, "appStoreVersions", v.ID)
}

func (s *Server) updateAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readEntity(w, r, "appStoreVersions", true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.data.AppStoreVersions, func(v AppStoreVersion) bool { return v.ID == e.Data.ID })
	if i < 0 {
		writeNotFound(w, "appStoreVersions", e.Data.ID)
		return
	}
	v := &s.data.AppStoreVersions[i]
	if x := e.str("versionString"); x != "" {
		v.VersionString = x
	}
	if x := e.str("releaseType"); x != "" {
		v.ReleaseType = x
	}
	if b := e.one("build"); b != nil {
		if _, ok := s.findBuild(b.ID); !ok {
			writeNoSuchRelated(w, "build", b)
			return
		}
		v.Build = b.ID
	}
	s.writeState(w, r, http.StatusOK, "appStoreVersions", v.ID)
}

func (s *Server) deleteAppStoreVersion(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "appStoreVersions", func(id string) bool {
		return removeFrom(&s.data.AppStoreVersions, id, func(v AppStoreVersion) string { return v.ID })
	})
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
	e, ok := readCreate(w, r, "appStoreVersionLocalizations", "locale")
	if !ok {
		return
	}
	ver, ok := e.requiredOne(w, "appStoreVersion", "appStoreVersions")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.data.AppStoreVersions, func(v AppStoreVersion) bool { return v.ID == ver.ID }) {
		writeNoSuchRelated(w, "appStoreVersion", ver)
		return
	}
	if slices.ContainsFunc(s.data.AppStoreVersionLocalizations, func(l AppStoreVersionLocalization) bool {
		return l.AppStoreVersion == ver.ID && strings.EqualFold(l.Locale, e.str("locale"))
	}) {
		duplicateAttr(w, "locale", e.str("locale"))
		return
	}
	l := AppStoreVersionLocalization{ID: newUUID(), AppStoreVersion: ver.ID, Locale: e.str("locale")}
	l.setTexts(e)
	s.data.AppStoreVersionLocalizations = append(s.data.AppStoreVersionLocalizations, l)
	s.writeState(w, r, http.StatusCreated, "appStoreVersionLocalizations", l.ID)
}

func (s *Server) updateAppStoreVersionLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	e, ok := readEntity(w, r, "appStoreVersionLocalizations", true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.data.AppStoreVersionLocalizations, func(l AppStoreVersionLocalization) bool { return l.ID == e.Data.ID })
	if i < 0 {
		writeNotFound(w, "appStoreVersionLocalizations", e.Data.ID)
		return
	}
	s.data.AppStoreVersionLocalizations[i].setTexts(e)
	s.writeState(w, r, http.StatusOK, "appStoreVersionLocalizations", e.Data.ID)
}

func (s *Server) deleteAppStoreVersionLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.deleteState(w, r, "appStoreVersionLocalizations", func(id string) bool {
		return removeFrom(&s.data.AppStoreVersionLocalizations, id, func(l AppStoreVersionLocalization) string { return l.ID })
	})
}
