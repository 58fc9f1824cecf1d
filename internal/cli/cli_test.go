package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asc-action/asc-action/internal/actions/actionstest"
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/token"
	"github.com/asc-action/asc-action/internal/testkeys"
	"github.com/asc-action/asc-action/internal/untrusted"
)

func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	r := &Runner{
		Commands: []*command.Command{token.Command()},
		IO:       IO{Out: &out, Err: &errb},
		Getenv:   func(k string) string { return env[k] },
	}
	code = r.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func keyFile(t *testing.T) (string, string) {
	p := testkeys.New(t).PEM
	path := filepath.Join(t.TempDir(), "AuthKey_ABCDE12345.p8")
	os.WriteFile(path, []byte(p), 0o600)
	return path, p
}

func TestTokenPrintsTheTokenAlone(t *testing.T) {
	path, p := keyFile(t)
	out, errOut, code := run(t, nil, "token", "--private-key-path", path, "--issuer-id", "57246542-96fe-1a63-e053-0824d011072a")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || strings.Count(lines[0], ".") != 2 {
		t.Fatalf("stdout = %q", out)
	}
	if strings.Contains(errOut, lines[0]) || strings.Contains(errOut, strings.Split(p, "\n")[1]) {
		t.Error("stderr shows the token or the key")
	}
	if !strings.Contains(errOut, "ABCDE12345") {
		t.Errorf("stderr does not name the key id taken from the file name: %s", errOut)
	}
}

func TestTokenJSONAndEnv(t *testing.T) {
	_, p := keyFile(t)
	env := map[string]string{"ASC_PRIVATE_KEY": p, "ASC_KEY_ID": "ABCDE12345"}
	out, errOut, code := run(t, env, "token", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var obj map[string]string
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("stdout is not JSON: %q", out)
	}
	keys := []string{"token", "expires_at", "key_id", "key_type"}
	if len(obj) != len(keys) {
		t.Errorf("keys = %v", obj)
	}
	for _, k := range keys {
		if obj[k] == "" {
			t.Errorf("missing %s", k)
		}
	}
	if obj["key_type"] != "individual" || errOut != "" {
		t.Errorf("key_type %q, stderr %q", obj["key_type"], errOut)
	}
}

func TestExitStatuses(t *testing.T) {
	path, _ := keyFile(t)
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"token", "--private-key-path", path, "--nope"}, 2, "flag provided but not defined"},
		{[]string{"launch"}, 2, "unknown command"},
		{[]string{"token", "extra", "--private-key-path", path}, 2, "unexpected argument"},
		{[]string{"token", "--private-key-path", path, "--key-id", "bad"}, 1, "key-id is malformed"},
		{[]string{"token", "--private-key", "garbage garbage garbage"}, 1, "private-key: the value is not a private key"},
		{[]string{"token"}, 1, "no private key was given"},
		{[]string{}, 2, ""},
	}
	for _, tc := range cases {
		out, errOut, code := run(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut)
		}
		if tc.code != 0 && strings.Count(out, ".") == 2 && len(out) > 100 {
			t.Errorf("%v printed a token on failure", tc.args)
		}
	}
}

func TestHelp(t *testing.T) {
	out, _, code := run(t, nil, "token", "--help")
	if code != 0 || !strings.Contains(out, "--private-key-path") || !strings.Contains(out, "$ASC_KEY_ID") || !strings.Contains(out, "expires-at") {
		t.Errorf("help (%d):\n%s", code, out)
	}
	out, _, code = run(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "token") {
		t.Errorf("top help (%d): %s", code, out)
	}
	out, _, _ = run(t, nil, "help", "token")
	if !strings.Contains(out, "Usage:\n  asc-action token") {
		t.Errorf("help token: %s", out)
	}
}

// The CLI may run in a workflow step, whose runner reads commands from
// stdout and stderr alike: every printer escapes text from outside, and a
// primary output printed alone cannot start a command either.
func TestReporterIsTheOutputBoundary(t *testing.T) {
	const evil = "::add-mask::pwned\nx\r::stop-commands::pwned ##[set-output name=a;]pwned \x1b[2J"
	cmd := &command.Command{Name: "hostile", Primary: "value", Outputs: []command.Output{{Name: "value"}}, Run: func(ctx context.Context, env *command.Env) error {
		env.Report.Mask("line-one-secret\nline-two-secret")
		env.Report.Infof("%s", evil)
		env.Report.Infof("%v then line-one-secret\nline-two-secret", errors.New(evil))
		env.Report.Notice(evil, evil)
		env.Report.Warning(evil, evil)
		env.Report.Group(evil)()
		env.Report.Summary(untrusted.Markdownf("%s\n", evil))
		if err := env.Report.SetOutput("value", evil); err != nil {
			return err
		}
		return errors.New(evil)
	}}
	for _, args := range [][]string{{"hostile"}, {"hostile", "--json"}} {
		var out, errb bytes.Buffer
		r := &Runner{Commands: []*command.Command{cmd}, IO: IO{Out: &out, Err: &errb}, Getenv: func(string) string { return "" }}
		if code := r.Run(context.Background(), args); code != 1 {
			t.Fatalf("%v: exit %d", args, code)
		}
		for name, s := range map[string]string{"stdout": out.String(), "stderr": errb.String()} {
			if cmds := actionstest.Commands(s); len(cmds) > 0 {
				t.Errorf("%v %s: the runner would execute %q", args, name, cmds[0].Line)
			}
			if strings.Contains(s, "\x1b") || strings.Contains(s, "line-two-secret") {
				t.Errorf("%v %s holds an escape sequence or a secret: %q", args, name, s)
			}
		}
	}
}

// An unknown command or a bad flag is echoed in the usage error: quoted
// and escaped, so it cannot start a workflow command on stderr.
func TestUsageErrorsEscapeWhatTheyEcho(t *testing.T) {
	for _, args := range [][]string{{"x\n::add-mask::pwned"}, {"token", "::stop-commands::pwned\n::add-mask::x"}, {"token", "--no-such\n::add-mask::x"}} {
		_, errOut, code := run(t, nil, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if cmds := actionstest.Commands(errOut); len(cmds) > 0 {
			t.Errorf("%q: the runner would execute %q", args, cmds[0].Line)
		}
	}
}

// The summary on a terminal goes without the zero-width spaces that stop
// GitHub's autolinks: there they would show as entities.
func TestSummaryOnATerminalHasNoAutolinkBreaks(t *testing.T) {
	cmd := &command.Command{Name: "sum", Run: func(ctx context.Context, env *command.Env) error {
		env.Report.Summary(untrusted.Markdownf("%s\n", "GH-67 @x https://example.com 0123456789abcdef"))
		return nil
	}}
	var out, errb bytes.Buffer
	r := &Runner{Commands: []*command.Command{cmd}, IO: IO{Out: &out, Err: &errb}, Getenv: func(string) string { return "" }}
	if code := r.Run(context.Background(), []string{"sum"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := errb.String(); !strings.Contains(got, "GH-67 @x https://example.com 0123456789abcdef") {
		t.Errorf("summary on stderr: %q", got)
	}
}
