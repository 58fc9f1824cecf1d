// Package demo is the `demo` command, the README's first command: it makes
// a throwaway key, starts the App Store Connect emulator in-process and runs
// the main job against it, so the whole tool can be tried with no Apple
// account and nothing outside the machine.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/untrusted"
	"github.com/asc-action/asc-action/internal/upload/ipa"
)

// Step is one command the demo runs, with the inputs it adds.
type Step struct {
	Command *command.Command
	Inputs  map[string]string
	// Show lists the outputs worth printing (never the token).
	Show []string
	// Vars are inputs whose values the demo knows only at run time:
	// input name -> VarRelayURL, VarWebhookSecret or VarDispatchedUpload.
	Vars map[string]string
}

// Files are what the demo generated for its steps: the main job's IPA and
// a smaller one, of another build number, for the webhook path.
type Files struct {
	IPA, WebhookIPA string
}

// Steps returns the demo's steps given the files it generated; the app
// package passes the registered commands in.
type Steps func(f Files) []Step

// Options are the demo command's inputs (CLI flags only).
type Options struct {
	IPASize        string
	EmulatorFaults string
}

func (o *Options) fields() []command.Field {
	return []command.Field{
		command.String(&o.IPASize, command.Input{Name: "ipa-size", Default: "24MiB", Usage: "size of the generated IPA's payload (e.g. 8MiB, 512MiB)", CLIOnly: true}),
		command.String(&o.EmulatorFaults, command.Input{Name: "emulator-faults", Usage: "faults to inject in the emulator (see `asc-action emulator --help`), to watch retries", CLIOnly: true}),
	}
}

// Command returns the demo command running steps.
func Command(steps Steps) *command.Command {
	return command.New(command.Command{
		Name:    "demo",
		Summary: "Run the main job against the built-in App Store Connect emulator with a throwaway key",
		Long: `Generates a throwaway EC P-256 key (kept in memory), starts the emulator on
127.0.0.1, then runs token, verify and upload (of a generated IPA) against it; then
the webhook path: webhook points the app's webhook at a relay started in-process, a
second IPA is uploaded without waiting, the emulator's signed notification goes through
the relay to a local stand-in for GitHub's API as a repository_dispatch, and distribute
starts from that dispatch. Prints what happened. Needs no Apple account and nothing
outside this machine.`,
		Outputs: []command.Output{{Name: "result", Usage: "ok when every step succeeded"}},
		Primary: "result",
	}, (*Options).fields, func(ctx context.Context, env *command.Env, opts *Options) error {
		return run(ctx, env, opts, steps)
	})
}

