package shipcheck

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/asc-action/asc-action/internal/docsgen/generate"
)

// ModuleRoot is the module's root: the nearest directory at or above the
// working directory that holds go.mod (generate.FindRoot, the one finder).
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return generate.FindRoot(wd)
}

// Workspace returns the module root and a new scratch directory, named
// after prefix, for a command that builds from the module (a bench); the
// caller removes the scratch directory when done.
func Workspace(prefix string) (root, scratch string, err error) {
	if root, err = ModuleRoot(); err != nil {
		return "", "", err
	}
	scratch, err = os.MkdirTemp("", prefix)
	return root, scratch, err
}

// GoBuild builds asc-action from the module at root into out with the flags
// the release (.goreleaser.yaml) and the native action's build step use:
// CGO_ENABLED=0, -trimpath, -s -w, and version stamped (such as "v1.0.0" or
// "dev"). env is added to this process's environment: GOOS and GOARCH to
// cross-compile, GOCACHE for a cold build cache.
func GoBuild(ctx context.Context, root, out, version string, env ...string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags",
		"-s -w -X github.com/asc-action/asc-action/internal/app.Version="+version, "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	return nil
}
