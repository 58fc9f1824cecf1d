package actions

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/untrusted"
)

func envFrom(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// parse reads a GITHUB_OUTPUT file with the runner's rules, failing t
// where the runner would fail the step.
func parse(t *testing.T, data string) map[string]string {
	t.Helper()
	out, err := actionstest.ParseOutputFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCraftedOutputValuesCannotAddOutputs(t *testing.T) {
	crafted := []string{
		"x\n" + outputDelimiter + "\ninjected=1",
		"x\r\n" + outputDelimiter + "\r\ninjected<<EOF\r\nyes\r\nEOF",
		"a\ninjected=2",
		outputDelimiter + "\ninjected=3",
	}
	for _, v := range crafted {
		dir := t.TempDir()
		outFile := filepath.Join(dir, "out")
		os.WriteFile(outFile, nil, 0o644)
		var stdout bytes.Buffer
		cmd := &command.Command{Name: "token", Run: func(ctx context.Context, env *command.Env) error {
			if err := env.Report.SetOutput("value", v); err != nil {
				return err
			}
			return env.Report.SetOutput("after", "ok")
		}}
		r := &Runner{Commands: []*command.Command{cmd}, Getenv: envFrom(map[string]string{"GITHUB_OUTPUT": outFile}), Stdout: &stdout}
		if code := r.Run(context.Background()); code != 0 {
			t.Fatalf("exit %d: %s", code, stdout.String())
		}
		data, _ := os.ReadFile(outFile)
		got := parse(t, string(data))
		if len(got) != 2 || got["after"] != "ok" {
			t.Errorf("value %q produced outputs %v", v, got)
		}
		if strings.ContainsAny(got["value"], "\r\n") {
			t.Errorf("value kept a line break: %q", got["value"])
		}
	}
	// The delimiter alone would end its own heredoc: it is refused.
	var stdout bytes.Buffer
	outFile := filepath.Join(t.TempDir(), "out")
	os.WriteFile(outFile, nil, 0o644)
	cmd := &command.Command{Name: "token", Run: func(ctx context.Context, env *command.Env) error {
		return env.Report.SetOutput("value", outputDelimiter)
	}}
	r := &Runner{Commands: []*command.Command{cmd}, Getenv: envFrom(map[string]string{"GITHUB_OUTPUT": outFile}), Stdout: &stdout}
	if code := r.Run(context.Background()); code != 1 || !strings.Contains(stdout.String(), "delimiter") {
		t.Errorf("delimiter value: exit %d, %s", code, stdout.String())
	}
	data, _ := os.ReadFile(outFile)
	parse(t, string(data))
}

func TestMasksRedactAndEscape(t *testing.T) {
	var stdout bytes.Buffer
	sum := filepath.Join(t.TempDir(), "sum")
	os.WriteFile(sum, nil, 0o644)
	cmd := &command.Command{Name: "token", Run: func(ctx context.Context, env *command.Env) error {
		env.Report.Mask("line-one-secret\nline-two-secret")
		env.Report.Infof("value is line-two-secret")
		env.Report.Infof("::set-output name=x::y")
		env.Report.Warning("t", "warn line-one-secret")
		env.Report.Summary(untrusted.Markdownf("| line-one-secret |"))
		end := env.Report.Group("group")
		end()
		return nil
	}}
	r := &Runner{Commands: []*command.Command{cmd}, Getenv: envFrom(map[string]string{"GITHUB_STEP_SUMMARY": sum}), Stdout: &stdout}
	if code := r.Run(context.Background()); code != 0 {
		t.Fatal(code)
	}
	out := stdout.String()
	for _, want := range []string{"::add-mask::line-one-secret\n", "::add-mask::line-two-secret\n", "value is ***", ": :set-output", "::warning title=t::warn ***", "::group::group", "::endgroup::"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "::add-mask::line-two") > strings.Index(out, "value is") {
		t.Error("mask came after the log line")
	}
	b, _ := os.ReadFile(sum)
	if strings.Contains(string(b), "secret") {
		t.Errorf("summary not redacted: %s", b)
	}
}

// TestSummaryRedactsSecretsTheEscapingBroke: the Markdown rule breaks
// autolinks with zero-width spaces, which depend on the text around a
// secret; the summary is still redacted.
func TestSummaryRedactsSecretsTheEscapingBroke(t *testing.T) {
	secrets := []string{"tok-1en", "abcdef0123456789", "key@ho#st", "p<a&s*s|w~d"}
	sum := filepath.Join(t.TempDir(), "sum")
	os.WriteFile(sum, nil, 0o644)
	cmd := &command.Command{Name: "token", Run: func(ctx context.Context, env *command.Env) error {
		for _, s := range secrets {
			env.Report.Mask(s)
			env.Report.Summary(untrusted.Markdownf("%s\n", "in a word 00"+s+" and alone "+s+"."))
		}
		return nil
	}}
	var stdout bytes.Buffer
	r := &Runner{Commands: []*command.Command{cmd}, Getenv: envFrom(map[string]string{"GITHUB_STEP_SUMMARY": sum}), Stdout: &stdout}
	if code := r.Run(context.Background()); code != 0 {
		t.Fatal(code)
	}
	b, _ := os.ReadFile(sum)
	plain := strings.NewReplacer("&#8203;", "", "\\", "", "&lt;", "<", "&amp;", "&").Replace(string(b))
	for _, s := range secrets {
		if strings.Contains(plain, s) || strings.Contains(plain, s[:4]) {
			t.Errorf("the summary holds %q:\n%s", s, b)
		}
	}
	if strings.Count(string(b), "***") != 2*len(secrets) {
		t.Errorf("want every secret redacted twice:\n%s", b)
	}
}

func TestLineProgressCadence(t *testing.T) {
	var lines []string
	now := int64(0)
	clock := func() time.Time { return time.Unix(now, 0) }
	p := command.NewLineProgress(func(f untrusted.Format, a ...any) { lines = append(lines, untrusted.Log(f, a...)) }, clock, "upload", 100<<20, 5*time.Second)
	for i := int64(1); i <= 20; i++ {
		now = i
		p.Set(i * 5 << 20)
	}
	p.Finish()
	p.Finish()
	if len(lines) != 5 { // at 5, 10, 15, 20 s, then the final line
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	if !strings.Contains(lines[0], "25.0 MiB / 100.0 MiB (25%)") || !strings.Contains(lines[0], "5.2 MB/s") || !strings.Contains(lines[0], "ETA 15s") {
		t.Errorf("line = %q", lines[0])
	}
}

// Every printer of the Reporter passes text from outside through package
// untrusted: whatever a title, a message, a log argument or a summary
// holds, the runner reads no command but ours from the log, annotation
// properties stay the title alone, and the summary holds no HTML.
func TestReporterIsTheOutputBoundary(t *testing.T) {
	const evil = "x\n::add-mask::pwned\r::stop-commands::pwned ##[set-output name=a;]pwned, file=pwned.go: <b>@octocat</b>"
	var stdout bytes.Buffer
	sum := filepath.Join(t.TempDir(), "sum")
	os.WriteFile(sum, nil, 0o644)
	cmd := &command.Command{Name: "token", Run: func(ctx context.Context, env *command.Env) error {
		env.Report.Infof("%s", evil)
		env.Report.Infof("name %q, error %v", evil, errors.New(evil))
		env.Report.Notice(evil, evil)
		env.Report.Warning(evil, evil)
		env.Report.Error(evil, evil)
		env.Report.Group(evil)()
		p := env.Report.Progress(evil, 10)
		p.Set(10)
		p.Finish()
		env.Report.Summary(untrusted.Markdownf("| %s |\n", evil))
		return errors.New(evil) // the adapter reports it as an error annotation
	}}
	r := &Runner{Commands: []*command.Command{cmd}, Getenv: envFrom(map[string]string{"GITHUB_STEP_SUMMARY": sum}), Stdout: &stdout}
	if code := r.Run(context.Background()); code != 1 {
		t.Fatalf("exit %d", code)
	}
	ours := map[string]bool{"group": true, "endgroup": true, "error": true, "warning": true, "notice": true}
	n := 0
	for _, c := range actionstest.Commands(stdout.String()) {
		if !ours[c.Name] {
			t.Errorf("the runner would execute %q: %q", c.Name, c.Line)
		}
		for k := range c.Properties {
			if k != "title" {
				t.Errorf("property %q injected: %q", k, c.Line)
			}
		}
		if strings.ContainsAny(c.Properties["title"]+c.Data, "\r\n") {
			t.Errorf("a line break survived in %q", c.Line)
		}
		n++
	}
	if n != 6 { // notice, warning, error, group, endgroup, the returned error
		t.Errorf("%d commands, want 6:\n%s", n, stdout.String())
	}
	b, _ := os.ReadFile(sum)
	if strings.Contains(string(b), "<b>") || strings.Contains(string(b), "@octocat") {
		t.Errorf("summary not escaped: %s", b)
	}
}
