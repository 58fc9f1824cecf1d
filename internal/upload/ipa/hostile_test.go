package ipa

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"howett.net/plist"
)

func infoPlist(t testing.TB) []byte {
	b, err := plist.Marshal(map[string]any{"CFBundleIdentifier": "a.b", "CFBundleVersion": "1", "CFBundleShortVersionString": "1.0", "DTPlatformName": "iphoneos"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestZipBombIsRefused: an Info.plist that inflates past MaxPlistBytes is
// refused from its declared size, before it is inflated.
func TestZipBombIsRefused(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "Payload/A.app/Info.plist", Method: zip.Deflate})
	zeros := make([]byte, 1<<20)
	for range MaxPlistBytes>>20 + 1 {
		w.Write(zeros)
	}
	zw.Close()
	_, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if !errors.Is(err, ErrBadPlist) || !strings.Contains(err.Error(), fmt.Sprint(MaxPlistBytes)) {
		t.Errorf("err = %v; want ErrBadPlist naming the %d-byte limit", err, MaxPlistBytes)
	}
}

// TestLyingEntrySizeIsRefused: an entry that declares 100 bytes but inflates
// to 20 MiB is not read past its declared size.
func TestLyingEntrySizeIsRefused(t *testing.T) {
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	big := bytes.Repeat([]byte("<"), 20<<20)
	fw.Write(big)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "Payload/A.app/Info.plist", Method: zip.Deflate,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100, CRC32: crc32.ChecksumIEEE(big[:100])})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	_, err = Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if !errors.Is(err, ErrBadPlist) {
		t.Errorf("err = %v; want ErrBadPlist", err)
	}
}

// TestManyEntries: 100,000 entries besides the app are walked, not refused,
// and the facts come out right.
func TestManyEntries(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("Payload/A.app/Info.plist")
	w.Write(infoPlist(t))
	for i := range 100_000 {
		zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("Payload/A.app/r/%d", i), Method: zip.Store})
	}
	zw.Close()
	c, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || c.Facts.BundleID != "a.b" {
		t.Fatalf("Read = %+v, %v", c, err)
	}
}
