package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// TestFlight: beta groups (seeded from the data file, internal and
// external), the builds in them, beta build localizations ("What to Test"),
// the export-compliance answer on builds, and beta app review submissions.
// All of it lives in Data, so a data file can seed any of it.

// BetaGroup is a TestFlight group of an app (Apple's `betaGroups`). Builds
// lists the IDs of the builds added to it.
type BetaGroup struct {
	ID                     string    `json:"id"`
	App                    string    `json:"app"`
	Name                   string    `json:"name"`
	IsInternalGroup        bool      `json:"isInternalGroup,omitempty"`
	HasAccessToAllBuilds   bool      `json:"hasAccessToAllBuilds,omitempty"`
	PublicLinkEnabled      bool      `json:"publicLinkEnabled,omitempty"`
	PublicLinkLimitEnabled bool      `json:"publicLinkLimitEnabled,omitempty"`
	PublicLinkLimit        int       `json:"publicLinkLimit,omitempty"`
	FeedbackEnabled        bool      `json:"feedbackEnabled,omitempty"`
	CreatedDate            time.Time `json:"createdDate,omitzero"`
	Builds                 []string  `json:"builds,omitempty"`
}

// BetaBuildLocalization is a build's "What to Test" text in one locale
// (Apple's `betaBuildLocalizations`).
type BetaBuildLocalization struct {
	ID       string `json:"id"`
	Build    string `json:"build"`
	Locale   string `json:"locale"`
	WhatsNew string `json:"whatsNew,omitempty"`
}

// BetaAppReviewSubmission is a build's submission to beta app review
// (Apple's `betaAppReviewSubmissions`). State is WAITING_FOR_REVIEW,
// IN_REVIEW, REJECTED or APPROVED.
type BetaAppReviewSubmission struct {
	ID            string    `json:"id"`
	Build         string    `json:"build"`
	State         string    `json:"betaReviewState"`
	SubmittedDate time.Time `json:"submittedDate,omitzero"`
}

var betaReviewStates = set("WAITING_FOR_REVIEW", "IN_REVIEW", "REJECTED", "APPROVED")

// TestFlight access levels, after those in auth.go.
const (
	AccessTestFlightRead Access = AccessUpload + 1 + iota // read beta groups, notes, review submissions
	AccessTestFlight                                      // add builds to groups, edit notes, answer compliance, submit for review
)

// Roles allowed to read TestFlight data (AccessTestFlightRead), and to
// change it (AccessTestFlight: add builds to groups, edit notes, answer
// export compliance, submit for review). Finance, Sales, Customer Support
// and Access to Reports keys are refused, as in App Store Connect.
var (
	testflightReaders  = set(RoleAdmin, RoleAccountHolder, RoleAppManager, RoleDeveloper, RoleMarketing)
	testflightManagers = set(RoleAdmin, RoleAccountHolder, RoleAppManager)
)

// testflightAllowed is Allowed for the TestFlight access levels.
func testflightAllowed(role string, a Access) bool {
	if a == AccessTestFlight {
		return testflightManagers[role]
	}
	return testflightReaders[role]
}

