package app

import (
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/checkexpiry"
	"github.com/asc-action/asc-action/internal/commands/demo"
	"github.com/asc-action/asc-action/internal/commands/distribute"
	"github.com/asc-action/asc-action/internal/commands/emulator"
	"github.com/asc-action/asc-action/internal/commands/relay"
	"github.com/asc-action/asc-action/internal/commands/token"
	"github.com/asc-action/asc-action/internal/commands/upload"
	"github.com/asc-action/asc-action/internal/commands/verify"
	"github.com/asc-action/asc-action/internal/commands/webhook"
)

// Commands lists every command, in the order --help shows them.
func Commands() []*command.Command {
	return []*command.Command{
		token.Command(),
		verify.Command(),
		upload.Command(),
		distribute.Command(),
		checkexpiry.Command(),
		webhook.Command(),
		emulator.Command(),
		relay.Command(),
		demo.Command(demoSteps),
	}
}

// demoSteps is the main job the demo runs against the emulator.
func demoSteps(ipaPath string) []demo.Step {
	return []demo.Step{
		{Command: token.Command(), Show: []string{"key-id", "key-type", "expires-at"}},
		{Command: verify.Command(), Show: []string{"key-status", "rate-limit-remaining"}},
		{Command: upload.Command(), Inputs: map[string]string{"app-path": ipaPath, "wait": "processing", "poll-interval": "1s", "timeout": "2m",
			"testflight-groups": "Internal Testers\nPublic Beta", "whats-new": "Try the new checkout.", "uses-non-exempt-encryption": "false", "submit-beta-review": "true"},
			Show: []string{"build-upload-id", "build-id", "upload-state", "processing-state", "bytes", "duration-seconds", "testflight-groups-added", "beta-review-state"}},
	}
}
