// Package ipa reads the facts App Store Connect needs about a build (bundle ID,
// versions, platform) from the build file itself, and generates valid IPAs of
// any size for tests and the demo.
//
// An .ipa is a zip archive holding Payload/<Name>.app/Info.plist (binary or XML
// property list). The archive is read through its central directory with an
// io.ReaderAt, so only the few small entries we need are ever read; the file is
// never loaded into memory.
package ipa

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"howett.net/plist"

	"github.com/asc-action/asc-action/internal/httpx"
)

// Platform is App Store Connect's platform name for a build (the
// `platform` attribute of a build upload).
type Platform string

// The platforms App Store Connect accepts for build uploads.
const (
	IOS      Platform = "IOS"
	MacOS    Platform = "MAC_OS"
	TVOS     Platform = "TV_OS"
	VisionOS Platform = "VISION_OS"
)

// ParsePlatform accepts Apple's API names (IOS, MAC_OS, TV_OS, VISION_OS) and
// the SDK names found in Info.plist (iphoneos, macosx, appletvos, xros),
// case-insensitively, as a user might type either in the `platform` input.
func ParsePlatform(s string) (Platform, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ios", "iphoneos":
		return IOS, nil
	case "mac_os", "macos", "macosx", "osx":
		return MacOS, nil
	case "tv_os", "tvos", "appletvos":
		return TVOS, nil
	case "vision_os", "visionos", "xros":
		return VisionOS, nil
	}
	return "", fmt.Errorf("%w: %q; use one of IOS, MAC_OS, TV_OS, VISION_OS", ErrUnknownPlatform, s)
}

// platformFromSDK maps CFBundleSupportedPlatforms / DTPlatformName values.
func platformFromSDK(sdk string) (Platform, error) {
	switch strings.ToLower(sdk) {
	case "iphoneos":
		return IOS, nil
	case "appletvos":
		return TVOS, nil
	case "xros":
		return VisionOS, nil
	case "macosx":
		return MacOS, nil
	case "iphonesimulator", "appletvsimulator", "xrsimulator":
		return "", fmt.Errorf("%w: this is a simulator build (%s); archive for a device (generic/platform=iOS) and export the .ipa", ErrUnknownPlatform, sdk)
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownPlatform, sdk)
}

// Facts are the build's identity as App Store Connect sees it. A zero field
// means "not known"; Merge fills it from overrides.
type Facts struct {
	BundleID         string   // CFBundleIdentifier
	BuildVersion     string   // CFBundleVersion (the build number)
	ShortVersion     string   // CFBundleShortVersionString (the marketing version)
	Platform         Platform // from CFBundleSupportedPlatforms or DTPlatformName
	MinimumOSVersion string   // MinimumOSVersion (LSMinimumSystemVersion on macOS); informative
}

// Merge returns f with every non-empty field of override replacing f's. This is
// how the inputs bundle-id, build-version, short-version and platform win over
// what the file says.
func (f Facts) Merge(override Facts) Facts {
	if override.BundleID != "" {
		f.BundleID = override.BundleID
	}
	if override.BuildVersion != "" {
		f.BuildVersion = override.BuildVersion
	}
	if override.ShortVersion != "" {
		f.ShortVersion = override.ShortVersion
	}
	if override.Platform != "" {
		f.Platform = override.Platform
	}
	if override.MinimumOSVersion != "" {
		f.MinimumOSVersion = override.MinimumOSVersion
	}
	return f
}

// Kind says what sort of build file a path is.
type Kind string

// The build file kinds App Store Connect accepts.
const (
	KindIPA Kind = "ipa" // iOS, tvOS, visionOS (and iOS apps on Apple silicon Macs)
	KindPKG Kind = "pkg" // macOS installer package
)

// UTI is the uniform type identifier sent as the build upload file's `uti`.
func (k Kind) UTI() string {
	if k == KindPKG {
		return "com.apple.pkg"
	}
	return "com.apple.ipa"
}

