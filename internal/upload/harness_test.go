package upload

import (
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/testclock"
	"github.com/asc-action/asc-action/internal/testkeys"
	"github.com/asc-action/asc-action/internal/token"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// env is an emulator and a client signed by a freshly generated key, both on
// one fake clock.
type env struct {
	t      testing.TB
	url    string
	src    *token.Source
	clock  *testclock.Clock
	emu    *emulator.Server
	client *asc.Client
	mints  atomic.Int32
}

func newEnv(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	c := testclock.New(testclock.Start) // moves only when someone sleeps on it
	e := newEnvClock(t, cfg, c)
	e.client, _ = asc.New(e.url, e.src, asc.WithClock(c.Now), asc.WithSleep(c.Sleep),
		asc.WithRand(mrand.NewPCG(1, 2)), asc.WithRetryWait(10*time.Millisecond, 100*time.Millisecond))
	return e
}

// newEnvClock starts an emulator on clock c (the real clock when nil).
func newEnvClock(t testing.TB, cfg emulator.Config, c *testclock.Clock) *env {
	t.Helper()
	now := time.Now
	if c != nil {
		now = c.Now
	}
	e := &env{t: t, clock: c}
	priv := testkeys.New(t).Private
	const keyID, issuer = "ABCDE12345", "57246542-96fe-1a63-e053-0824d011072a"
	cfg.Keys = []emulator.Key{{ID: keyID, IssuerID: issuer, Public: &priv.PublicKey}}
	if cfg.Data == nil {
		cfg.Data = emulator.DefaultData(now())
	}
	cfg.Now = now
	e.emu = emulator.New(cfg)
	url, err := e.emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.emu.Close() })
	m, err := token.NewMinter(priv, token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.url = url
	e.src = token.NewSource(m, 0, func(token.Token) { e.mints.Add(1) })
	e.client, err = asc.New(url, e.src)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// config is a Config on env's clock with fast retries.
func (e *env) config(path string) Config {
	c := Config{Path: path, Now: e.clock.Now, Sleep: e.clock.Sleep, PollInterval: 10 * time.Second}
	c.Transfer.MinBackoff = 10 * time.Millisecond
	c.Transfer.MaxBackoff = 100 * time.Millisecond
	c.Transfer.MaxAttempts = 12
	c.Transfer.Rand = mrand.New(mrand.NewPCG(3, 4))
	return c
}

// writeIPA generates an IPA for the demo app and returns its path and SHA-256.
func writeIPA(t testing.TB, version string, payload int64, binary bool) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Demo.ipa")
	facts := ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: version, ShortVersion: "1.1", Platform: ipa.IOS, MinimumOSVersion: "17.0"}
	sum, _, err := ipa.WriteFile(p, facts, ipa.WriteOptions{PayloadSize: payload, Binary: binary, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	return p, sum
}

// recorder keeps events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) kinds() map[EventKind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[EventKind]int{}
	for _, e := range r.events {
		m[e.Kind]++
	}
	return m
}

func (r *recorder) find(kind EventKind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
