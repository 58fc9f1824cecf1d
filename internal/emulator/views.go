package emulator

import (
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
)

// stateViews are the resource types the emulator keeps as state (seeded by
// the data file, changed by writes). Each view renders the state as objects
// for the generic reads; every other type of the document is generated.
var stateViews = map[string]func(wd *world) []*object{
	"apps":                         viewApps,
	"builds":                       viewBuilds,
	"preReleaseVersions":           viewPreReleaseVersions,
	"certificates":                 viewCertificates,
	"profiles":                     viewProfiles,
	"bundleIds":                    viewBundleIDs,
	"users":                        viewUsers,
	"betaGroups":                   viewBetaGroups,
	"betaTesters":                  viewBetaTesters,
	"betaBuildLocalizations":       viewBetaBuildLocalizations,
	"betaAppReviewSubmissions":     viewBetaAppReviewSubmissions,
	"appStoreVersions":             viewAppStoreVersions,
	"appStoreVersionLocalizations": viewAppStoreVersionLocalizations,
	"buildUploads":                 viewBuildUploads,
	"buildUploadFiles":             viewBuildUploadFiles,
	"betaAppReviewDetails":         viewBetaAppReviewDetails,
	"betaAppLocalizations":         viewBetaAppLocalizations,
	"appEncryptionDeclarations":    viewAppEncryptionDeclarations,
}

// viewRendered is the view of a kept type whose objects are the resources
// its handlers render, each then given to the relate functions, which add
// the relationships the rendering leaves out.
func viewRendered[T any](wd *world, items []T, render func(*http.Request, T) resource, relate ...func(*object, T)) []*object {
	var out []*object
	for _, it := range items {
		o := fromResource(render(wd.r, it))
		for _, f := range relate {
			f(o, it)
		}
		out = append(out, o)
	}
	return out
}

func viewApps(wd *world) []*object {
	return viewRendered(wd, wd.s.data.Apps, appResource)
}

func viewBuilds(wd *world) []*object {
	groups, testers := wd.buildMembers()
	return viewRendered(wd, wd.s.data.Builds, wd.s.buildResource, func(o *object, b Build) {
		o.one["preReleaseVersion"] = preReleaseVersionID(b)
		o.many["betaGroups"] = groups(b)
		o.many["individualTesters"] = testers[b.ID]
	})
}

// buildMembers indexes, in one pass over the groups and testers, which
// groups hold each build (in the state's order, as hasBuild decides) and
// which testers were given it; a scan of every group's and tester's list
// for each build was quadratic in the builds.
func (wd *world) buildMembers() (groups func(Build) []string, testers map[string][]string) {
	listed := map[string][]int{} // build ID -> indices of the groups listing it
	allOfApp := map[string][]int{}
	for i, g := range wd.s.data.BetaGroups {
		wd.examined(1 + len(g.Builds))
		if g.HasAccessToAllBuilds && g.IsInternalGroup {
			allOfApp[g.App] = append(allOfApp[g.App], i)
		}
		for _, id := range g.Builds {
			if l := listed[id]; len(l) == 0 || l[len(l)-1] != i {
				listed[id] = append(listed[id], i)
			}
		}
	}
	testers = map[string][]string{}
	for _, t := range wd.s.data.BetaTesters {
		wd.examined(1 + len(t.Builds))
		for _, id := range t.Builds {
			if l := testers[id]; len(l) == 0 || l[len(l)-1] != t.ID {
				testers[id] = append(testers[id], t.ID)
			}
		}
	}
	groups = func(b Build) []string {
		is := slices.Concat(allOfApp[b.App], listed[b.ID])
		slices.Sort(is)
		var ids []string
		for _, i := range slices.Compact(is) {
			ids = append(ids, wd.s.data.BetaGroups[i].ID)
		}
		return ids
	}
	return groups, testers
}

// preReleaseVersionID names the pre-release version (app, platform and
// marketing version) a build belongs to; Apple makes one per triple.
func preReleaseVersionID(b Build) string {
	if b.ShortVersion == "" {
		return ""
	}
	key := b.App + "\x00" + platformOr(b.Platform) + "\x00" + b.ShortVersion
	return fmt.Sprintf("%08x-0000-4000-9000-%012d", crc32.ChecksumIEEE([]byte(key)), len(b.ShortVersion))
}

// viewPreReleaseVersions derives the pre-release versions from the builds:
// a build created by an upload brings its version along.
func viewPreReleaseVersions(wd *world) []*object {
	var out []*object
	seen := map[string]bool{}
	for _, b := range wd.s.data.Builds {
		id := preReleaseVersionID(b)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, &object{typ: "preReleaseVersions", id: id,
			attrs: map[string]any{"version": b.ShortVersion, "platform": platformOr(b.Platform)},
			one:   map[string]string{"app": b.App}})
	}
	return out
}