// Artifact is a build file with the facts read from it (and from overrides).
type Artifact struct {
	Path string // as given
	Name string // base name, sent as the upload file's fileName
	Size int64  // bytes
	Kind Kind
	// Facts are complete: every field but MinimumOSVersion is set.
	Facts Facts
	// AppDir is the bundle directory inside the IPA, e.g. "Payload/Demo.app" (empty for a .pkg).
	AppDir string
	// Provision is the raw embedded.mobileprovision (a CMS-signed plist), or nil
	// when the bundle has none (as with an App Store .pkg).
	Provision []byte
}

// Limits on the small entries we read, so a hostile archive cannot make us
// allocate without bound (real Info.plists are a few KiB, profiles ~20 KiB).
const (
	// MaxPlistBytes bounds the Info.plist read.
	MaxPlistBytes = 8 << 20
	// MaxProvisionBytes bounds the embedded.mobileprovision read.
	MaxProvisionBytes = 4 << 20
)

// Inspect reads the build file at path and returns its facts, with the
// non-empty fields of override taking precedence. An .ipa is read from its
// Info.plist; a .pkg must come with explicit versions (see CheckPackage).
// Every failure is an *Error naming the file and the fix.
func Inspect(path string, override Facts) (*Artifact, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	art := &Artifact{Path: path, Name: filepath.Base(path), Size: st.Size(), Kind: KindIPA}
	if strings.EqualFold(filepath.Ext(path), ".pkg") {
		art.Kind = KindPKG
		facts, err := CheckPackage(path, override)
		if err != nil {
			return nil, err
		}
		art.Facts = facts
		return art, nil
	}
	c, err := Read(f, st.Size())
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
		}
		return nil, err
	}
	art.AppDir = c.AppDir
	art.Provision = c.Provision
	art.Facts = c.Facts.Merge(override)
	if err := art.Facts.check(path, c.AppDir+"/Info.plist"); err != nil {
		return nil, err
	}
	return art, nil
}

// OpenRegular opens the build file at path for reading, refusing anything
// but a regular file (a symbolic link to one is fine) BEFORE opening it: a
// FIFO would block the open forever, a device (/dev/zero) never ends, a
// directory or socket is not a build. Failures are *Error values naming the
// file and the fix.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, &Error{File: path, Err: ErrOpen, Detail: err.Error(), Fix: "check the app-path input points at the exported .ipa or .pkg"}
	}
	if err := checkRegular(path, st); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &Error{File: path, Err: ErrOpen, Detail: err.Error(), Fix: "check the app-path input points at the exported .ipa or .pkg"}
	}
	fst, err := f.Stat()
	if err == nil && !os.SameFile(st, fst) {
		err = errors.New("the file was replaced while being opened")
	}
	if err != nil {
		f.Close()
		return nil, nil, &Error{File: path, Err: ErrOpen, Detail: err.Error(), Fix: "do not modify the file while the step runs"}
	}
	return f, fst, nil
}

// checkRegular refuses what is not a regular file, naming what it is.
func checkRegular(path string, st os.FileInfo) error {
	m := st.Mode()
	if m.IsDir() {
		fix := "pass the exported .ipa file, not a directory"
		if strings.HasSuffix(path, ".app") || strings.HasSuffix(path, ".xcarchive") {
			fix = "this is an .app or .xcarchive bundle; export an .ipa with `xcodebuild -exportArchive` and pass that"
		}
		return &Error{File: path, Err: ErrNotZip, Detail: "is a directory", Fix: fix}
	}
	if m.IsRegular() {
		return nil
	}
	return &Error{File: path, Err: ErrNotRegular, Detail: "is " + FileKind(m) + ", which is not opened",
		Fix: "pass the exported .ipa or .pkg file itself (written to disk by `xcodebuild -exportArchive`)"}
}

