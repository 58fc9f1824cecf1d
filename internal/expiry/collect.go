package expiry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Certificate is what the audit needs to know about a signing certificate
// (App Store Connect `certificates` resource).
type Certificate struct {
	ID             string
	Type           string // certificateType, e.g. DISTRIBUTION, IOS_DISTRIBUTION
	Name           string
	SerialNumber   string
	ExpirationDate time.Time
}

// Profile is what the audit needs to know about a provisioning profile
// (App Store Connect `profiles` resource).
type Profile struct {
	ID             string
	Name           string
	Type           string // profileType, e.g. IOS_APP_STORE
	State          string // profileState: ACTIVE or INVALID
	UUID           string
	ExpirationDate time.Time
}

// CertificateLister lists every signing certificate of the team, all pages.
type CertificateLister interface {
	ListCertificates(ctx context.Context) ([]Certificate, error)
}

// ProfileLister lists every provisioning profile of the team, all pages.
type ProfileLister interface {
	ListProfiles(ctx context.Context) ([]Profile, error)
}

// CertificateListerFunc adapts a function to CertificateLister.
type CertificateListerFunc func(ctx context.Context) ([]Certificate, error)

// ListCertificates calls f.
func (f CertificateListerFunc) ListCertificates(ctx context.Context) ([]Certificate, error) {
	return f(ctx)
}

// ProfileListerFunc adapts a function to ProfileLister.
type ProfileListerFunc func(ctx context.Context) ([]Profile, error)

// ListProfiles calls f.
func (f ProfileListerFunc) ListProfiles(ctx context.Context) ([]Profile, error) { return f(ctx) }

// ErrIndividualKey is what a lister should wrap when App Store Connect
// refuses provisioning resources because the key is an individual key.
var ErrIndividualKey = errors.New("individual keys cannot read certificates or profiles")

// CertificateItem turns a certificate into an unclassified Item.
func CertificateItem(c Certificate) Item {
	name := c.Name
	if name == "" {
		name = c.SerialNumber
	}
	id := c.SerialNumber
	if id == "" {
		id = c.ID
	}
	return Item{Kind: KindCertificate, Name: name, ID: id, Type: c.Type, ExpiresAt: c.ExpirationDate}
}

// ProfileItem turns a profile into an unclassified Item.
func ProfileItem(p Profile) Item {
	id := p.UUID
	if id == "" {
		id = p.ID
	}
	return Item{Kind: KindProfile, Name: p.Name, ID: id, Type: p.Type, State: p.State, ExpiresAt: p.ExpirationDate}
}

// KeyCheck is the result of asking App Store Connect whether the API key
// still authenticates, which is the only "expiry" an API key has.
type KeyCheck struct {
	KeyID string
	// Authenticated is true when a request signed with the key succeeded.
	Authenticated bool
	// Err is set when the check could not be made (network, server fault).
	// Leave it nil with Authenticated false when the key was refused (401).
	Err error
}

// APIKeyItem turns a key check into an Item: ok, expired (refused: revoked
// or wrong) or error (could not check).
func APIKeyItem(k KeyCheck) Item {
	it := Item{Kind: KindAPIKey, Name: k.KeyID, Type: "App Store Connect API key"}
	if it.Name == "" {
		it.Name = "API key"
	}
	switch {
	case k.Err != nil:
		it.Status = StatusError
		it.Detail = "could not check the key: " + k.Err.Error()
	case k.Authenticated:
		it.Status = StatusOK
		it.Detail = "authenticates"
	default:
		it.Status = StatusExpired
		it.Detail = "App Store Connect refused the key (401): it was revoked, or key-id/issuer-id do not match it; create a new key in Users and Access > Integrations"
	}
	return it
}

// ErrorItem records a check that could not be made, so the audit continues
// and the report says why.
func ErrorItem(kind Kind, name string, err error) Item {
	return Item{Kind: kind, Name: name, Status: StatusError, Detail: err.Error()}
}

