// Command webhookpath measures the runner time of a rehearsed release, two
// ways, against the emulator whose processing takes a realistic 10 minutes
// on a clock this program moves (no real 10-minute wait):
//
//   - wait: processing: one macOS job uploads and polls until the build is
//     VALID, then distributes;
//   - the webhook path: the macOS job uploads with wait: none and ends;
//     App Store Connect (the emulator) signs a BUILD_UPLOAD_STATE_UPDATED
//     notification, asc-action relay verifies it and sends a
//     repository_dispatch to a stand-in for GitHub's API; a Linux job
//     started by it distributes.
//
// Runner time is what a job spends in the asc-action step: its real time
// (the transfer, the API calls) plus the time it slept on the clock while
// waiting. Job setup, checkout and the build itself are the same on both
// paths and are left out.
//
//	go run ./bench/webhookpath [-upload-delay 10m] [-build-delay 0] [-size 24MiB] [-runs 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/distribute"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/relay"
	"github.com/asc-action/asc-action/internal/testclock"
	"github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/upload"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// macOSMultiplier is how many Linux minutes GitHub bills for one macOS
// minute on its standard hosted runners (its published per-minute rates).
const macOSMultiplier = 10

type options struct {
	uploadDelay, buildDelay time.Duration
	size                    int64
	runs                    int
}

func main() {
	var o options
	flag.DurationVar(&o.uploadDelay, "upload-delay", 10*time.Minute, "emulator: commit to the upload's COMPLETE")
	flag.DurationVar(&o.buildDelay, "build-delay", 0, "emulator: COMPLETE to the build's VALID")
	size := flag.Int("size-mib", 24, "IPA payload size in MiB")
	flag.IntVar(&o.runs, "runs", 3, "runs of each path")
	flag.Parse()
	o.size = int64(*size) << 20
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhookpath:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	fmt.Printf("processing: upload %v + build %v on the emulator's clock; IPA %d MiB; %d runs\n\n", o.uploadDelay, o.buildDelay, o.size>>20, o.runs)
	fmt.Println("| run | wait: processing (macOS) | webhook path: macOS job | relay: delivery to dispatch | webhook path: Linux job |")
	fmt.Println("|---|---:|---:|---:|---:|")
	var a, mac, linux []time.Duration
	for i := 0; i < o.runs; i++ {
		w, err := newWorld(o)
		if err != nil {
			return err
		}
		ra, err := w.waitProcessing(fmt.Sprint(100 + i))
		if err != nil {
			w.close()
			return fmt.Errorf("wait: processing: %w", err)
		}
		rm, relayT, rl, err := w.webhookPath(fmt.Sprint(200 + i))
		w.close()
		if err != nil {
			return fmt.Errorf("webhook path: %w", err)
		}
		a, mac, linux = append(a, ra), append(mac, rm), append(linux, rl)
		fmt.Printf("| %d | %s | %s | %s | %s |\n", i+1, fmtD(ra), fmtD(rm), relayT.Round(time.Millisecond), fmtD(rl))
	}
	ma, mm, ml := median(a), median(mac), median(linux)
	fmt.Printf("\nmedian runner time: wait: processing %s on macOS; webhook path %s on macOS + %s on Linux\n", fmtD(ma), fmtD(mm), fmtD(ml))
	billedA, billedM, billedL := minutes(ma), minutes(mm), minutes(ml)
	fmt.Printf("billed minutes (each job rounded up): %d macOS = %d Linux-minute equivalents; webhook path %d macOS + %d Linux = %d (macOS x%d)\n",
		billedA, billedA*macOSMultiplier, billedM, billedL, billedM*macOSMultiplier+billedL, macOSMultiplier)
	return nil
}

func fmtD(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func minutes(d time.Duration) int { return int(math.Ceil(d.Minutes())) }

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// world is one emulator on a fake clock, with a relay and a stand-in for
// GitHub's API.
type world struct {
	o      options
	clock  *testclock.Clock
	srv    *emulator.Server
	client *asc.Client
	dir    string
	relay  *httptest.Server
	gh     *httptest.Server
	secret string
	mu     sync.Mutex
	// dispatched are the client_payloads GitHub's stand-in accepted.
	dispatched []map[string]any
	closers    []func()
}

func newWorld(o options) (*world, error) {
	w := &world{o: o, clock: testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), secret: "bench-webhook-secret"}
	key, err := emulator.NewThrowawayKey()
	if err != nil {
		return nil, err
	}
	w.srv = emulator.New(emulator.Config{Now: w.clock.Now, Keys: []emulator.Key{key.Key()}, Data: emulator.DefaultData(w.clock.Now()),
		UploadProcessingDelay: o.uploadDelay, BuildProcessingDelay: o.buildDelay, BetaReviewDelay: -1})
	url, err := w.srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func() { _ = w.srv.Close() })
	minter, err := token.NewMinter(key.Private, token.Options{KeyID: key.KeyID, IssuerID: key.IssuerID, Type: token.KeyType("team")}, w.clock.Now)
	if err != nil {
		return nil, err
	}
	if w.client, err = asc.New(url, mintSource{minter}, asc.WithClock(w.clock.Now), asc.WithSleep(w.clock.Sleep)); err != nil {
		return nil, err
	}
	if w.dir, err = os.MkdirTemp("", "webhookpath-"); err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func() { os.RemoveAll(w.dir) })
	return w, w.startRelay()
}