// FileKind names what a mode that is not a regular file is, with its
// article ("a named pipe (FIFO)"), for messages refusing it.
func FileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// CheckPackage validates the facts for a macOS .pkg, which this tool does not
// open: build-version and short-version must be given, and the platform is
// MAC_OS. The bundle ID may be empty when the caller has an app-id instead.
func CheckPackage(path string, override Facts) (Facts, error) {
	f := override
	if f.Platform == "" {
		f.Platform = MacOS
	}
	var missing []string
	if f.BuildVersion == "" {
		missing = append(missing, "build-version (CFBundleVersion)")
	}
	if f.ShortVersion == "" {
		missing = append(missing, "short-version (CFBundleShortVersionString)")
	}
	if len(missing) > 0 {
		return f, &Error{File: path, Err: ErrPackageNeedsVersions,
			Detail: "missing " + strings.Join(missing, " and "),
			Fix:    "a .pkg is uploaded as is; set the build-version and short-version inputs to the values in the package's app"}
	}
	if f.Platform != MacOS {
		return f, &Error{File: path, Err: ErrUnknownPlatform,
			Detail: fmt.Sprintf("platform %s given for a .pkg", f.Platform),
			Fix:    "a .pkg is a macOS build; leave the platform input empty or set it to MAC_OS"}
	}
	return f, nil
}

// check reports the first required fact that is still missing.
func (f Facts) check(file, plistPath string) error {
	var missing []string
	inputs := map[string]string{
		"CFBundleIdentifier":         "bundle-id",
		"CFBundleVersion":            "build-version",
		"CFBundleShortVersionString": "short-version",
		"CFBundleSupportedPlatforms": "platform",
	}
	if f.BundleID == "" {
		missing = append(missing, "CFBundleIdentifier")
	}
	if f.BuildVersion == "" {
		missing = append(missing, "CFBundleVersion")
	}
	if f.ShortVersion == "" {
		missing = append(missing, "CFBundleShortVersionString")
	}
	if f.Platform == "" {
		missing = append(missing, "CFBundleSupportedPlatforms")
	}
	if len(missing) == 0 {
		return nil
	}
	var fixes []string
	for _, k := range missing {
		fixes = append(fixes, inputs[k])
	}
	return &Error{File: file, Err: ErrMissingKey, Keys: missing,
		Detail: plistPath + " has no " + strings.Join(missing, ", "),
		Fix:    "set it in the app target's Info.plist, or give the " + strings.Join(fixes, ", ") + " input"}
}

// Contents is what Read finds inside an IPA. Facts may be incomplete; Inspect
// merges overrides and checks them.
type Contents struct {
	AppDir    string // "Payload/<Name>.app"
	Facts     Facts
	Provision []byte // embedded.mobileprovision, or nil
}