// Filter keeps only what a team ships with. Empty fields keep everything.
// Matching is case-insensitive.
type Filter struct {
	CertificateTypes []string
	ProfileTypes     []string
	// ProfileName keeps profiles whose name contains it.
	ProfileName string
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// KeepCertificate reports whether c passes the filter.
func (f Filter) KeepCertificate(c Certificate) bool {
	return len(f.CertificateTypes) == 0 || containsFold(f.CertificateTypes, c.Type)
}

// KeepProfile reports whether p passes the filter.
func (f Filter) KeepProfile(p Profile) bool {
	if len(f.ProfileTypes) > 0 && !containsFold(f.ProfileTypes, p.Type) {
		return false
	}
	if f.ProfileName != "" && !strings.Contains(strings.ToLower(p.Name), strings.ToLower(f.ProfileName)) {
		return false
	}
	return true
}

// Collector gathers the App Store Connect items. A nil lister skips that
// check.
type Collector struct {
	Certificates CertificateLister
	Profiles     ProfileLister
	Filter       Filter
	// Notef, if set, is told when a filter value matched nothing that was
	// listed (a misspelt type, say), so the user is not left with a silently
	// empty audit.
	Notef func(format string, args ...any)
}

// Collect lists certificates and profiles and returns them as unclassified
// items, filtered. A lister that fails does not stop the audit: it becomes
// one StatusError item saying why (with a clear message for individual
// keys), and the error is also returned joined for the log.
func (c Collector) Collect(ctx context.Context) ([]Item, error) {
	var items []Item
	var errs []error
	if c.Certificates != nil {
		got, _, err := collect(ctx, c.Notef, resource[Certificate]{
			kind: KindCertificate, list: c.Certificates.ListCertificates, keep: c.Filter.KeepCertificate,
			item: CertificateItem, typeOf: func(ct Certificate) string { return ct.Type }, types: c.Filter.CertificateTypes,
		})
		items, errs = append(items, got...), append(errs, err)
	}
	if c.Profiles != nil {
		got, profs, err := collect(ctx, c.Notef, resource[Profile]{
			kind: KindProfile, list: c.Profiles.ListProfiles, keep: c.Filter.KeepProfile,
			item: ProfileItem, typeOf: func(p Profile) string { return p.Type }, types: c.Filter.ProfileTypes,
		})
		items, errs = append(items, got...), append(errs, err)
		if err == nil && c.Filter.ProfileName != "" && !slices.ContainsFunc(profs, func(p Profile) bool {
			return strings.Contains(strings.ToLower(p.Name), strings.ToLower(c.Filter.ProfileName))
		}) && c.Notef != nil {
			c.Notef("profile-name: no profile name contains %q among the %d listed", c.Filter.ProfileName, len(profs))
		}
	}
	return items, errors.Join(errs...)
}

// resource is how Collect reads one kind of App Store Connect resource:
// list it, keep what the filter keeps, and turn that into items.
type resource[T any] struct {
	kind   Kind // KindCertificate or KindProfile: "certificate-types" is its filter input
	list   func(context.Context) ([]T, error)
	keep   func(T) bool
	item   func(T) Item
	typeOf func(T) string
	types  []string // the type filter, for the note on a type that matched nothing
}

// collect lists r and returns the kept items and everything listed. A list
// that failed is one StatusError item, and its error.
func collect[T any](ctx context.Context, notef func(string, ...any), r resource[T]) (items []Item, listed []T, err error) {
	what := string(r.kind)
	listed, err = r.list(ctx)
	if err != nil {
		err = listError(what+"s", err)
		items = append(items, ErrorItem(r.kind, what+"s", err))
	}
	for _, v := range listed {
		if r.keep(v) {
			items = append(items, r.item(v))
		}
	}
	if err != nil || notef == nil {
		return items, listed, err
	}
	for _, typ := range r.types {
		if !slices.ContainsFunc(listed, func(v T) bool { return strings.EqualFold(r.typeOf(v), typ) }) {
			notef("%s-types: no %s of type %s among the %d listed; check the spelling (App Store Connect's %sType values)", what, what, typ, len(listed), what)
		}
	}
	return items, listed, nil
}

// listError says which list could not be had and why, naming the list
// first: "certificates could not be listed: …" heads the audit's headline.
func listError(what string, err error) error {
	if errors.Is(err, ErrIndividualKey) {
		return fmt.Errorf("%s could not be listed: this is an individual API key, and App Store Connect only lets team keys read certificates and profiles; create a team key (Users and Access > Integrations > Team Keys) to audit them, or set allow-incomplete: true: %w", what, ErrIndividualKey)
	}
	return fmt.Errorf("%s could not be listed: %w", what, err)
}