// validateTestFlight checks the TestFlight part of Data against the apps
// and builds (IDs known, unique, enumerations Apple's).
func (d *Data) validateTestFlight(apps, builds map[string]bool) error {
	seen := map[string]bool{}
	for i, g := range d.BetaGroups {
		if g.ID == "" || g.Name == "" {
			return invalidData("betaGroups[%d]: id and name are required", i)
		}
		if !apps[g.App] {
			return invalidData("betaGroups[%d]: app %q is not among the apps", i, g.App)
		}
		if err := firstUse(seen, "betaGroups", i, g.ID); err != nil {
			return err
		}
		for _, b := range g.Builds {
			if !builds[b] {
				return invalidData("betaGroups[%d]: build %q is not among the builds", i, b)
			}
		}
	}
	seen = map[string]bool{}
	for i, l := range d.BetaBuildLocalizations {
		if l.ID == "" || l.Locale == "" || !builds[l.Build] {
			return invalidData("betaBuildLocalizations[%d]: id, locale and a known build are required", i)
		}
		if err := firstUse(seen, "betaBuildLocalizations", i, l.ID); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, s := range d.BetaAppReviewSubmissions {
		if s.ID == "" || !builds[s.Build] {
			return invalidData("betaAppReviewSubmissions[%d]: id and a known build are required", i)
		}
		if !betaReviewStates[s.State] {
			return invalidData("betaAppReviewSubmissions[%d]: betaReviewState %q is not WAITING_FOR_REVIEW, IN_REVIEW, REJECTED or APPROVED", i, s.State)
		}
		if seen[s.Build] {
			return invalidData("betaAppReviewSubmissions[%d]: build %q is submitted twice", i, s.Build)
		}
		seen[s.Build] = true
	}
	return nil
}

// cloneTestFlight deep-copies the TestFlight part of d into c.
func (d *Data) cloneTestFlight(c *Data) {
	c.BetaGroups = make([]BetaGroup, len(d.BetaGroups))
	for i, g := range d.BetaGroups {
		g.Builds = slices.Clone(g.Builds)
		c.BetaGroups[i] = g
	}
	c.BetaBuildLocalizations = slices.Clone(d.BetaBuildLocalizations)
	c.BetaAppReviewSubmissions = slices.Clone(d.BetaAppReviewSubmissions)
}

// defaultBetaGroups are DefaultData's groups: one internal, one external.
func defaultBetaGroups(now time.Time) []BetaGroup {
	return []BetaGroup{
		{ID: "GROUP00001", App: "1000000001", Name: "Internal Testers", IsInternalGroup: true, FeedbackEnabled: true, CreatedDate: now.Add(-60 * 24 * time.Hour)},
		{ID: "GROUP00002", App: "1000000001", Name: "Public Beta", PublicLinkEnabled: true, PublicLinkLimitEnabled: true, PublicLinkLimit: 1000, FeedbackEnabled: true, CreatedDate: now.Add(-30 * 24 * time.Hour)},
	}
}

type betaGroupAttributes struct {
	Name                   string `json:"name"`
	CreatedDate            string `json:"createdDate,omitempty"`
	IsInternalGroup        bool   `json:"isInternalGroup"`
	HasAccessToAllBuilds   bool   `json:"hasAccessToAllBuilds"`
	PublicLinkEnabled      bool   `json:"publicLinkEnabled"`
	PublicLinkID           string `json:"publicLinkId,omitempty"`
	PublicLinkLimitEnabled bool   `json:"publicLinkLimitEnabled"`
	PublicLinkLimit        int    `json:"publicLinkLimit,omitempty"`
	PublicLink             string `json:"publicLink,omitempty"`
	FeedbackEnabled        bool   `json:"feedbackEnabled"`
}

func betaGroupResource(r *http.Request, g BetaGroup) resource {
	a := betaGroupAttributes{Name: g.Name, IsInternalGroup: g.IsInternalGroup, HasAccessToAllBuilds: g.HasAccessToAllBuilds,
		PublicLinkEnabled: g.PublicLinkEnabled, PublicLinkLimitEnabled: g.PublicLinkLimitEnabled, PublicLinkLimit: g.PublicLinkLimit,
		FeedbackEnabled: g.FeedbackEnabled}
	if !g.CreatedDate.IsZero() {
		a.CreatedDate = appleTime(g.CreatedDate)
	}
	if g.PublicLinkEnabled {
		a.PublicLinkID = strings.ToLower(g.ID)
		a.PublicLink = "https://testflight.apple.com/join/" + a.PublicLinkID
	}
	return owned(r, "betaGroups", g.ID, a, "app", linkage{Type: "apps", ID: g.App})
}

// hasBuild reports whether the group's testers get build b.
func (g BetaGroup) hasBuild(b Build) bool {
	if g.HasAccessToAllBuilds && g.IsInternalGroup && b.App == g.App {
		return true
	}
	return slices.Contains(g.Builds, b.ID)
}

type linkagesRequest struct {
	Data []linkage `json:"data"`
}

// addBuildToBetaGroups is POST /v1/builds/{id}/relationships/betaGroups.
// Groups the build is in already are left as they are; a build still
// processing, or a group of another app, is refused.
func (s *Server) addBuildToBetaGroups(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.editLinks(w, r, relation{typ: "builds", exists: in(&s.data.Builds)}, "betaGroups", func(pid string, ls []linkage) bool {
		b, _ := s.findBuild(pid)
		if unprocessed(w, b, "added to beta groups", "/data") {
			return false
		}
		idx := make([]int, 0, len(ls))
		for n, l := range ls {
			i := indexOf(s.data.BetaGroups, l.ID)
			if i < 0 {
				writeNoSuchLinkage(w, "betaGroups", n, l.ID)
				return false
			}
			if s.data.BetaGroups[i].App != b.App {
				writeInvalidRelationship(w, http.StatusUnprocessableEntity,
					fmt.Sprintf("Beta group '%s' belongs to another app than build '%s'.", l.ID, b.ID), fmt.Sprintf("/data/%d/id", n))
				return false
			}
			if complianceMissing(w, b, s.data.BetaGroups[i]) {
				return false
			}
			idx = append(idx, i)
		}
		for _, i := range idx {
			g := &s.data.BetaGroups[i]
			if !g.hasBuild(b) {
				g.Builds = append(g.Builds, b.ID)
			}
		}
		return true
	})
}

// readLinkages decodes a to-many linkage body, every entry of type typ.
func readLinkages(w http.ResponseWriter, r *http.Request, v *linkagesRequest, typ string) bool {
	var probe struct {
		Data []linkage `json:"data"`
	}
	body := http.MaxBytesReader(w, r.Body, MaxRequestBody)
	if err := json.NewDecoder(body).Decode(&probe); err != nil || probe.Data == nil {
		writeEntityError(w, http.StatusUnprocessableEntity, "PARAMETER_ERROR.INVALID", "The request entity is not valid",
			"The request body must be a JSON object whose 'data' is a list of resource identifiers.", "/data")
		return false
	}
	for n, l := range probe.Data {
		if l.Type != typ || l.ID == "" {
			writeEntityError(w, http.StatusConflict, "ENTITY_ERROR.INCORRECT_TYPE", "The provided entity has an incorrect type",
				fmt.Sprintf("The resource type '%s' is not valid here; expected '%s' with an id.", l.Type, typ), fmt.Sprintf("/data/%d/type", n))
			return false
		}
	}
	v.Data = probe.Data
	return true
}

type betaBuildLocalizationAttributes struct {
	WhatsNew string `json:"whatsNew,omitempty"`
	Locale   string `json:"locale"`
}

func betaBuildLocalizationResource(r *http.Request, l BetaBuildLocalization) resource {
	return owned(r, "betaBuildLocalizations", l.ID, betaBuildLocalizationAttributes{WhatsNew: l.WhatsNew, Locale: l.Locale},
		"build", linkage{Type: "builds", ID: l.Build})
}

// betaBuildLocalizationText is the attributes of a beta build
// localization's create request.
type betaBuildLocalizationText struct {
	WhatsNew *string `json:"whatsNew"`
	Locale   string  `json:"locale"`
}

// maxWhatsNew is App Store Connect's limit on "What to Test", in characters.
const maxWhatsNew = 4000

func whatsNewTooLong(w http.ResponseWriter, text *string) bool {
	if text == nil || len([]rune(*text)) <= maxWhatsNew {
		return false
	}
	writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.INVALID.TOO_LONG", "An attribute value is too long.",
		fmt.Sprintf("The attribute 'whatsNew' can not be longer than %d characters.", maxWhatsNew), "/data/attributes/whatsNew")
	return true
}

