package ipa

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"howett.net/plist"
)

// WriteOptions shape a generated IPA.
type WriteOptions struct {
	// PayloadSize is the size in bytes of the app's executable, filled with
	// seeded pseudo-random bytes (incompressible, like a real binary). The IPA
	// is a little larger than this: zip headers and the Info.plist.
	PayloadSize int64
	// Binary writes Info.plist in Apple's binary format (as Xcode does);
	// otherwise XML.
	Binary bool
	// Seed makes the payload reproducible: the same seed gives the same bytes.
	Seed uint64
	// AppName is the bundle's name (Payload/<AppName>.app); "Demo" if empty.
	AppName string
	// Provision, if set, is stored as the bundle's embedded.mobileprovision.
	Provision []byte
	// Extra are additional Info.plist keys (they override the generated ones).
	Extra map[string]any
}

// sdkNames maps a platform to the SDK name Xcode writes in Info.plist.
var sdkNames = map[Platform]string{IOS: "iphoneos", TVOS: "appletvos", VisionOS: "xros", MacOS: "macosx"}

// WriteFile writes a generated IPA (see Write) to a new file at path and
// returns the file's SHA-256, hex-encoded, and its size in bytes. Tests, the
// demo command and the upload benchmark make their IPAs with it.
func WriteFile(path string, f Facts, opts WriteOptions) (sha256Hex string, size int64, err error) {
	file, err := os.Create(path)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(file, h), 1<<20)
	err = Write(w, f, opts)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		size, err = file.Seek(0, io.SeekCurrent)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// Write streams a valid IPA to w: Payload/<AppName>.app/Info.plist holding f,
// then the executable of opts.PayloadSize random bytes (stored, not deflated,
// so multi-GiB files are written at disk speed and with constant memory; zip64
// is used past 4 GiB). It is used by tests and by the demo command.
func Write(w io.Writer, f Facts, opts WriteOptions) error {
	if opts.PayloadSize < 0 {
		return errors.New("ipa.Write: negative payload size")
	}
	name := opts.AppName
	if name == "" {
		name = "Demo"
	}
	if strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("ipa.Write: app name %q contains a path separator", name)
	}
	info := map[string]any{
		"CFBundleExecutable":            name,
		"CFBundleName":                  name,
		"CFBundlePackageType":           "APPL",
		"CFBundleInfoDictionaryVersion": "6.0",
	}
	if f.BundleID != "" {
		info["CFBundleIdentifier"] = f.BundleID
	}
	if f.BuildVersion != "" {
		info["CFBundleVersion"] = f.BuildVersion
	}
	if f.ShortVersion != "" {
		info["CFBundleShortVersionString"] = f.ShortVersion
	}
	if f.MinimumOSVersion != "" {
		info["MinimumOSVersion"] = f.MinimumOSVersion
	}
	if sdk, ok := sdkNames[f.Platform]; ok {
		info["CFBundleSupportedPlatforms"] = []string{sdk}
		info["DTPlatformName"] = sdk
	}
	for k, v := range opts.Extra {
		info[k] = v
	}
	format := plist.XMLFormat
	if opts.Binary {
		format = plist.BinaryFormat
	}
	data, err := plist.Marshal(info, format)
	if err != nil {
		return fmt.Errorf("ipa.Write: encoding Info.plist: %w", err)
	}

	zw := zip.NewWriter(w)
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // fixed, so output is reproducible
	dir := "Payload/" + name + ".app/"
	for _, d := range []string{"Payload/", dir} {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: d, Method: zip.Store, Modified: mod}); err != nil {
			return err
		}
	}
	add := func(file string, method uint16, body []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: dir + file, Method: method, Modified: mod})
		if err != nil {
			return err
		}
		_, err = fw.Write(body)
		return err
	}
	if err := add("Info.plist", zip.Deflate, data); err != nil {
		return err
	}
	if opts.Provision != nil {
		if err := add("embedded.mobileprovision", zip.Store, opts.Provision); err != nil {
			return err
		}
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: dir + name, Method: zip.Store, Modified: mod})
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, io.LimitReader(NewPayload(opts.Seed), opts.PayloadSize)); err != nil {
		return err
	}
	return zw.Close()
}

// NewPayload returns an endless reader of pseudo-random bytes determined by
// seed (ChaCha8), fast enough to generate gigabytes in seconds.
func NewPayload(seed uint64) io.Reader {
	var key [32]byte
	for i := 0; i < 8; i++ {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}
