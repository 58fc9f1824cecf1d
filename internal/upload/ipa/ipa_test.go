package ipa

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"howett.net/plist"
)

// zipOf builds a zip from name/content pairs, in order.
func zipOf(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func generate(t testing.TB, f Facts, opts WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInspectGenerated(t *testing.T) {
	prov := []byte("0\x82 fake CMS blob with <plist> inside")
	for _, tc := range []struct {
		name   string
		facts  Facts
		binary bool
	}{
		{"binary iOS", Facts{"com.example.a", "42", "1.2.3", IOS, "16.0"}, true},
		{"xml iOS", Facts{"com.example.b", "7", "1.0", IOS, "15.0"}, false},
		{"binary tvOS", Facts{"com.example.tv", "1.0.3", "3.1", TVOS, "17.0"}, true},
		{"xml visionOS", Facts{"com.example.xr", "100", "1.0", VisionOS, "1.0"}, false},
		{"binary macOS ipa", Facts{"com.example.mac", "9", "2.0", MacOS, ""}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := generate(t, tc.facts, WriteOptions{PayloadSize: 1000, Binary: tc.binary, Seed: 1, AppName: "My App", Provision: prov})
			p := writeFile(t, "app.ipa", data)
			art, err := Inspect(p, Facts{})
			if err != nil {
				t.Fatal(err)
			}
			if art.Facts != tc.facts {
				t.Errorf("facts = %+v, want %+v", art.Facts, tc.facts)
			}
			if art.AppDir != "Payload/My App.app" || art.Name != "app.ipa" || art.Size != int64(len(data)) || art.Kind != KindIPA || art.Kind.UTI() != "com.apple.ipa" {
				t.Errorf("artifact = %+v", art)
			}
			if !bytes.Equal(art.Provision, prov) {
				t.Errorf("provision = %q, want %q", art.Provision, prov)
			}
			// The format really is the one asked for.
			c, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			rc, _ := c.Open("Payload/My App.app/Info.plist")
			raw, _ := io.ReadAll(rc)
			var m map[string]any
			format, err := plist.Unmarshal(raw, &m)
			if err != nil {
				t.Fatal(err)
			}
			want := plist.XMLFormat
			if tc.binary {
				want = plist.BinaryFormat
			}
			if format != want {
				t.Errorf("Info.plist format = %d, want %d", format, want)
			}
		})
	}
}

func TestInspectXcodeInfoPlist(t *testing.T) {
	raw, err := os.ReadFile("testdata/Info-xcode.plist")
	if err != nil {
		t.Fatal(err)
	}
	// The same dictionary, re-encoded in Apple's binary format.
	var m map[string]any
	if _, err := plist.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	bin, err := plist.Marshal(m, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	want := Facts{"com.example.weather", "381", "2.4.1", IOS, "17.0"}
	for name, plistBytes := range map[string][]byte{"xml": raw, "binary": bin} {
		t.Run(name, func(t *testing.T) {
			data := zipOf(t,
				// A nested bundle's Info.plist comes first and must not be taken.
				[2]string{"Payload/Weather.app/PlugIns/Widget.appex/Info.plist", "not a plist"},
				[2]string{"Payload/Weather.app/Weather", "binary"},
				[2]string{"Payload/Weather.app/Info.plist", string(plistBytes)},
				[2]string{"Symbols/ABC.symbols", "x"},
			)
			art, err := Inspect(writeFile(t, "Weather.ipa", data), Facts{})
			if err != nil {
				t.Fatal(err)
			}
			if art.Facts != want {
				t.Errorf("facts = %+v, want %+v", art.Facts, want)
			}
			if art.Provision != nil {
				t.Errorf("provision = %q, want none", art.Provision)
			}
		})
	}
}

func TestInspectOverrides(t *testing.T) {
	data := generate(t, Facts{BundleID: "com.example.a", ShortVersion: "1.0", Platform: IOS}, WriteOptions{Binary: true})
	p := writeFile(t, "a.ipa", data)

	_, err := Inspect(p, Facts{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrMissingKey) {
		t.Fatalf("err = %v, want ErrMissingKey", err)
	}
	if len(e.Keys) != 1 || e.Keys[0] != "CFBundleVersion" || !strings.Contains(err.Error(), "build-version") || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v (keys %v): want it to name the file, CFBundleVersion and the build-version input", err, e.Keys)
	}

	art, err := Inspect(p, Facts{BuildVersion: "77", BundleID: "com.example.other"})
	if err != nil {
		t.Fatal(err)
	}
	want := Facts{BundleID: "com.example.other", BuildVersion: "77", ShortVersion: "1.0", Platform: IOS}
	if art.Facts != want {
		t.Errorf("facts = %+v, want %+v", art.Facts, want)
	}
}

func TestInspectErrors(t *testing.T) {
	goodPlist := func(extra map[string]any) string {
		m := map[string]any{"CFBundleIdentifier": "a.b", "CFBundleVersion": "1", "CFBundleShortVersionString": "1.0", "DTPlatformName": "iphoneos"}
		for k, v := range extra {
			m[k] = v
		}
		b, err := plist.Marshal(m, plist.BinaryFormat)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name     string
		file     string
		data     []byte
		want     error
		contains string
	}{
		{"not a zip", "a.ipa", []byte("this is plain text, not a zip"), ErrNotZip, "xcodebuild -exportArchive"},
		{"empty file", "a.ipa", nil, ErrNotZip, "zip archive"},
		{"zip without Payload", "a.ipa", zipOf(t, [2]string{"README", "hi"}), ErrNoApp, "not an .ipa"},
		{"app without Info.plist", "a.ipa", zipOf(t, [2]string{"Payload/A.app/A", "bin"}), ErrNoInfoPlist, "Payload/A.app/Info.plist"},
		{"two apps", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", goodPlist(nil)}, [2]string{"Payload/B.app/Info.plist", goodPlist(nil)}), ErrNoApp, "several apps"},
		{"garbage plist", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", "\x00\x01garbage"}), ErrBadPlist, "Payload/A.app/Info.plist"},
		{"plist is an array", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", `<plist><array><string>x</string></array></plist>`}), ErrBadPlist, "Info.plist"},
		{"version is an integer", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", goodPlist(map[string]any{"CFBundleVersion": 42})}), ErrBadPlist, "CFBundleVersion"},
		{"simulator build", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", goodPlist(map[string]any{"CFBundleSupportedPlatforms": []string{"iPhoneSimulator"}})}), ErrUnknownPlatform, "simulator"},
		{"missing keys", "a.ipa", zipOf(t, [2]string{"Payload/A.app/Info.plist", `<plist><dict><key>CFBundleName</key><string>A</string></dict></plist>`}), ErrMissingKey, "CFBundleIdentifier, CFBundleVersion, CFBundleShortVersionString, CFBundleSupportedPlatforms"},
		{"pkg without versions", "a.pkg", []byte("xar!"), ErrPackageNeedsVersions, "build-version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file, tc.data)
			art, err := Inspect(p, Facts{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Inspect = %+v, %v; want %v", art, err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != p || e.Fix == "" {
				t.Errorf("error %#v should be an *Error naming %s with a fix", err, p)
			}
			if !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), p+": ") {
				t.Errorf("error %q should start with the file and contain %q", err, tc.contains)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := Inspect(filepath.Join(t.TempDir(), "nope.ipa"), Facts{})
		if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "app-path") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		d := filepath.Join(t.TempDir(), "Build.xcarchive")
		os.Mkdir(d, 0o755)
		_, err := Inspect(d, Facts{})
		if !errors.Is(err, ErrNotZip) || !strings.Contains(err.Error(), "export an .ipa") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestCheckPackage(t *testing.T) {
	p := writeFile(t, "Mac.pkg", []byte("xar!"))
	art, err := Inspect(p, Facts{BundleID: "com.example.mac", BuildVersion: "5", ShortVersion: "1.1"})
	if err != nil {
		t.Fatal(err)
	}
	if art.Kind != KindPKG || art.Kind.UTI() != "com.apple.pkg" || art.Facts.Platform != MacOS || art.Facts.BuildVersion != "5" {
		t.Errorf("artifact = %+v", art)
	}
	for _, tc := range []struct {
		name string
		in   Facts
		want error
	}{
		{"no build version", Facts{ShortVersion: "1"}, ErrPackageNeedsVersions},
		{"no short version", Facts{BuildVersion: "1"}, ErrPackageNeedsVersions},
		{"iOS platform", Facts{BuildVersion: "1", ShortVersion: "1", Platform: IOS}, ErrUnknownPlatform},
		{"ok without bundle id", Facts{BuildVersion: "1", ShortVersion: "1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckPackage(p, tc.in)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]Platform{"IOS": IOS, "ios": IOS, "iphoneos": IOS, "MAC_OS": MacOS, "macosx": MacOS, "TV_OS": TVOS, "appletvos": TVOS, "VISION_OS": VisionOS, "xros": VisionOS} {
		got, err := ParsePlatform(in)
		if err != nil || got != want {
			t.Errorf("ParsePlatform(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParsePlatform("watchos"); !errors.Is(err, ErrUnknownPlatform) {
		t.Errorf("ParsePlatform(watchos) err = %v", err)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func TestReadTouchesOnlyWhatItNeeds(t *testing.T) {
	const payload = 64 << 20
	p := filepath.Join(t.TempDir(), "big.ipa")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, Facts{"a.b", "1", "1.0", IOS, ""}, WriteOptions{PayloadSize: payload, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if st.Size() < payload {
		t.Fatalf("IPA is %d bytes, want more than the payload %d", st.Size(), payload)
	}
	cr := &countingReaderAt{r: f}
	c, err := Read(cr, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if c.Facts.BundleID != "a.b" {
		t.Errorf("facts = %+v", c.Facts)
	}
	if n := cr.n.Load(); n > 1<<20 {
		t.Errorf("Read read %d bytes of a %d-byte IPA; it should read only the directory and Info.plist", n, st.Size())
	}
	f.Close()
}

func TestWriteIsReproducible(t *testing.T) {
	sum := func(seed uint64) [32]byte {
		h := sha256.New()
		if err := Write(h, Facts{"a.b", "1", "1.0", IOS, ""}, WriteOptions{PayloadSize: 1 << 20, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		var s [32]byte
		copy(s[:], h.Sum(nil))
		return s
	}
	if first := sum(1); sum(1) != first {
		t.Error("same seed gave different IPAs")
	}
	if sum(1) == sum(2) {
		t.Error("different seeds gave the same IPA")
	}
}

func TestWriteFile(t *testing.T) {
	facts := Facts{"com.example.file", "12", "1.4", IOS, "17.0"}
	opts := WriteOptions{PayloadSize: 3000, Binary: true, Seed: 5}
	p := filepath.Join(t.TempDir(), "App.ipa")
	sum, size, err := WriteFile(p, facts, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, generate(t, facts, opts)) {
		t.Error("the file differs from what Write streams for the same facts and options")
	}
	if want := sha256.Sum256(data); sum != hex.EncodeToString(want[:]) || size != int64(len(data)) {
		t.Errorf("WriteFile = %s, %d; want %x, %d", sum, size, want, len(data))
	}
	art, err := Inspect(p, Facts{})
	if err != nil || art.Facts != facts {
		t.Errorf("Inspect = %+v, %v; want facts %+v", art, err, facts)
	}
	if _, _, err := WriteFile(filepath.Join(t.TempDir(), "missing", "App.ipa"), facts, opts); err == nil {
		t.Error("WriteFile into a missing directory: no error")
	}
	if _, _, err := WriteFile(filepath.Join(t.TempDir(), "bad.ipa"), facts, WriteOptions{PayloadSize: -1}); err == nil || !strings.Contains(err.Error(), "bad.ipa") {
		t.Errorf("WriteFile with a negative size: %v; want an error naming the file", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(generate(f, Facts{"a.b", "1", "1.0", IOS, "1"}, WriteOptions{PayloadSize: 10, Binary: true}))
	f.Add(generate(f, Facts{"a.b", "1", "1.0", TVOS, "1"}, WriteOptions{PayloadSize: 10, Provision: []byte("p")}))
	raw, _ := os.ReadFile("testdata/Info-xcode.plist")
	f.Add(zipOf(f, [2]string{"Payload/W.app/Info.plist", string(raw)}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error with a sentinel", err)
			}
			return
		}
		if !strings.HasPrefix(c.AppDir, "Payload/") || !strings.HasSuffix(c.AppDir, ".app") {
			t.Fatalf("AppDir = %q", c.AppDir)
		}
	})
}

// FuzzParseInfo feeds arbitrary bytes to the Info.plist decoder directly.
func FuzzParseInfo(f *testing.F) {
	raw, _ := os.ReadFile("testdata/Info-xcode.plist")
	f.Add(raw)
	b, _ := plist.Marshal(map[string]any{"CFBundleIdentifier": "x", "CFBundleSupportedPlatforms": []string{"xros"}}, plist.BinaryFormat)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := parseInfo(data)
		if err == nil && facts.Platform != "" {
			if _, perr := ParsePlatform(string(facts.Platform)); perr != nil {
				t.Fatalf("platform %q not a known one", facts.Platform)
			}
		}
	})
}
