package app

import (
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/checkexpiry"
	"github.com/asc-action/asc-action/internal/commands/demo"
	"github.com/asc-action/asc-action/internal/commands/distribute"
	"github.com/asc-action/asc-action/internal/commands/emulator"
	"github.com/asc-action/asc-action/internal/commands/nextbuildnumber"
	"github.com/asc-action/asc-action/internal/commands/relay"
	"github.com/asc-action/asc-action/internal/commands/token"
	"github.com/asc-action/asc-action/internal/commands/upload"
	"github.com/asc-action/asc-action/internal/commands/verify"
	"github.com/asc-action/asc-action/internal/commands/webhook"
	emu "github.com/asc-action/asc-action/internal/emulator"
)

// Commands lists every command, in the order --help shows them.
func Commands() []*command.Command {
	return []*command.Command{
		token.Command(),
		verify.Command(),
		nextbuildnumber.Command(),
		upload.Command(),
		distribute.Command(),
		checkexpiry.Command(),
		webhook.Command(),
		emulator.Command(),
		relay.Command(),
		demo.Command(demoSteps),
	}
}

// demoSteps is the main job the demo runs against the emulator, then the
// webhook path: configure the webhook, upload without waiting, and
// distribute from the repository_dispatch the relay sends.
func demoSteps(f demo.Files) []demo.Step {
	return []demo.Step{
		{Command: token.Command(), Show: []string{"key-id", "key-type", "expires-at"}},
		// The release's readiness, checked before the upload: the same
		// file, groups and compliance answer as the upload step.
		{Command: verify.Command(), Inputs: map[string]string{"plan": "upload,testflight", "app-path": f.IPA,
			"testflight-groups": "Internal Testers\nPublic Beta", "uses-non-exempt-encryption": "false"},
			Show: []string{"key-status", "rate-limit-remaining", "next-build-number"}},
		{Command: upload.Command(), Inputs: map[string]string{"app-path": f.IPA, "wait": "processing", "poll-interval": "1s", "timeout": "2m",
			"testflight-groups": "Internal Testers\nPublic Beta", "whats-new": "Try the new checkout.", "uses-non-exempt-encryption": "false", "submit-beta-review": "true"},
			Show: []string{"build-upload-id", "build-id", "upload-state", "processing-state", "bytes", "duration-seconds", "testflight-groups-added", "beta-review-state"}},
		{Command: webhook.Command(), Inputs: map[string]string{"bundle-id": emu.DemoBundleID, "webhook-ping": "true"},
			Vars: map[string]string{"webhook-url": demo.VarRelayURL, "webhook-secret": demo.VarWebhookSecret},
			Show: []string{"webhook-id", "webhook-change", "ping-id"}},
		{Command: upload.Command(), Inputs: map[string]string{"app-path": f.WebhookIPA, "wait": "none"},
			Show: []string{"build-upload-id", "upload-state", "bytes"}},
		{Command: distribute.Command(), Inputs: map[string]string{"testflight-groups": "Internal Testers", "uses-non-exempt-encryption": "false", "timeout": "2m", "poll-interval": "1s"},
			Vars: map[string]string{"build-upload-id": demo.VarDispatchedUpload},
			Show: []string{"build-id", "testflight-groups-added"}},
	}
}
