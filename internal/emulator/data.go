package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Data is what the emulator's App Store Connect account holds when it starts:
// apps, signing certificates, provisioning profiles and builds already
// processed. It is read from a JSON file with LoadData (format in
// docs/emulator.md) or built in Go.
type Data struct {
	Apps         []App         `json:"apps"`
	Certificates []Certificate `json:"certificates"`
	Profiles     []Profile     `json:"profiles"`
	Builds       []Build       `json:"builds"`
	// TestFlight (testflight.go).
	BetaGroups               []BetaGroup               `json:"betaGroups,omitempty"`
	BetaBuildLocalizations   []BetaBuildLocalization   `json:"betaBuildLocalizations,omitempty"`
	BetaAppReviewSubmissions []BetaAppReviewSubmission `json:"betaAppReviewSubmissions,omitempty"`
	BetaTesters              []BetaTester              `json:"betaTesters,omitempty"`
	// The rest of the account (account.go).
	BundleIDs                    []BundleID                    `json:"bundleIds,omitempty"`
	Users                        []User                        `json:"users,omitempty"`
	AppStoreVersions             []AppStoreVersion             `json:"appStoreVersions,omitempty"`
	AppStoreVersionLocalizations []AppStoreVersionLocalization `json:"appStoreVersionLocalizations,omitempty"`
	// What external testing needs (betaapp.go).
	BetaAppReviewDetails      []BetaAppReviewDetail      `json:"betaAppReviewDetails,omitempty"`
	BetaAppLocalizations      []BetaAppLocalization      `json:"betaAppLocalizations,omitempty"`
	AppEncryptionDeclarations []AppEncryptionDeclaration `json:"appEncryptionDeclarations,omitempty"`
	// Build uploads left in flight by another run (inflight.go).
	BuildUploads []BuildUploadSeed `json:"buildUploads,omitempty"`
	// Keys are API keys accepted besides Config.Keys (datakeys.go).
	Keys []DataKey `json:"keys,omitempty"`
	// Blockers are Apple-side states that stop a release (blockers.go).
	Blockers *Blockers `json:"blockers,omitempty"`
}

// App is an app record (Apple's `apps` resource).
type App struct {
	ID            string `json:"id"`
	BundleID      string `json:"bundleId"`
	Name          string `json:"name"`
	SKU           string `json:"sku,omitempty"`
	PrimaryLocale string `json:"primaryLocale,omitempty"`
}

// Certificate is a signing certificate (Apple's `certificates` resource).
type Certificate struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	CertificateType string    `json:"certificateType"`
	DisplayName     string    `json:"displayName,omitempty"`
	SerialNumber    string    `json:"serialNumber,omitempty"`
	Platform        string    `json:"platform,omitempty"`
	ExpirationDate  time.Time `json:"expirationDate"`
	Activated       *bool     `json:"activated,omitempty"`
}

// Profile is a provisioning profile (Apple's `profiles` resource).
type Profile struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	ProfileType    string    `json:"profileType"`
	ProfileState   string    `json:"profileState"`
	Platform       string    `json:"platform,omitempty"`
	UUID           string    `json:"uuid,omitempty"`
	CreatedDate    time.Time `json:"createdDate,omitzero"`
	ExpirationDate time.Time `json:"expirationDate"`
	// BundleID is the id of the profile's bundle ID (bundleIds), if any;
	// Certificates the ids of the certificates it holds.
	BundleID     string   `json:"bundleId,omitempty"`
	Certificates []string `json:"certificates,omitempty"`
}