// Read reads an IPA's Info.plist (and embedded.mobileprovision, if any) through
// r, which holds size bytes. Errors are *Error values with an empty File; use
// Inspect for errors that name the file.
func Read(r io.ReaderAt, size int64) (*Contents, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &Error{Err: ErrNotZip, Detail: err.Error(),
			Fix: "an .ipa is a zip archive; pass the file exported by `xcodebuild -exportArchive` (not the .xcarchive, .app or a .dSYM)"}
	}
	var app string
	var info, prov *zip.File
	var apps []string
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		dir = strings.TrimSuffix(dir, "/")
		// Only the top-level bundle: Payload/<Name>.app/<file>.
		parent, appName := path.Split(dir)
		if parent != "Payload/" || !strings.HasSuffix(appName, ".app") || len(appName) <= len(".app") {
			if strings.HasPrefix(f.Name, "Payload/") && strings.Count(f.Name, "/") == 1 && strings.HasSuffix(f.Name, ".app/") {
				apps = appendUnique(apps, strings.TrimSuffix(f.Name, "/"))
			}
			continue
		}
		apps = appendUnique(apps, dir)
		switch base {
		case "Info.plist":
			if info == nil {
				info, app = f, dir
			}
		case "embedded.mobileprovision":
			if prov == nil || dir == app {
				prov = f
			}
		}
	}
	if len(apps) == 0 {
		return nil, &Error{Err: ErrNoApp, Detail: "no Payload/<Name>.app inside the archive",
			Fix: "this zip is not an .ipa; export the archive with `xcodebuild -exportArchive -exportOptionsPlist ...` and pass the .ipa it writes"}
	}
	if len(apps) > 1 {
		return nil, &Error{Err: ErrNoApp, Detail: "several apps in Payload/: " + strings.Join(apps, ", "),
			Fix: "an .ipa holds exactly one app; export each app separately"}
	}
	if info == nil {
		return nil, &Error{Err: ErrNoInfoPlist, Detail: apps[0] + "/Info.plist is missing",
			Fix: "the app bundle is incomplete; rebuild and re-export it"}
	}
	c := &Contents{AppDir: app}
	data, err := readEntry(info, MaxPlistBytes, "ipa.MaxPlistBytes")
	if err != nil {
		return nil, &Error{Err: ErrBadPlist, Detail: info.Name + ": " + err.Error(), Fix: "the archive is damaged; export the .ipa again"}
	}
	facts, err := parseInfo(data)
	if errors.Is(err, ErrUnknownPlatform) {
		return nil, &Error{Err: ErrUnknownPlatform, Detail: info.Name + ": " + err.Error(),
			Fix: "App Store Connect takes iOS, macOS, tvOS and visionOS device builds; set the platform input if the file is right"}
	}
	if err != nil {
		return nil, &Error{Err: ErrBadPlist, Detail: info.Name + ": " + err.Error(), Fix: "Info.plist must be a binary or XML property list holding a dictionary; rebuild the app"}
	}
	c.Facts = facts
	if prov != nil && path.Dir(prov.Name) == app {
		p, err := readEntry(prov, MaxProvisionBytes, "ipa.MaxProvisionBytes")
		if err != nil {
			return nil, &Error{Err: ErrBadProvision, Detail: prov.Name + ": " + err.Error(), Fix: "the archive is damaged; export the .ipa again"}
		}
		c.Provision = p
	}
	return c, nil
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func readEntry(f *zip.File, limit int64, name string) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("entry is %d bytes, more than the %d this tool reads (limit %s)", f.UncompressedSize64, limit, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return httpx.ReadAll(rc, limit, "the entry", name)
}

// parseInfo decodes an Info.plist (any format howett.net/plist reads) into
// Facts. Missing keys leave fields empty; keys of the wrong type are errors.
func parseInfo(data []byte) (Facts, error) {
	var m map[string]any
	if _, err := plist.Unmarshal(data, &m); err != nil {
		return Facts{}, fmt.Errorf("unreadable property list: %v", err)
	}
	if m == nil {
		return Facts{}, errors.New("property list is not a dictionary")
	}
	var f Facts
	var err error
	str := func(key string) string {
		v, ok := m[key]
		if !ok || err != nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			err = fmt.Errorf("%s is a %T, want a string", key, v)
			return ""
		}
		return strings.TrimSpace(s)
	}
	f.BundleID = str("CFBundleIdentifier")
	f.BuildVersion = str("CFBundleVersion")
	f.ShortVersion = str("CFBundleShortVersionString")
	f.MinimumOSVersion = str("MinimumOSVersion")
	if f.MinimumOSVersion == "" {
		f.MinimumOSVersion = str("LSMinimumSystemVersion")
	}
	dt := str("DTPlatformName")
	if err != nil {
		return Facts{}, err
	}
	sdk := dt
	if v, ok := m["CFBundleSupportedPlatforms"]; ok {
		arr, ok := v.([]any)
		if !ok {
			return Facts{}, fmt.Errorf("CFBundleSupportedPlatforms is a %T, want an array of strings", v)
		}
		if len(arr) > 0 {
			s, ok := arr[0].(string)
			if !ok {
				return Facts{}, fmt.Errorf("CFBundleSupportedPlatforms[0] is a %T, want a string", arr[0])
			}
			sdk = s
		}
	}
	if sdk != "" {
		p, perr := platformFromSDK(sdk)
		if perr != nil {
			return Facts{}, perr
		}
		f.Platform = p
	}
	return f, nil
}