func (s *Server) createBetaBuildLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	req, ok := readCreated[betaBuildLocalizationText, buildRelationship](w, r, "betaBuildLocalizations")
	if !ok {
		return
	}
	a := req.Data.Attributes
	if !requiredAttr(w, "locale", a.Locale) || whatsNewTooLong(w, a.WhatsNew) {
		return
	}
	rel := req.Data.Relationships.Build.Data
	s.withTarget(w, relation{"build", "builds", in(&s.data.Builds)}, rel, func() {
		for _, l := range s.data.BetaBuildLocalizations {
			if l.Build == rel.ID && strings.EqualFold(l.Locale, a.Locale) {
				alreadyUsed(w, "locale", fmt.Sprintf("Build '%s' already has a beta build localization for locale '%s' (id '%s').", rel.ID, l.Locale, l.ID))
				return
			}
		}
		l := BetaBuildLocalization{ID: newUUID(), Build: rel.ID, Locale: a.Locale}
		if a.WhatsNew != nil {
			l.WhatsNew = *a.WhatsNew
		}
		add(&s.data.BetaBuildLocalizations, l)
		writeOne(w, r, http.StatusCreated, betaBuildLocalizationResource(r, l))
	})
}

func (s *Server) updateBetaBuildLocalization(w http.ResponseWriter, r *http.Request, _ *Key) {
	req, ok := readUpdated[struct {
		WhatsNew *string `json:"whatsNew"`
	}](w, r, "betaBuildLocalizations")
	if !ok || whatsNewTooLong(w, req.Data.Attributes.WhatsNew) {
		return
	}
	patch(s, w, r, "betaBuildLocalizations", &s.data.BetaBuildLocalizations, func(l *BetaBuildLocalization) {
		if t := req.Data.Attributes.WhatsNew; t != nil {
			l.WhatsNew = *t
		}
		writeOne(w, r, http.StatusOK, betaBuildLocalizationResource(r, *l))
	})
}

