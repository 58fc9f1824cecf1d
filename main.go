// Command asc-action is a GitHub Action and a CLI for App Store Connect API
// keys: it reads and masks the key, mints the ES256 JWT, verifies secrets,
// uploads builds and audits expiry. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/asc-action/asc-action/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
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
