package app

import (
	"runtime/debug"
	"testing"
)

func TestVersionString(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/asc-action/asc-action", Version: "v1.4.0"}}
	checkout := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
	}}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"stamped by the release", "v1.2.3", "abc123", "2026-12-01T00:00:00Z", checkout,
			"v1.2.3 (commit abc123, built 2026-12-01T00:00:00Z)"},
		{"go install @v1.4.0", "", "", "", installed, "v1.4.0 (commit unknown, built unknown)"},
		{"go build in a checkout", "", "", "", checkout,
			"dev (commit 0123456789abcdef0123456789abcdef01234567, built 2026-11-30T10:00:00Z)"},
		{"no build information", "", "", "", nil, "dev (commit unknown, built unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionString(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
