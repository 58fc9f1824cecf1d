package shipcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// Release is a set of release assets as GoReleaser names them, and the
// checksums.txt the release process writes into native/.
type Release struct {
	Version   string            // without the v
	Assets    map[string][]byte // asset name -> bytes
	Checksums string
}

// Platform is a platform the release has a binary for, as Go names it and
// as a GitHub runner does (RUNNER_OS, RUNNER_ARCH).
type Platform struct{ RunnerOS, RunnerArch, GOOS, GOARCH string }

// Platforms are the release's platforms: .goreleaser.yaml's goos × goarch
// and the assets .github/release-pin.sh checks (TestPlatformsAreTheReleases).
var Platforms = []Platform{
	{"Linux", "X64", "linux", "amd64"}, {"Linux", "ARM64", "linux", "arm64"},
	{"macOS", "X64", "darwin", "amd64"}, {"macOS", "ARM64", "darwin", "arm64"},
	{"Windows", "X64", "windows", "amd64"}, {"Windows", "ARM64", "windows", "arm64"},
}

// AssetName is the name GoReleaser gives the bare binary of version (without
// the v) for goos/goarch.
func AssetName(version, goos, goarch string) string {
	n := fmt.Sprintf("asc-action_%s_%s_%s", version, goos, goarch)
	if goos == "windows" {
		n += ".exe"
	}
	return n
}

// Add adds an asset and its line of checksums.txt.
func (r *Release) Add(name string, b []byte) {
	if r.Assets == nil {
		r.Assets = map[string][]byte{}
	}
	r.Assets[name] = b
	sum := sha256.Sum256(b)
	r.Checksums += hex.EncodeToString(sum[:]) + "  " + name + "\n"
}

// ReleaseServer serves a release's assets as GitHub does:
// GET /v<version>/<asset>. It records the paths asked for.
type ReleaseServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
	Tamper   bool // flip a byte of every asset
	Missing  bool // answer 404 to everything
}

// NewReleaseServer starts serving r; Close stops it.
func NewReleaseServer(r Release) *ReleaseServer {
	s := &ReleaseServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, req.URL.Path)
		tamper, missing := s.Tamper, s.Missing
		s.mu.Unlock()
		b, ok := r.Assets[strings.TrimPrefix(req.URL.Path, "/v"+r.Version+"/")]
		if !ok || missing {
			http.NotFound(w, req)
			return
		}
		if tamper {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 0x01
		}
		_, _ = w.Write(b)
	}))
	return s
}

// Paths returns the paths asked for so far, in order.
func (s *ReleaseServer) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}
