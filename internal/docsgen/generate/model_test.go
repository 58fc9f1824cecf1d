package generate

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/asc-action/asc-action/internal/command"
)

func fakeCommands() []*command.Command {
	key := command.Input{Name: "private-key", Env: "ASC_PRIVATE_KEY", Secret: true, Usage: "the key"}
	return []*command.Command{
		{
			Name: "token",
			Inputs: []command.Input{
				key,
				{Name: "expires-in", Default: "20m", Usage: "lifetime"},
				{Name: "json", CLIOnly: true, Bool: true, Usage: "print JSON"},
				{Name: "timeout", Default: "1m", Usage: "how long to wait"},
			},
			Outputs: []command.Output{{Name: "token", Usage: "the JWT"}, {Name: "key-id", Usage: "the Key ID"}},
		},
		{
			Name: "upload",
			Inputs: []command.Input{
				{Name: "ipa", Positional: true, Usage: "the IPA path"},
				key,
				{Name: "timeout", Default: "30m", Usage: "how long to wait for processing"},
				{Name: "wait", Bool: true, Default: "true", Usage: "wait for processing"},
			},
			Outputs: []command.Output{{Name: "build-id", Usage: "the build"}, {Name: "key-id", Usage: "the Key ID used"}},
		},
		{
			Name:    "serve",
			CLIOnly: true,
			Inputs:  []command.Input{{Name: "port", Usage: "TCP port"}},
			Outputs: []command.Output{{Name: "url", Usage: "where it listens"}},
		},
	}
}

func TestCollect(t *testing.T) {
	m, err := Collect(fakeCommands())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range m.Inputs {
		names = append(names, d.Name)
	}
	if want := []string{"private-key", "expires-in", "timeout", "ipa", "wait"}; !slices.Equal(names, want) {
		t.Errorf("inputs %v, want %v (first appearance, CLI-only inputs and commands left out)", names, want)
	}
	if want := []string{"token", "upload"}; !slices.Equal(m.CommandNames, want) {
		t.Errorf("commands %v, want %v (the CLI-only command left out)", m.CommandNames, want)
	}
	get := func(name string) InputDoc {
		for _, d := range m.Inputs {
			if d.Name == name {
				return d
			}
		}
		t.Fatalf("no input %s", name)
		return InputDoc{}
	}
	tests := []struct {
		name     string
		commands []string
		def      string
		defaults map[string]string
		secret   bool
	}{
		{"private-key", []string{"token", "upload"}, "", nil, true},
		{"expires-in", []string{"token"}, "20m", nil, false},
		{"timeout", []string{"token", "upload"}, "", map[string]string{"token": "1m", "upload": "30m"}, false},
		{"wait", []string{"upload"}, "true", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := get(tt.name)
			if !slices.Equal(d.Commands, tt.commands) {
				t.Errorf("commands %v, want %v", d.Commands, tt.commands)
			}
			if d.Default != tt.def {
				t.Errorf("default %q, want %q", d.Default, tt.def)
			}
			if len(d.Defaults) != len(tt.defaults) {
				t.Errorf("per-command defaults %v, want %v", d.Defaults, tt.defaults)
			}
			for c, v := range tt.defaults {
				if d.Defaults[c] != v {
					t.Errorf("default for %s %q, want %q", c, d.Defaults[c], v)
				}
			}
			if d.Secret != tt.secret {
				t.Errorf("secret %v, want %v", d.Secret, tt.secret)
			}
		})
	}
	var outs []string
	for _, o := range m.Outputs {
		outs = append(outs, o.Name+":"+strings.Join(o.Commands, "+"))
	}
	if want := []string{"token:token", "key-id:token+upload", "build-id:upload"}; !slices.Equal(outs, want) {
		t.Errorf("outputs %v, want %v", outs, want)
	}
	if desc := m.FullDescription(get("timeout")); !strings.Contains(desc, "Default: 1m for token; 30m for upload.") {
		t.Errorf("differing defaults not described: %q", desc)
	}
	if desc := m.FullDescription(get("private-key")); !strings.Contains(desc, "Used by: all commands.") || !strings.Contains(desc, "ASC_PRIVATE_KEY") {
		t.Errorf("description %q lacks the commands or the environment variable", desc)
	}
}

