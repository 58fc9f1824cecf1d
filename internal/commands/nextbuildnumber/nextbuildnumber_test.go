package nextbuildnumber

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/command/commandtest"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/testkeys"
)

const (
	keyID  = "NEXTBN1234"
	issuer = "69a6de70-03db-47e3-e053-5b8c7c11a4d1"
)

func TestNoAppIsBadUsage(t *testing.T) {
	rec := commandtest.NewRecorder()
	err := Command().Run(context.Background(), rec.Env(map[string]string{"api-url": "http://127.0.0.1:1"}, nil))
	if command.ExitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), "bundle-id") {
		t.Errorf("no app: %v; want a usage error naming bundle-id", err)
	}
}

// Builds and uploads in flight count, within the version when it is given
// and across versions otherwise; a failed upload frees its number.
func TestNextBuildNumber(t *testing.T) {
	k := testkeys.New(t)
	data := emulator.DefaultData(time.Now()) // build 1 of version 1.0
	if err := data.AddUploadsInFlight("1.0:4,2.0:9", time.Now()); err != nil {
		t.Fatal(err)
	}
	data.BuildUploads = append(data.BuildUploads, emulator.BuildUploadSeed{ID: "FAILED01", App: "1000000001", ShortVersion: "1.0", Version: "30", State: emulator.StateFailed})
	srv := emulator.New(emulator.Config{Keys: []emulator.Key{{ID: keyID, IssuerID: issuer, Public: &k.Private.PublicKey}}, Data: data})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	for _, tc := range []struct{ version, platform, next, highest string }{
		{"1.0", "", "5", "4"}, {"2.0", "", "10", "9"}, {"", "", "10", "9"}, {"3.0", "", "1", ""}, {"", "MAC_OS", "1", ""},
	} {
		rec := commandtest.NewRecorder()
		err := Command().Run(context.Background(), rec.Env(map[string]string{"private-key": k.PEM, "key-id": keyID, "issuer-id": issuer,
			"api-url": ts.URL, "bundle-id": emulator.DemoBundleID, "short-version": tc.version, "platform": tc.platform}, time.Now))
		if err != nil || rec.Outputs[OutNext] != tc.next || rec.Outputs[OutHighest] != tc.highest {
			t.Errorf("version %q platform %q: next %q highest %q (%v); want %s, %q\n%s", tc.version, tc.platform, rec.Outputs[OutNext], rec.Outputs[OutHighest], err, tc.next, tc.highest, rec.Text())
		}
	}
}
