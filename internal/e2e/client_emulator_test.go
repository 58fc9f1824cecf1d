package e2e

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/token"
)

// clientFor starts the emulator with faults and returns our client for it,
// with retry waits shortened so the test stays fast.
func clientFor(t *testing.T, faults emulator.Faults, events *[]asc.Event) (*asc.Client, *emulator.Server) {
	t.Helper()
	k := newKey(t)
	srv := emulator.New(emulator.Config{
		Keys:   []emulator.Key{{ID: keyID, IssuerID: issuer, Public: &k.priv.PublicKey}},
		Data:   emulator.DefaultData(time.Now()),
		Faults: faults,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	m, err := token.NewMinter(k.priv, token.Options{KeyID: keyID, IssuerID: issuer, Type: token.Team}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asc.New(ts.URL, token.NewSource(m, 0, nil),
		asc.WithRetryWait(time.Millisecond, 5*time.Millisecond),
		asc.WithMaxRetryAfter(2*time.Second),
		asc.WithRetryMax(8),
		asc.WithEvents(func(e asc.Event) { *events = append(*events, e) }))
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestClientAgainstFaultyEmulator(t *testing.T) {
	ctx := context.Background()

	t.Run("reads survive a third of requests failing", func(t *testing.T) {
		var events []asc.Event
		f, err := emulator.ParseFaults("apps:0.33:500,certificates:0.33:503,profiles:0.33:drop,seed:7")
		if err != nil {
			t.Fatal(err)
		}
		c, srv := clientFor(t, f, &events)
		for range 10 {
			apps, _, err := c.ListApps(ctx, &asc.ListAppsOptions{BundleID: []string{emulator.DemoBundleID}})
			if err != nil || len(apps) != 1 {
				t.Fatalf("ListApps: %v (%d apps)", err, len(apps))
			}
			if _, _, err := c.ListCertificates(ctx, nil); err != nil {
				t.Fatalf("ListCertificates: %v", err)
			}
			if _, _, err := c.ListProfiles(ctx, nil); err != nil {
				t.Fatalf("ListProfiles: %v", err)
			}
		}
		retries := 0
		for _, e := range events {
			if e.Kind == asc.EventRetry {
				retries++
			}
		}
		if retries == 0 {
			t.Error("no retry happened: the faults were not injected")
		}
		t.Logf("30 reads, %d retries, emulator counts %v", retries, srv.Requests())
	})

	t.Run("429 with Retry-After is waited out", func(t *testing.T) {
		var events []asc.Event
		c, _ := clientFor(t, emulator.Faults{Rules: []emulator.FaultRule{{Op: "apps_getCollection", Rate: 0.5, Kind: emulator.Fault429}}, RetryAfter: 10 * time.Millisecond, Seed: 11}, &events)
		// Retry-After is whole seconds on the wire: keep the calls few.
		for range 2 {
			if _, _, err := c.ListApps(ctx, nil); err != nil {
				t.Fatalf("ListApps: %v", err)
			}
		}
		fromServer := false
		for _, e := range events {
			fromServer = fromServer || (e.Kind == asc.EventRetry && e.FromServer)
		}
		if !fromServer {
			t.Error("no retry waited for the server's Retry-After")
		}
	})

	// Requests failing every time end in a typed error, sent as often as
	// they are safe to repeat.
	createUpload := func(c *asc.Client) error {
		_, _, err := c.CreateBuildUpload(ctx, "1000000001", "1.0", "7", "IOS")
		return err
	}
	listApps := func(c *asc.Client) error {
		_, _, err := c.ListApps(ctx, nil)
		return err
	}
	for _, tt := range []struct {
		name   string
		op     string
		kind   emulator.FaultKind
		call   func(*asc.Client) error
		status int // the status of the *asc.APIError (ErrServer); 0: a *asc.NetworkError
		sends  int // requests the emulator saw; 0: not counted
	}{
		{"a POST answered 503 is not repeated and fails typed", "buildUploads_createInstance", emulator.Fault503, createUpload, 503, 1},
		{"reads failing every time give a typed error after the retry budget", "apps_getCollection", emulator.Fault500, listApps, 500, 1 + 8},
		{"dropped connections on reads become a network error", "apps_getCollection", emulator.FaultDrop, listApps, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var events []asc.Event
			c, srv := clientFor(t, emulator.Faults{Rules: []emulator.FaultRule{{Op: tt.op, Rate: 1, Kind: tt.kind}}}, &events)
			err := tt.call(c)
			var apiErr *asc.APIError
			var netErr *asc.NetworkError
			if tt.status == 0 && !errors.As(err, &netErr) {
				t.Fatalf("err = %v (%T), want *asc.NetworkError", err, err)
			}
			if tt.status != 0 && (!errors.Is(err, asc.ErrServer) || !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status) {
				t.Fatalf("err = %v, want ErrServer from an *APIError %d", err, tt.status)
			}
			if n := srv.Requests()[tt.op]; tt.sends != 0 && n != tt.sends {
				t.Errorf("sent %d times, want %d", n, tt.sends)
			}
		})
	}
}