// Build is a build known to App Store Connect (Apple's `builds` resource).
// Version is the build number (CFBundleVersion); ShortVersion the marketing
// version (CFBundleShortVersionString).
type Build struct {
	ID              string    `json:"id"`
	App             string    `json:"app"`
	Version         string    `json:"version"`
	ShortVersion    string    `json:"shortVersion,omitempty"`
	Platform        string    `json:"platform,omitempty"`
	ProcessingState string    `json:"processingState"`
	UploadedDate    time.Time `json:"uploadedDate,omitzero"`
	ExpirationDate  time.Time `json:"expirationDate,omitzero"`
	// UsesNonExemptEncryption is the export-compliance answer (nil: not given).
	UsesNonExemptEncryption *bool `json:"usesNonExemptEncryption,omitempty"`
}

// ErrInvalidData reports a data file or Data value the emulator cannot serve.
var ErrInvalidData = errors.New("invalid emulator data")

var (
	processingStates = set("PROCESSING", "FAILED", "INVALID", "VALID")
	profileStates    = set("ACTIVE", "INVALID")
	platforms        = set("IOS", "MAC_OS", "TV_OS", "VISION_OS")
)

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// LoadData reads a data file (JSON, format in docs/emulator.md). Unknown
// fields are refused so that a misspelt key is noticed.
func LoadData(path string) (*Data, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emulator data: %w", err)
	}
	return ParseData(b)
}

// ParseData decodes and validates data in the LoadData format.
func ParseData(b []byte) (*Data, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Data
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %v (see docs/emulator.md for the format)", ErrInvalidData, err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// invalidData is ErrInvalidData with what is wrong.
func invalidData(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidData, fmt.Sprintf(format, a...))
}

// firstUse records the id of item i of a data file list in seen; an
// error when an earlier item used it.
func firstUse(seen map[string]bool, list string, i int, id string) error {
	if seen[id] {
		return invalidData("%s[%d]: id %q is used twice", list, i, id)
	}
	seen[id] = true
	return nil
}

