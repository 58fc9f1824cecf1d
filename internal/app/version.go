package app

import (
	"fmt"
	"runtime/debug"
)

// Stamped at build time by the release (.goreleaser.yaml) and by the
// source builds (Dockerfile, native/action.yml):
//
//	-ldflags "-X github.com/asc-action/asc-action/internal/app.Version=v1.2.3
//	          -X github.com/asc-action/asc-action/internal/app.Commit=<sha>
//	          -X github.com/asc-action/asc-action/internal/app.Date=<RFC 3339>"
//
// Left empty, they are read from the build information Go records: the
// module version for `go install github.com/asc-action/asc-action@v1.2.3`,
// the VCS revision and time for a `go build` in a git checkout.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// VersionString is what `asc-action --version` prints after the program
// name: the version, then the commit and the date when known.
func VersionString() string {
	bi, _ := debug.ReadBuildInfo()
	return versionString(Version, Commit, Date, bi)
}

func versionString(version, commit, date string, bi *debug.BuildInfo) string {
	if bi != nil {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s)", version, commit, date)
}
