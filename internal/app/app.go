// Package app decides how the binary runs: as a GitHub Action step (under
// GITHUB_ACTIONS=true with no subcommand) or as a CLI, and lists the commands.
package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/asc-action/asc-action/internal/actions"
	"github.com/asc-action/asc-action/internal/cli"
	"github.com/asc-action/asc-action/internal/httpx"
)

// System is what the process gets from the operating system.
type System struct {
	Args     []string // without the program name
	Getenv   func(string) string
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	ErrIsTTY bool
	Now      func() time.Time
	HTTP     *http.Client
}

// Main runs the program and returns its exit status.
func Main(ctx context.Context, sys System) int {
	if sys.Now == nil {
		sys.Now = time.Now
	}
	if sys.HTTP == nil {
		// Every network wait bounded (internal/httpx), for App Store
		// Connect and the GitHub API alike.
		sys.HTTP = &http.Client{Transport: httpx.NewTransport(httpx.APIHeaderTimeout)}
	}
	cmds := Commands()
	if sys.Getenv("GITHUB_ACTIONS") == "true" && len(sys.Args) == 0 {
		r := &actions.Runner{Commands: cmds, Getenv: sys.Getenv, Stdout: sys.Stdout, Now: sys.Now, HTTP: sys.HTTP}
		return r.Run(ctx)
	}
	r := &cli.Runner{
		Commands: cmds,
		IO:       cli.IO{In: sys.Stdin, Out: sys.Stdout, Err: sys.Stderr, ErrIsTTY: sys.ErrIsTTY},
		Getenv:   sys.Getenv,
		Now:      sys.Now,
		HTTP:     sys.HTTP,
		Version:  VersionString(),
	}
	return r.Run(ctx, sys.Args)
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
