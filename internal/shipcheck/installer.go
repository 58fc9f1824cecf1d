package shipcheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
)

// CopyInstaller lays out in action (a directory that exists) the native
// action's installer: root's native/install.sh and, unless checksums is
// empty, the release's checksums.txt, without which install.sh takes the
// ref for one that has no release and asks for the source build.
func CopyInstaller(root, action, checksums string) error {
	script, err := os.ReadFile(filepath.Join(root, "native", "install.sh"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(action, "install.sh"), script, 0o755); err != nil {
		return err
	}
	if checksums == "" {
		return nil
	}
	return os.WriteFile(filepath.Join(action, "checksums.txt"), []byte(checksums), 0o644)
}

// Installer runs a copy of the native action's install.sh (CopyInstaller)
// with one runner's folders.
type Installer struct {
	Action    string // the copy of native/
	ToolCache string // RUNNER_TOOL_CACHE
	Temp      string // RUNNER_TEMP
	// Timeout, if set, kills a run that takes longer (its Err says so).
	Timeout time.Duration
}

// InstallResult is what one run of install.sh left: its outputs (bin, or
// build=true), its log, and its failure.
type InstallResult struct {
	Outputs map[string]string
	Log     string
	Err     error
}

// Run runs install.sh as the composite action's first step does (bash
// --noprofile --norc -eo pipefail) on a runnerOS/runnerArch runner, with
// GITHUB_OUTPUT at output, PATH and HOME and the runner's variables; env
// adds to them (ASC_ACTION_DOWNLOAD_URL, say). The error is for a run that
// could not be made or left an output file the runner would refuse; a
// failing install.sh is the result's Err.
func (in Installer) Run(output, runnerOS, runnerArch string, env ...string) (InstallResult, error) {
	if err := os.WriteFile(output, nil, 0o644); err != nil {
		return InstallResult{}, err
	}
	ctx := context.Background()
	if in.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", filepath.Join(in.Action, "install.sh"))
	cmd.WaitDelay = time.Second // curl, a child, may hold the log's pipe
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"RUNNER_OS=" + runnerOS, "RUNNER_ARCH=" + runnerArch,
		"RUNNER_TOOL_CACHE=" + in.ToolCache, "RUNNER_TEMP=" + in.Temp, "GITHUB_OUTPUT=" + output,
	}, env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	runErr := cmd.Run()
	b, err := os.ReadFile(output)
	if err != nil {
		return InstallResult{}, err
	}
	outputs, err := actionstest.ParseOutputFile(string(b))
	if err != nil {
		return InstallResult{}, err
	}
	return InstallResult{Outputs: outputs, Log: log.String(), Err: runErr}, nil
}