// Validate checks identifiers are present and unique, builds name a known
// app, and enumerated fields hold values Apple uses.
func (d *Data) Validate() error {
	apps := map[string]bool{}
	for i, a := range d.Apps {
		if a.ID == "" || a.BundleID == "" {
			return invalidData("apps[%d]: id and bundleId are required", i)
		}
		if err := firstUse(apps, "apps", i, a.ID); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, c := range d.Certificates {
		if c.ID == "" || c.CertificateType == "" || c.ExpirationDate.IsZero() {
			return invalidData("certificates[%d]: id, certificateType and expirationDate are required", i)
		}
		if err := firstUse(seen, "certificates", i, c.ID); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, p := range d.Profiles {
		if p.ID == "" || p.ProfileType == "" || p.ExpirationDate.IsZero() {
			return invalidData("profiles[%d]: id, profileType and expirationDate are required", i)
		}
		if p.ProfileState != "" && !profileStates[p.ProfileState] {
			return invalidData("profiles[%d]: profileState %q is not ACTIVE or INVALID", i, p.ProfileState)
		}
		if err := firstUse(seen, "profiles", i, p.ID); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, b := range d.Builds {
		if b.ID == "" || b.Version == "" {
			return invalidData("builds[%d]: id and version are required", i)
		}
		if !apps[b.App] {
			return invalidData("builds[%d]: app %q is not among the apps", i, b.App)
		}
		if b.ProcessingState != "" && !processingStates[b.ProcessingState] {
			return invalidData("builds[%d]: processingState %q is not PROCESSING, FAILED, INVALID or VALID", i, b.ProcessingState)
		}
		if b.Platform != "" && !platforms[b.Platform] {
			return invalidData("builds[%d]: platform %q is not IOS, MAC_OS, TV_OS or VISION_OS", i, b.Platform)
		}
		if err := firstUse(seen, "builds", i, b.ID); err != nil {
			return err
		}
	}
	if err := d.validateKeys(); err != nil {
		return err
	}
	if d.Blockers != nil {
		if err := d.Blockers.validate(); err != nil {
			return err
		}
	}
	if err := d.validateTestFlight(apps, seen); err != nil {
		return err
	}
	if err := d.validateBetaApp(apps); err != nil {
		return err
	}
	if err := d.validateInFlight(apps); err != nil {
		return err
	}
	return d.validateAccount(apps, seen)
}

func (d *Data) clone() *Data {
	if d == nil {
		return &Data{}
	}
	c := &Data{
		Apps:         append([]App(nil), d.Apps...),
		Certificates: append([]Certificate(nil), d.Certificates...),
		Profiles:     append([]Profile(nil), d.Profiles...),
		Builds:       append([]Build(nil), d.Builds...),
	}
	d.cloneTestFlight(c)
	d.cloneAccount(c)
	d.cloneBetaApp(c)
	c.BuildUploads = slices.Clone(d.BuildUploads)
	if d.Blockers != nil {
		b := d.Blockers.clone()
		c.Blockers = &b
	}
	return c
}

// DemoBundleID is the bundle ID of the app in DefaultData.
const DemoBundleID = "com.example.demo"

// DefaultData is the account the demo runs against: one app
// (com.example.demo, id 1000000001) with build 1 already processed, and
// certificates and profiles whose expiry dates, counted from now, give an
// expiry audit something to find (valid, expiring within 30 days, expired).
func DefaultData(now time.Time) *Data {
	day := 24 * time.Hour
	now = now.UTC().Truncate(time.Second)
	d := &Data{
		Apps: []App{{ID: "1000000001", BundleID: DemoBundleID, Name: "Demo", SKU: "DEMO", PrimaryLocale: "en-US"}},
		Certificates: []Certificate{
			{ID: "CERT000001", Name: "Apple Distribution: Example Ltd", CertificateType: "DISTRIBUTION", DisplayName: "Example Ltd", SerialNumber: "6A1B2C3D4E5F6071", Platform: "IOS", ExpirationDate: now.Add(300 * day)},
			{ID: "CERT000002", Name: "Apple Development: Jane Doe", CertificateType: "DEVELOPMENT", DisplayName: "Jane Doe", SerialNumber: "1F2E3D4C5B6A7980", Platform: "IOS", ExpirationDate: now.Add(12 * day)},
			{ID: "CERT000003", Name: "iOS Distribution: Example Ltd (old)", CertificateType: "IOS_DISTRIBUTION", DisplayName: "Example Ltd", SerialNumber: "0011223344556677", Platform: "IOS", ExpirationDate: now.Add(-5 * day)},
		},
		Profiles: []Profile{
			{ID: "PROF000001", Name: "Demo App Store", ProfileType: "IOS_APP_STORE", ProfileState: "ACTIVE", Platform: "IOS", UUID: "8f7e6d5c-4b3a-4291-8807-f6e5d4c3b2a1", CreatedDate: now.Add(-65 * day), ExpirationDate: now.Add(300 * day)},
			{ID: "PROF000002", Name: "Demo Ad Hoc", ProfileType: "IOS_APP_ADHOC", ProfileState: "ACTIVE", Platform: "IOS", UUID: "1a2b3c4d-5e6f-4701-8293-a4b5c6d7e8f9", CreatedDate: now.Add(-353 * day), ExpirationDate: now.Add(12 * day)},
			{ID: "PROF000003", Name: "Demo Development", ProfileType: "IOS_APP_DEVELOPMENT", ProfileState: "INVALID", Platform: "IOS", UUID: "0f1e2d3c-4b5a-4697-8887-766554433221", CreatedDate: now.Add(-370 * day), ExpirationDate: now.Add(-5 * day)},
		},
		Builds: []Build{
			{ID: "BUILD00001", App: "1000000001", Version: "1", ShortVersion: "1.0", Platform: "IOS", ProcessingState: "VALID", UploadedDate: now.Add(-7 * day), ExpirationDate: now.Add(83 * day)},
		},
		BetaGroups: defaultBetaGroups(now),
	}
	defaultBetaApp(d, now)
	return d
}