// idMatches refuses a PATCH whose data.id is not the path's, as Apple does.
func idMatches(w http.ResponseWriter, bodyID, pathID string) bool {
	if bodyID == pathID {
		return true
	}
	writeEntityError(w, http.StatusConflict, "ENTITY_ERROR.INVALID_ID", "The provided entity id is invalid",
		fmt.Sprintf("The provided entity id '%s' does not match the id '%s' in the request URL.", bodyID, pathID), "/data/id")
	return false
}

// buildChange is what PATCH /v1/builds/{id} may change.
type buildChange struct {
	Expired                 *bool `json:"expired"`
	UsesNonExemptEncryption *bool `json:"usesNonExemptEncryption"`
}

// updateBuild is PATCH /v1/builds/{id}: the export-compliance answer, and
// expiring a build.
func (s *Server) updateBuild(w http.ResponseWriter, r *http.Request, _ *Key) {
	req, ok := readUpdated[buildChange](w, r, "builds")
	if !ok {
		return
	}
	a := req.Data.Attributes
	if a.Expired != nil && !*a.Expired {
		invalidAttr(w, http.StatusConflict, "expired", "An expired build cannot be made available again; only 'expired': true is accepted.")
		return
	}
	patch(s, w, r, "builds", &s.data.Builds, func(b *Build) {
		if a.UsesNonExemptEncryption != nil {
			v := *a.UsesNonExemptEncryption
			b.UsesNonExemptEncryption = &v
		}
		if a.Expired != nil {
			b.ExpirationDate = s.now()
		}
		writeOne(w, r, http.StatusOK, s.buildResource(r, *b))
	})
}

type betaAppReviewSubmissionAttributes struct {
	BetaReviewState string `json:"betaReviewState"`
	SubmittedDate   string `json:"submittedDate,omitempty"`
}

func betaAppReviewSubmissionResource(r *http.Request, sub BetaAppReviewSubmission) resource {
	a := betaAppReviewSubmissionAttributes{BetaReviewState: sub.State}
	if !sub.SubmittedDate.IsZero() {
		a.SubmittedDate = appleTime(sub.SubmittedDate)
	}
	return owned(r, "betaAppReviewSubmissions", sub.ID, a, "build", linkage{Type: "builds", ID: sub.Build})
}

// createBetaAppReviewSubmission submits a VALID build for beta review; a
// build submitted already is refused with 409, as Apple does.
func (s *Server) createBetaAppReviewSubmission(w http.ResponseWriter, r *http.Request, _ *Key) {
	req, ok := readCreated[any, buildRelationship](w, r, "betaAppReviewSubmissions") // attributes are not read
	if !ok {
		return
	}
	rel := req.Data.Relationships.Build.Data
	s.withTarget(w, relation{"build", "builds", in(&s.data.Builds)}, rel, func() {
		b, _ := s.findBuild(rel.ID)
		if unprocessed(w, b, "submitted for beta review", "/data/relationships/build") {
			return
		}
		for _, sub := range s.data.BetaAppReviewSubmissions {
			if sub.Build == rel.ID {
				writeInvalidRelationship(w, http.StatusConflict,
					fmt.Sprintf("Build '%s' has already been submitted for beta review (state %s).", rel.ID, sub.State), "/data/relationships/build")
				return
			}
		}
		sub := BetaAppReviewSubmission{ID: newUUID(), Build: rel.ID, State: "WAITING_FOR_REVIEW", SubmittedDate: s.now()}
		s.data.BetaAppReviewSubmissions = append(s.data.BetaAppReviewSubmissions, sub)
		writeOne(w, r, http.StatusCreated, betaAppReviewSubmissionResource(r, sub))
	})
}

// unprocessed answers Apple's 409 when build b has a processingState other
// than VALID: it cannot be (doing) yet; pointer names the refused part.
func unprocessed(w http.ResponseWriter, b Build, doing, pointer string) bool {
	st := b.ProcessingState
	if st == "" || st == "VALID" {
		return false
	}
	writeInvalidRelationship(w, http.StatusConflict, fmt.Sprintf("Build '%s' cannot be %s while its processingState is %s.", b.ID, doing, st), pointer)
	return true
}