func TestCollectRefuses(t *testing.T) {
	tests := []struct {
		name string
		cmds []*command.Command
		want string
	}{
		{"none", nil, "no commands"},
		{"reserved", []*command.Command{{Name: "x", Inputs: []command.Input{{Name: "command", Usage: "u"}}}}, "reserved"},
		{"not kebab", []*command.Command{{Name: "x", Inputs: []command.Input{{Name: "Key_ID", Usage: "u"}}}}, "kebab-case"},
		{"twice", []*command.Command{{Name: "x", Inputs: []command.Input{{Name: "a", Usage: "u"}, {Name: "a", Usage: "u"}}}}, "declared twice"},
		{"no usage", []*command.Command{{Name: "x", Inputs: []command.Input{{Name: "a"}}}}, "no Usage"},
		{"output no usage", []*command.Command{{Name: "x", Outputs: []command.Output{{Name: "a"}}}}, "no Usage"},
		{"command twice", []*command.Command{{Name: "x"}, {Name: "x"}}, "registered twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Collect(tt.cmds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Collect: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSetTopLevel(t *testing.T) {
	block := generatedNote + "\ninputs:\n  a:\n    description: \"x\"\n"
	tests := []struct {
		name, doc, want, err string
	}{
		{
			name: "replaces the block and keeps the rest, comments too",
			doc:  "# head\nname: n # why\n\ninputs:\n  old:\n    description: y\n\n  other: z\n\nruns:\n  # how\n  using: docker\n",
			want: "# head\nname: n # why\n\n" + block + "\nruns:\n  # how\n  using: docker\n",
		},
		{
			name: "replaces its own earlier output",
			doc:  "name: n\n\n" + block + "\nruns: {}\n",
			want: "name: n\n\n" + block + "\nruns: {}\n",
		},
		{
			name: "empty key",
			doc:  "name: n\ninputs:\nruns: {}\n",
			want: "name: n\n\n" + block + "\nruns: {}\n",
		},
		{
			name: "absent key is appended",
			doc:  "name: n\n",
			want: "name: n\n\n" + block,
		},
		{
			name: "flow mapping becomes a block",
			doc:  "inputs: {}\n",
			want: block,
		},
		{name: "twice", doc: "inputs:\n  a: 1\ninputs:\n", err: "twice"},
		{name: "not a mapping", doc: "- a\n", err: "not a YAML mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := loadYAML(tt.doc)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			SetTopLevel(doc, "inputs", mapping(scalar("a"), mapping(scalar("description"), quoted("x"))), generatedNote)
			got, err := dumpYAML(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestReplaceMarkedPairs(t *testing.T) {
	const doc = "env:\n  KEEP: 1\n  # b\n  OLD: 1\n  OLDER: 2\n  # e\n  AFTER: 3\n"
	d, err := loadYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	env := lookup(d.Content[0], "env")
	if err := ReplaceMarkedPairs(env, "# b", "# e", []*yaml.Node{scalar("A"), scalar("x")}); err != nil {
		t.Fatal(err)
	}
	got, err := dumpYAML(d)
	if want := "env:\n  KEEP: 1\n  # b\n  A: x\n  # e\n  AFTER: 3\n"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, src := range []string{"env:\n  A: 1\n", "env:\n  # e\n  A: 1\n  # b\n  B: 2\n"} {
		d, _ := loadYAML(src)
		if err := ReplaceMarkedPairs(lookup(d.Content[0], "env"), "# b", "# e", []*yaml.Node{scalar("A"), scalar("x")}); !errors.Is(err, ErrNoMarkers) {
			t.Errorf("%q: err %v, want ErrNoMarkers", src, err)
		}
	}
}

func TestReplaceMarked(t *testing.T) {
	tests := []struct {
		name, doc, want string
		noMarkers       bool
	}{
		{
			name: "indents like the marker",
			doc:  "env:\n  # b\n  OLD: 1\n  # e\nrun: x\n",
			want: "env:\n  # b\n  A: 1\n\n  B: 2\n  # e\nrun: x\n",
		},
		{name: "missing", doc: "nothing here\n", noMarkers: true},
		{name: "end only", doc: "# e\n", noMarkers: true},
		{name: "reversed", doc: "# e\n# b\n", noMarkers: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReplaceMarked(tt.doc, "# b", "# e", "A: 1\n\nB: 2\n")
			if tt.noMarkers {
				if !errors.Is(err, ErrNoMarkers) {
					t.Fatalf("err %v, want ErrNoMarkers", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMarkdownCells(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AuthKey_<KEYID>.p8", "AuthKey_&lt;KEYID&gt;.p8"},
		{"one `METHOD <path>` per line", "one `METHOD <path>` per line"},
		{"a | b\nc", `a \| b c`},
		{"`a|b`", "`a\\|b`"},
		{"odd ` <x>", "odd ` &lt;x&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := mdCell(tt.in); got != tt.want {
				t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRunDetectsDriftAndWrites renders into a copy of the repository's
// documents with a command set that adds an input and an output: the check
// must report every file stale, -write must fix them, and a second pass
// must find nothing to do.
func TestRunDetectsDriftAndWrites(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	for _, tg := range Targets {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(tg.Path)))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(tg.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Collect(fakeCommands())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Run(dir, m, false) {
		if r.Err != nil || !r.Stale {
			t.Errorf("%s: stale=%v err=%v; a different command set must make it stale", r.Path, r.Stale, r.Err)
		}
	}
	for _, r := range Run(dir, m, true) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
	}
	for _, r := range Run(dir, m, false) {
		if r.Err != nil || r.Stale {
			t.Errorf("%s after -write: stale=%v err=%v (%s)", r.Path, r.Stale, r.Err, r.Diff)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(b), "| `build-id` | upload |") {
		t.Errorf("README after -write lacks the new output row")
	}
	b, _ = os.ReadFile(filepath.Join(dir, "native", "action.yml"))
	if !strings.Contains(string(b), "INPUT_IPA: ${{ inputs.ipa }}") {
		t.Errorf("native/action.yml after -write does not pass the new input on")
	}
}

func TestReadmeWithoutMarkers(t *testing.T) {
	m, err := Collect(fakeCommands())
	if err != nil {
		t.Fatal(err)
	}
	_, err = renderReadme("# asc-action\n\n## Inputs\n", m)
	if !errors.Is(err, ErrNoMarkers) || !strings.Contains(err.Error(), ReadmeInputsBegin) {
		t.Errorf("err %v, want ErrNoMarkers naming %s", err, ReadmeInputsBegin)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestUsageSet(t *testing.T) {
	tests := []struct {
		name string
		adds [][2]string
		want string
	}{
		{"one", [][2]string{{"a", "the key."}}, "the key"},
		{"agree", [][2]string{{"a", "the key"}, {"b", " the  key. "}}, "the key"},
		{"differ", [][2]string{{"a", "x"}, {"b", "y"}}, "a: x; b: y"},
		{"grouped", [][2]string{{"a", "x"}, {"b", "y"}, {"c", "x"}}, "a, c: x; b: y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u usageSet
			for _, a := range tt.adds {
				u.add(a[0], a[1])
			}
			if got := u.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCollectDescribesDifferingUsage(t *testing.T) {
	m, err := Collect(fakeCommands())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Inputs {
		if d.Name == "timeout" && d.Description != "token: how long to wait; upload: how long to wait for processing" {
			t.Errorf("timeout: %q", d.Description)
		}
		if d.Name == "private-key" && d.Description != "the key" {
			t.Errorf("private-key: %q", d.Description)
		}
	}
	for _, o := range m.Outputs {
		if o.Name == "key-id" && o.Description != "token: the Key ID; upload: the Key ID used" {
			t.Errorf("key-id output: %q", o.Description)
		}
	}
}