func (w *world) close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
}

// mintSource mints a token per request on the emulator's clock.
type mintSource struct{ m *token.Minter }

func (s mintSource) Token(context.Context) (string, error) {
	t, err := s.m.Mint()
	return t.Value, err
}

func (w *world) startRelay() error {
	w.gh = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body struct {
			ClientPayload map[string]any `json:"client_payload"`
		}
		if err := decode(r, &body); err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.dispatched = append(w.dispatched, body.ClientPayload)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	w.closers = append(w.closers, w.gh.Close)
	gh, err := relay.NewGitHub("bench/app", "bench-token", w.gh.URL+"/", nil)
	if err != nil {
		return err
	}
	h, err := relay.New(relay.Config{Secrets: [][]byte{[]byte(w.secret)}, Dispatcher: gh})
	if err != nil {
		return err
	}
	w.relay = httptest.NewServer(h)
	w.closers = append(w.closers, w.relay.Close)
	_, _, err = w.client.CreateWebhook(context.Background(), "1000000001", asc.WebhookCreate{Enabled: true,
		EventTypes: []string{asc.EventBuildUploadStateUpdated}, Name: "bench", Secret: w.secret, URL: w.relay.URL + "/"})
	return err
}

func (w *world) ipa(build string) (string, error) {
	path := filepath.Join(w.dir, build+".ipa")
	facts := ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: build, ShortVersion: "1.0", Platform: ipa.IOS}
	_, _, err := ipa.WriteFile(path, facts, ipa.WriteOptions{PayloadSize: w.o.size, Binary: true, Seed: 1})
	return path, err
}

// job measures a job's runner time: real time plus the time it slept on
// the clock.
func (w *world) job(f func() error) (time.Duration, error) {
	fake0, real0 := w.clock.Now(), time.Now()
	err := f()
	return time.Since(real0) + w.clock.Now().Sub(fake0), err
}

var tfConfig = func(buildID string) distribute.Config {
	no := false
	return distribute.Config{BuildID: buildID, Groups: []string{"Internal Testers"}, UsesNonExemptEncryption: &no, Locale: distribute.DefaultLocale}
}

// waitProcessing is the one macOS job of wait: processing.
func (w *world) waitProcessing(build string) (time.Duration, error) {
	path, err := w.ipa(build)
	if err != nil {
		return 0, err
	}
	return w.job(func() error {
		res, err := upload.Run(context.Background(), w.client, upload.Config{Path: path, Wait: upload.WaitProcessing, Now: w.clock.Now, Sleep: w.clock.Sleep}, nil)
		if err != nil {
			return err
		}
		_, err = distribute.Run(context.Background(), w.client, res.AppID, tfConfig(res.BuildID), nil)
		return err
	})
}

// webhookPath is the macOS job, Apple's processing with the relay, and the
// Linux job the dispatch starts.
func (w *world) webhookPath(build string) (mac, relayed, linux time.Duration, err error) {
	path, err := w.ipa(build)
	if err != nil {
		return 0, 0, 0, err
	}
	var uploadID string
	mac, err = w.job(func() error {
		res, err := upload.Run(context.Background(), w.client, upload.Config{Path: path, Wait: upload.WaitNone, Now: w.clock.Now, Sleep: w.clock.Sleep}, nil)
		if res != nil {
			uploadID = res.BuildUploadID
		}
		return err
	})
	if err != nil {
		return 0, 0, 0, err
	}
	// No runner while Apple processes: the clock moves, the emulator sends.
	w.clock.Advance(w.o.uploadDelay)
	t0 := time.Now()
	w.srv.Tick()
	relayed = time.Since(t0)
	if !w.completed(uploadID) {
		return 0, 0, 0, fmt.Errorf("no dispatch of upload %s COMPLETE", uploadID)
	}
	linux, err = w.job(func() error {
		up, _, err := w.client.GetBuildUpload(context.Background(), uploadID)
		if err != nil {
			return err
		}
		b, err := distribute.Wait(context.Background(), w.client, distribute.Target{BuildID: up.BuildID()},
			distribute.WaitOptions{Timeout: time.Hour, Now: w.clock.Now, Sleep: w.clock.Sleep})
		if err != nil {
			return err
		}
		_, err = distribute.Run(context.Background(), w.client, "", tfConfig(b.ID), nil)
		return err
	})
	return mac, relayed, linux, err
}

func (w *world) completed(uploadID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.dispatched {
		if p["instance_id"] == uploadID && p["new_state"] == "COMPLETE" {
			return true
		}
	}
	return false
}