func run(ctx context.Context, env *command.Env, opts *Options, steps Steps) error {
	size, err := parseSize(opts.IPASize)
	if err != nil {
		return err
	}
	faults, err := emulator.ParseFaults(opts.EmulatorFaults)
	if err != nil {
		return command.Usagef("emulator-faults: %v", err)
	}
	key, err := emulator.NewThrowawayKey()
	if err != nil {
		return err
	}
	pemKey := string(key.PEM())
	env.Report.Mask(pemKey)
	keyID, issuer := key.KeyID, key.IssuerID

	srv := emulator.New(emulator.Config{
		Keys:                  []emulator.Key{key.Key()},
		Data:                  emulator.DefaultData(env.Now()),
		UploadProcessingDelay: 2 * time.Second,
		BuildProcessingDelay:  3 * time.Second,
		Faults:                faults,
	})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	defer srv.Close()
	env.Report.Infof("App Store Connect emulator: %s", url)
	env.Report.Infof("Throwaway team key: Key ID %s, Issuer ID %s (generated now, kept in memory)", keyID, issuer)

	dir, err := os.MkdirTemp("", "asc-action-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files, err := writeFiles(dir, size)
	if err != nil {
		return err
	}
	hooks, err := startWebhookPath(env)
	if err != nil {
		return fmt.Errorf("starting the webhook relay: %w", err)
	}
	defer hooks.close()

	base := map[string]string{"private-key": pemKey, "key-id": keyID, "issuer-id": issuer, "api-url": url}
	var rows []untrusted.Markdown
	for _, st := range steps(files) {
		inputs := command.MapValues{}
		waited, err := resolveVars(ctx, hooks, st, inputs)
		rows = append(rows, waited...)
		if err == nil {
			var row untrusted.Markdown
			row, err = runStep(ctx, env, st, base, inputs)
			if row.String() != "" {
				rows = append(rows, row)
			}
		}
		if err != nil {
			env.Report.Summary(table(url, rows))
			return fmt.Errorf("demo step %s: %w", st.Command.Name, err)
		}
	}
	env.Report.Summary(table(url, rows))
	return env.Report.SetOutput("result", "ok")
}

// runStep runs one step with the base inputs and its own, and returns its
// row of the summary table.
func runStep(ctx context.Context, env *command.Env, st Step, base map[string]string, inputs command.MapValues) (untrusted.Markdown, error) {
	for k := range inputs {
		if st.Command.Input(k) == nil {
			return untrusted.Markdown{}, fmt.Errorf("the command has no input %q", k)
		}
	}
	for k, v := range base {
		inputs[k] = v
	}
	for k, v := range st.Inputs {
		if st.Command.Input(k) == nil {
			return untrusted.Markdown{}, fmt.Errorf("the command has no input %q", k)
		}
		inputs[k] = v
	}
	cap := &capture{Reporter: env.Report, outputs: map[string]string{}}
	sub := env.Sub(inputs, cap)
	end := env.Report.Group("asc-action " + st.Command.Name)
	start := time.Now()
	err := st.Command.Run(ctx, sub)
	sub.Close()
	end()
	var shown []string
	for _, o := range st.Show {
		if v, ok := cap.outputs[o]; ok {
			shown = append(shown, o+"="+v)
		}
	}
	status := "ok"
	if err != nil {
		status = "failed: " + err.Error()
	}
	return untrusted.Markdownf("| %s | %s | %s | %.1fs |\n", st.Command.Name, status, strings.Join(shown, ", "), time.Since(start).Seconds()), err
}

func table(url string, rows []untrusted.Markdown) untrusted.Markdown {
	var b untrusted.MarkdownBuilder
	b.Printf("### asc-action demo against the emulator at %s\n\n| step | result | outputs | time |\n|---|---|---|---|\n", url)
	for _, r := range rows {
		b.Append(r)
	}
	return b.Markdown()
}

// capture keeps a step's outputs for the demo's table instead of passing
// them on (the token among them is never printed).
type capture struct {
	command.Reporter
	outputs map[string]string
}

func (c *capture) SetOutput(name, value string) error {
	c.outputs[name] = value
	return nil
}

// Summary keeps sub-step summaries out of the demo's own, shorter one.
func (c *capture) Summary(untrusted.Markdown) {}

// writeFiles generates the main job's IPA and the webhook path's smaller one.
func writeFiles(dir string, size int64) (Files, error) {
	f := Files{IPA: filepath.Join(dir, "Demo.ipa"), WebhookIPA: filepath.Join(dir, "Webhook.ipa")}
	if err := writeIPA(f.IPA, size, "1"); err != nil {
		return f, err
	}
	return f, writeIPA(f.WebhookIPA, 1<<20, "2")
}

// writeIPA writes an IPA of build number <now>.<n> (unique per run).
func writeIPA(path string, size int64, n string) error {
	facts := ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: fmt.Sprint(time.Now().Unix()) + "." + n, ShortVersion: "1.0", Platform: ipa.IOS}
	if _, _, err := ipa.WriteFile(path, facts, ipa.WriteOptions{PayloadSize: size, Binary: true, Seed: 1}); err != nil {
		return fmt.Errorf("generating the demo IPA: %w", err)
	}
	return nil
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(v), u.n
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 || n > 64<<30/mult {
		return 0, command.Usagef("ipa-size %q must be a size such as 8MiB or 1GiB", s)
	}
	return n * mult, nil
}
