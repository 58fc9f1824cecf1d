// Package appbuild holds the inputs that say which app and which build a
// command is about (app-path, app-id, bundle-id, build-version,
// short-version, platform), declared once for the upload, verify and
// next-build-number commands that share them. It is not a command.
package appbuild

import (
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// Input names.
const (
	InAppPath      = "app-path"
	InAppID        = "app-id"
	InBundleID     = "bundle-id"
	InBuildVersion = "build-version"
	InShortVersion = "short-version"
	InPlatform     = "platform"
)

// Options are the app and build inputs.
type Options struct {
	AppPath      string
	AppID        string
	BundleID     string
	BuildVersion string
	ShortVersion string
	Platform     string
}

// Fields binds the app and build inputs to o; app-path is also the CLI's
// positional argument.
func (o *Options) Fields() []command.Field {
	return []command.Field{
		command.String(&o.AppPath, command.Input{Name: InAppPath, Env: "ASC_APP_PATH", Positional: true, Usage: "the .ipa (or macOS .pkg) to upload; verify and next-build-number read the bundle ID, versions and platform from it"}),
		command.String(&o.AppID, command.Input{Name: InAppID, Env: "ASC_APP_ID", Usage: "App Store Connect app ID (Apple ID of the app); default: found by the bundle ID"}),
		command.String(&o.BundleID, command.Input{Name: InBundleID, Env: "ASC_BUNDLE_ID", Usage: "the app's bundle ID; overrides CFBundleIdentifier read from app-path"}),
		command.String(&o.BuildVersion, command.Input{Name: InBuildVersion, Env: "ASC_BUILD_VERSION", Usage: "the build number (CFBundleVersion); overrides the one read from app-path"}),
		command.String(&o.ShortVersion, command.Input{Name: InShortVersion, Env: "ASC_SHORT_VERSION", Usage: "the version (CFBundleShortVersionString); overrides the one read from app-path"}),
		command.String(&o.Platform, command.Input{Name: InPlatform, Env: "ASC_PLATFORM", Usage: "IOS, MAC_OS, TV_OS or VISION_OS; overrides the platform read from app-path (IOS without one)"}),
	}
}

// AppFields binds the inputs that name the app, its version and platform
// (all but build-version), for a command about the app rather than one
// build.
func (o *Options) AppFields() []command.Field {
	var out []command.Field
	for _, f := range o.Fields() {
		if f.Name != InBuildVersion {
			out = append(out, f)
		}
	}
	return out
}

// Override returns the facts the inputs give, which win over the file's.
func (o *Options) Override() (ipa.Facts, error) {
	f := ipa.Facts{BundleID: o.BundleID, BuildVersion: o.BuildVersion, ShortVersion: o.ShortVersion}
	if o.Platform != "" {
		p, err := ipa.ParsePlatform(o.Platform)
		if err != nil {
			return f, command.Usagef("%s: %v", InPlatform, err)
		}
		f.Platform = p
	}
	return f, nil
}

// Facts returns the build's facts without uploading anything: read from
// app-path when it is given (the inputs winning), else the inputs alone,
// on IOS unless platform says otherwise. Fields may be empty.
func (o *Options) Facts() (ipa.Facts, error) {
	f, err := o.Override()
	if err != nil {
		return f, err
	}
	if o.AppPath != "" {
		art, err := ipa.Inspect(o.AppPath, f)
		if err != nil {
			return f, err
		}
		return art.Facts, nil
	}
	if f.Platform == "" {
		f.Platform = ipa.IOS
	}
	return f, nil
}
