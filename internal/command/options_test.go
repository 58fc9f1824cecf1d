package command

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

type testOptions struct {
	Name    string
	Notes   string
	Groups  []string
	On      bool
	Maybe   *bool
	Count   int
	Timeout time.Duration
}

func (o *testOptions) fields() []Field {
	return []Field{
		String(&o.Name, Input{Name: "name", Usage: "u"}),
		Text(&o.Notes, Input{Name: "notes", Usage: "u"}),
		Lines(&o.Groups, Input{Name: "groups", Usage: "u"}),
		Bool(&o.On, Input{Name: "on", Usage: "u"}),
		OptionalBool(&o.Maybe, Input{Name: "maybe", Usage: "u"}),
		Int(&o.Count, Input{Name: "count", Default: "32", Usage: "u"}, 1, 64),
		Duration(&o.Timeout, Input{Name: "timeout", Default: "60m", Usage: "u"}),
	}
}

func fill(t *testing.T, in map[string]string) (*testOptions, error) {
	t.Helper()
	var o testOptions
	err := Fill(MapValues(in), o.fields())
	return &o, err
}

func TestFillParsesEachKind(t *testing.T) {
	o, err := fill(t, map[string]string{"name": "  app \n", "notes": " keep \n", "groups": "A\r\nB, C\n\n", "on": "Yes", "maybe": "off", "count": "8", "timeout": "90"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "app" || o.Notes != " keep \n" || !slices.Equal(o.Groups, []string{"A", "B", "C"}) || !o.On ||
		o.Maybe == nil || *o.Maybe || o.Count != 8 || o.Timeout != 90*time.Second {
		t.Errorf("filled %+v", o)
	}
}

func TestFillEmptyGivesDefaults(t *testing.T) {
	o, err := fill(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "" || o.Groups != nil || o.On || o.Maybe != nil || o.Count != 32 || o.Timeout != time.Hour {
		t.Errorf("filled %+v", o)
	}
}

// The messages are the ones users see (and other tests pin).
func TestFillRefusesBadValues(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{"on": "maybe"}, `on must be true or false, not "maybe"`},
		{map[string]string{"maybe": " perhaps "}, `maybe must be true or false, not "perhaps"`},
		{map[string]string{"count": "65"}, `count must be a whole number from 1 to 64, not "65"`},
		{map[string]string{"count": "many"}, `count must be a whole number from 1 to 64, not "many"`},
		{map[string]string{"timeout": "-5m"}, `timeout must be a duration such as 90s, 15m or 1h30m (or a number of seconds), not "-5m"`},
	}
	for _, tt := range tests {
		_, err := fill(t, tt.in)
		if err == nil || err.Error() != tt.want || ExitCode(err) != ExitUsage {
			t.Errorf("%v: err %v (exit %d), want usage error %q", tt.in, err, ExitCode(err), tt.want)
		}
	}
}

func TestNewDeclaresAndFills(t *testing.T) {
	var got *testOptions
	cmd := New(Command{Name: "x"}, (*testOptions).fields, func(_ context.Context, _ *Env, o *testOptions) error { got = o; return nil })
	var names []string
	for _, in := range cmd.Inputs {
		names = append(names, in.Name)
	}
	if !slices.Equal(names, []string{"name", "notes", "groups", "on", "maybe", "count", "timeout"}) {
		t.Errorf("inputs %v", names)
	}
	if !cmd.Input("on").Bool || !cmd.Input("maybe").Bool || cmd.Input("count").Bool {
		t.Error("Bool and OptionalBool declare switches, the others do not")
	}
	if err := cmd.Run(context.Background(), &Env{Inputs: MapValues{"name": "n", "count": "3"}}); err != nil || got == nil || got.Name != "n" || got.Count != 3 {
		t.Errorf("run got %+v, %v", got, err)
	}
	got = nil
	if err := cmd.Run(context.Background(), &Env{Inputs: MapValues{"count": "0"}}); ExitCode(err) != ExitUsage || got != nil {
		t.Errorf("a bad value ran the command: %v", err)
	}
}

func TestResolveOrder(t *testing.T) {
	cmd := &Command{Inputs: []Input{{Name: "a", Env: "ENV_A", Default: "def"}, {Name: "b"}}}
	env := map[string]string{"ENV_A": "from-env"}
	given := map[string]string{}
	vals := Resolve(cmd, func(n string) (string, bool) { v, ok := given[n]; return v, ok }, func(k string) string { return env[k] })
	check := func(name, want string, wantOK bool) {
		t.Helper()
		if v, ok := vals.Lookup(name); v != want || ok != wantOK {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", name, v, ok, want, wantOK)
		}
	}
	check("a", "from-env", true)
	given["a"] = "given"
	check("a", "given", true)
	delete(env, "ENV_A")
	delete(given, "a")
	check("a", "def", true)
	check("b", "", false)
	check("undeclared", "", false)
}

func TestRunSafelyHidesPanicsAndCloses(t *testing.T) {
	closed := false
	env := &Env{}
	env.OnClose(func() { closed = true })
	cmd := &Command{Name: "boom", Run: func(context.Context, *Env) error { panic("secret-value") }}
	err := RunSafely(context.Background(), cmd, env, "please report it")
	if err == nil || strings.Contains(err.Error(), "secret-value") || err.Error() != "internal error in boom (a bug; please report it)" || !closed {
		t.Errorf("err %v, closed %v", err, closed)
	}
}

// Commands read their inputs from their Options, never by name.
func TestCommandsDoNotLookInputsUp(t *testing.T) {
	lookup := regexp.MustCompile(`env\.Inputs\b|\.Lookup\(`)
	files, _ := filepath.Glob("../commands/*/*.go")
	if len(files) == 0 {
		t.Fatal("no command sources found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if lookup.MatchString(line) {
				t.Errorf("%s:%d looks an input up by name: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