func viewCertificates(wd *world) []*object {
	return viewRendered(wd, wd.s.data.Certificates, certificateResource)
}

func viewProfiles(wd *world) []*object {
	return viewRendered(wd, wd.s.data.Profiles, profileResource, func(o *object, p Profile) {
		o.one["bundleId"] = p.BundleID
		o.many["certificates"] = p.Certificates
	})
}

func viewBundleIDs(wd *world) []*object {
	var out []*object
	for _, b := range wd.s.data.BundleIDs {
		o := &object{typ: "bundleIds", id: b.ID, one: map[string]string{}, many: map[string][]string{},
			attrs: map[string]any{"identifier": b.Identifier, "name": b.Name, "platform": b.Platform, "seedId": b.SeedID}}
		for _, a := range wd.s.data.Apps {
			if a.BundleID == b.Identifier {
				o.one["app"] = a.ID
			}
		}
		out = append(out, o)
	}
	return out
}

func viewUsers(wd *world) []*object {
	var out []*object
	for _, u := range wd.s.data.Users {
		out = append(out, &object{typ: "users", id: u.ID, many: map[string][]string{"visibleApps": u.VisibleApps},
			attrs: map[string]any{"username": u.Username, "firstName": u.FirstName, "lastName": u.LastName,
				"roles": anyList(u.Roles), "allAppsVisible": u.AllAppsVisible, "provisioningAllowed": u.ProvisioningAllowed}})
	}
	return out
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

func viewBetaGroups(wd *world) []*object {
	return viewRendered(wd, wd.s.data.BetaGroups, betaGroupResource, func(o *object, g BetaGroup) {
		// hasBuild with a set of the group's builds: linear, not quadratic.
		in := make(map[string]bool, len(g.Builds))
		for _, id := range g.Builds {
			in[id] = true
		}
		wd.examined(len(g.Builds) + len(wd.s.data.Builds))
		all := g.HasAccessToAllBuilds && g.IsInternalGroup
		var builds []string
		for _, b := range wd.s.data.Builds {
			if (all && b.App == g.App) || in[b.ID] {
				builds = append(builds, b.ID)
			}
		}
		o.many["builds"] = builds
	})
}

func viewBetaTesters(wd *world) []*object {
	var out []*object
	for _, t := range wd.s.data.BetaTesters {
		out = append(out, &object{typ: "betaTesters", id: t.ID,
			attrs: map[string]any{"firstName": t.FirstName, "lastName": t.LastName, "email": t.Email,
				"inviteType": t.inviteType(), "state": t.state()},
			many: map[string][]string{"betaGroups": t.Groups, "builds": t.Builds, "apps": t.Apps}})
	}
	return out
}

func viewBetaBuildLocalizations(wd *world) []*object {
	return viewRendered(wd, wd.s.data.BetaBuildLocalizations, betaBuildLocalizationResource)
}

func viewBetaAppReviewSubmissions(wd *world) []*object {
	return viewRendered(wd, wd.s.data.BetaAppReviewSubmissions, betaAppReviewSubmissionResource)
}

func viewAppStoreVersions(wd *world) []*object {
	var out []*object
	for _, v := range wd.s.data.AppStoreVersions {
		o := &object{typ: "appStoreVersions", id: v.ID, one: map[string]string{"app": v.App, "build": v.Build},
			attrs: map[string]any{"versionString": v.VersionString, "platform": platformOr(v.Platform),
				"appStoreState": v.state(), "appVersionState": v.versionState(), "releaseType": v.releaseType(),
				"createdDate": appleTime(v.CreatedDate)}}
		out = append(out, o)
	}
	return out
}

func viewAppStoreVersionLocalizations(wd *world) []*object {
	var out []*object
	for _, l := range wd.s.data.AppStoreVersionLocalizations {
		out = append(out, &object{typ: "appStoreVersionLocalizations", id: l.ID,
			one: map[string]string{"appStoreVersion": l.AppStoreVersion},
			attrs: map[string]any{"locale": l.Locale, "description": l.Description, "keywords": l.Keywords,
				"whatsNew": l.WhatsNew, "promotionalText": l.PromotionalText}})
	}
	return out
}

func viewBuildUploads(wd *world) []*object {
	var out []*object
	for _, id := range wd.s.uploadOrder {
		if u, ok := wd.s.uploads[id]; ok {
			o := fromResource(wd.s.uploadResource(wd.r, u))
			o.one["app"] = u.appID
			out = append(out, o)
		}
	}
	return out
}

func viewBuildUploadFiles(wd *world) []*object {
	var out []*object
	for _, id := range wd.s.uploadOrder {
		u, ok := wd.s.uploads[id]
		if !ok || wd.s.files[u.fileID] == nil {
			continue
		}
		o := fromResource(wd.s.fileResource(wd.r, wd.s.files[u.fileID], false))
		o.one["buildUpload"] = u.id
		out = append(out, o)
	}
	return out
}
