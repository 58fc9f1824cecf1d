package emulator

import (
	"slices"
	"time"
)

// The rest of an account a data file can seed, beside apps, builds,
// certificates, profiles and TestFlight groups: bundle IDs, users, beta
// testers, App Store versions and their localizations.

// BundleID is a registered bundle identifier (Apple's `bundleIds`).
type BundleID struct {
	ID         string `json:"id"`
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	Platform   string `json:"platform,omitempty"` // IOS, MAC_OS, UNIVERSAL
	SeedID     string `json:"seedId,omitempty"`
}

// User is a member of the team (Apple's `users`).
type User struct {
	ID                  string   `json:"id"`
	Username            string   `json:"username"`
	FirstName           string   `json:"firstName,omitempty"`
	LastName            string   `json:"lastName,omitempty"`
	Roles               []string `json:"roles,omitempty"`
	AllAppsVisible      bool     `json:"allAppsVisible,omitempty"`
	ProvisioningAllowed bool     `json:"provisioningAllowed,omitempty"`
	VisibleApps         []string `json:"visibleApps,omitempty"`
}

// BetaTester is a TestFlight tester (Apple's `betaTesters`): the groups
// they are in, the builds given to them individually, and their apps.
type BetaTester struct {
	ID         string   `json:"id"`
	Email      string   `json:"email"`
	FirstName  string   `json:"firstName,omitempty"`
	LastName   string   `json:"lastName,omitempty"`
	InviteType string   `json:"inviteType,omitempty"` // EMAIL (default) or PUBLIC_LINK
	State      string   `json:"state,omitempty"`      // INVITED (default), ACCEPTED, INSTALLED, ...
	Groups     []string `json:"groups,omitempty"`
	Builds     []string `json:"builds,omitempty"`
	Apps       []string `json:"apps,omitempty"`
}

func (t BetaTester) inviteType() string { return or(t.InviteType, "EMAIL") }
func (t BetaTester) state() string      { return or(t.State, "INVITED") }

// AppStoreVersion is a version of an app on the App Store (Apple's
// `appStoreVersions`), optionally with the build chosen for it.
type AppStoreVersion struct {
	ID            string    `json:"id"`
	App           string    `json:"app"`
	VersionString string    `json:"versionString"`
	Platform      string    `json:"platform,omitempty"`
	State         string    `json:"appStoreState,omitempty"` // PREPARE_FOR_SUBMISSION (default), READY_FOR_SALE, ...
	ReleaseType   string    `json:"releaseType,omitempty"`   // MANUAL, AFTER_APPROVAL (default), SCHEDULED
	Build         string    `json:"build,omitempty"`
	CreatedDate   time.Time `json:"createdDate,omitzero"`
}

func (v AppStoreVersion) state() string       { return or(v.State, "PREPARE_FOR_SUBMISSION") }
func (v AppStoreVersion) releaseType() string { return or(v.ReleaseType, "AFTER_APPROVAL") }

// versionState is appVersionState, the newer name Apple gives the state.
func (v AppStoreVersion) versionState() string {
	if s := v.state(); s != "READY_FOR_SALE" {
		return s
	}
	return "READY_FOR_DISTRIBUTION"
}

// AppStoreVersionLocalization is a version's text in one locale (Apple's
// `appStoreVersionLocalizations`).
type AppStoreVersionLocalization struct {
	ID              string `json:"id"`
	AppStoreVersion string `json:"appStoreVersion"`
	Locale          string `json:"locale"`
	Description     string `json:"description,omitempty"`
	Keywords        string `json:"keywords,omitempty"`
	WhatsNew        string `json:"whatsNew,omitempty"`
	PromotionalText string `json:"promotionalText,omitempty"`
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// validateAccount checks the resources of this file: IDs present and
// unique, references to known apps, groups, builds and versions.
func (d *Data) validateAccount(apps, builds map[string]bool) error {
	groups := map[string]bool{}
	for _, g := range d.BetaGroups {
		groups[g.ID] = true
	}
	unique := map[string]bool{}
	once := func(kind, id string) bool {
		k := kind + "\x00" + id
		ok := id != "" && !unique[k]
		unique[k] = true
		return ok
	}
	for i, b := range d.BundleIDs {
		if !once("bundleIds", b.ID) || b.Identifier == "" {
			return invalidData("bundleIds[%d]: a unique id and an identifier are required", i)
		}
	}
	for i, u := range d.Users {
		if !once("users", u.ID) || u.Username == "" || !allKnown(u.VisibleApps, apps) {
			return invalidData("users[%d]: a unique id, a username and known visibleApps are required", i)
		}
	}
	for i, t := range d.BetaTesters {
		if !once("betaTesters", t.ID) || t.Email == "" {
			return invalidData("betaTesters[%d]: a unique id and an email are required", i)
		}
		if !allKnown(t.Groups, groups) || !allKnown(t.Builds, builds) || !allKnown(t.Apps, apps) {
			return invalidData("betaTesters[%d]: groups, builds and apps must name known ones", i)
		}
	}
	versions := map[string]bool{}
	for i, v := range d.AppStoreVersions {
		if !once("appStoreVersions", v.ID) || !apps[v.App] || v.VersionString == "" || (v.Build != "" && !builds[v.Build]) {
			return invalidData("appStoreVersions[%d]: a unique id, a known app, a versionString (and a known build, if any) are required", i)
		}
		versions[v.ID] = true
	}
	for i, l := range d.AppStoreVersionLocalizations {
		if !once("appStoreVersionLocalizations", l.ID) || !versions[l.AppStoreVersion] || l.Locale == "" {
			return invalidData("appStoreVersionLocalizations[%d]: a unique id, a known appStoreVersion and a locale are required", i)
		}
	}
	return nil
}

func allKnown(ids []string, known map[string]bool) bool {
	return !slices.ContainsFunc(ids, func(id string) bool { return !known[id] })
}

// cloneAccount deep-copies this file's part of d into c.
func (d *Data) cloneAccount(c *Data) {
	c.BundleIDs = slices.Clone(d.BundleIDs)
	c.Users = slices.Clone(d.Users)
	c.BetaTesters = make([]BetaTester, len(d.BetaTesters))
	for i, t := range d.BetaTesters {
		t.Groups, t.Builds, t.Apps = slices.Clone(t.Groups), slices.Clone(t.Builds), slices.Clone(t.Apps)
		c.BetaTesters[i] = t
	}
	c.AppStoreVersions = slices.Clone(d.AppStoreVersions)
	c.AppStoreVersionLocalizations = slices.Clone(d.AppStoreVersionLocalizations)
}
