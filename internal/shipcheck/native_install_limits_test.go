package shipcheck

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// mirrorServer serves h until the test ends; done closes first, so that a
// handler still feeding a curl that outlived a killed run stops.
func mirrorServer(t *testing.T, h func(done <-chan struct{}, w http.ResponseWriter, req *http.Request)) *httptest.Server {
	done := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h(done, w, req) }))
	t.Cleanup(func() { close(done); s.Close() })
	return s
}

// limitedInstaller is an installer whose runs are killed after a minute: a
// download without limits would otherwise hang the test.
func limitedInstaller(t *testing.T, checksums string) *installer {
	in := newInstaller(t, checksums)
	in.Timeout = time.Minute
	return in
}

// fellBack checks that a run ended within its limits by asking for the
// source build with a notice saying want, and left no download behind.
func fellBack(t *testing.T, in *installer, res InstallResult, took time.Duration, want string) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("install.sh did not end by itself within its limits (%v after %v):\n%s", res.Err, took, res.Log)
	}
	if res.Outputs["build"] != "true" || res.Outputs["bin"] != "" {
		t.Errorf("outputs %v, want build=true and no bin", res.Outputs)
	}
	if !strings.Contains(res.Log, "::notice title=asc-action::") || !strings.Contains(res.Log, want) {
		t.Errorf("the notice does not say %q:\n%s", want, res.Log)
	}
	in.noDownloadsLeft()
}

func TestNativeInstallStalledMirrorFailsInBoundedTime(t *testing.T) {
	r := testRelease(t)
	// Headers and a few bytes, then nothing until the client leaves.
	mirror := mirrorServer(t, func(done <-chan struct{}, w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", "40000000")
		_, _ = w.Write([]byte("MZ stalled"))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-req.Context().Done():
		case <-done:
		}
	})
	in := limitedInstaller(t, r.Checksums)
	start := time.Now()
	res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+mirror.URL, "ASC_ACTION_DOWNLOAD_TIMEOUT=2")
	fellBack(t, in, res, time.Since(start), "timed out")
}

func TestNativeInstallEndlessBodyIsCutAtTheSizeCap(t *testing.T) {
	r := testRelease(t)
	for _, declared := range []string{"", "1099511627776"} {
		name := map[string]string{"": "no Content-Length", "1099511627776": "1 TiB declared"}[declared]
		t.Run(name, func(t *testing.T) {
			var served atomic.Int64
			mirror := mirrorServer(t, func(done <-chan struct{}, w http.ResponseWriter, req *http.Request) {
				if declared != "" {
					w.Header().Set("Content-Length", declared)
				}
				chunk := make([]byte, 32<<10)
				for {
					n, err := w.Write(chunk)
					served.Add(int64(n))
					select {
					case <-done:
						return
					default:
					}
					if err != nil {
						return
					}
				}
			})
			in := limitedInstaller(t, r.Checksums)
			start := time.Now()
			res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+mirror.URL, "ASC_ACTION_DOWNLOAD_MAX_BYTES=1048576")
			fellBack(t, in, res, time.Since(start), "larger than ASC_ACTION_DOWNLOAD_MAX_BYTES (1048576 bytes)")
			if n := served.Load(); n > 64<<20 {
				t.Errorf("the mirror sent %d bytes before the download was cut at 1 MiB", n)
			}
		})
	}
}

func TestNativeInstallRefusesRedirectsToOtherSchemes(t *testing.T) {
	r := testRelease(t)
	srv := newServer(t, r)
	for _, target := range []string{"ftp://127.0.0.1/asset", srv.URL} { // ftp, and plain http
		t.Run(target[:strings.Index(target, ":")], func(t *testing.T) {
			mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				to := target
				if strings.HasPrefix(target, "http:") {
					to += req.URL.Path
				}
				http.Redirect(w, req, to, http.StatusFound)
			}))
			t.Cleanup(mirror.Close)
			in := limitedInstaller(t, r.Checksums)
			start := time.Now()
			res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+mirror.URL)
			fellBack(t, in, res, time.Since(start), "was refused")
		})
	}
	if p := srv.Paths(); len(p) != 0 {
		t.Errorf("the plain-http redirect target was reached: %v", p)
	}
}

func TestNativeInstallNeverPrintsURLCredentials(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	r := testRelease(t)
	for _, c := range []struct {
		name            string
		missing, tamper bool
	}{{"installed", false, false}, {"asset missing", true, false}, {"checksum mismatch", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t, r)
			srv.Missing, srv.Tamper = c.missing, c.tamper
			in := limitedInstaller(t, r.Checksums)
			withCreds := strings.Replace(srv.URL, "http://", "http://mirror-user:"+secret+"@", 1)
			res := in.run("Linux", "X64", "ASC_ACTION_DOWNLOAD_URL="+withCreds)
			if len(srv.Paths()) == 0 {
				t.Fatalf("nothing was downloaded:\n%s", res.Log)
			}
			for _, line := range strings.Split(res.Log, "\n") {
				if strings.Contains(line, secret) && !strings.HasPrefix(line, "::add-mask::") {
					t.Errorf("a log line holds the URL's password: %q", line)
				}
				if strings.Contains(line, "mirror-user") && !strings.HasPrefix(line, "::add-mask::") {
					t.Errorf("a log line holds the URL's user: %q", line)
				}
			}
			if !strings.Contains(res.Log, "::add-mask::mirror-user:"+secret) {
				t.Errorf("the URL's user information was not masked for later steps:\n%s", res.Log)
			}
			if !strings.Contains(res.Log, srv.URL+"/v") {
				t.Errorf("the log does not show the URL without its user information:\n%s", res.Log)
			}
		})
	}
}
