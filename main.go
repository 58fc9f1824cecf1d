// Command asc-action is a GitHub Action and a CLI for App Store Connect API
// keys: it reads and masks the key, mints the ES256 JWT, verifies secrets,
// uploads builds and audits expiry. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/asc-action/asc-action/internal/app"
)

func main() {
	// Ctrl-C and SIGTERM (kill, timeout, docker stop, a cancelled job) both
	// cancel the command, which then cleans up as it would on an error: an
	// upload deletes its unfinished build upload, the emulator removes its
	// throwaway key and store.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, app.System{
		Args:     os.Args[1:],
		Getenv:   os.Getenv,
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		ErrIsTTY: app.IsTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}
