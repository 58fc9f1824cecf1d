package actionstest

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
)

func TestParseOutputFile(t *testing.T) {
	tests := []struct {
		name, data string
		want       map[string]string
		wantErr    bool
	}{
		{"empty", "", map[string]string{}, false},
		{"name=value", "a=1\nb=x=y\n", map[string]string{"a": "1", "b": "x=y"}, false},
		{"heredoc", "v<<EOF_1\nline one\nline two\nEOF_1\nafter=ok\n", map[string]string{"v": "line one\nline two", "after": "ok"}, false},
		{"CRLF line breaks", "a=1\r\nv<<D\r\nx\r\nD\r\n", map[string]string{"a": "1", "v": "x"}, false},
		{"= before << is a plain value", "a=b<<c\n", map[string]string{"a": "b<<c"}, false},
		{"empty heredoc", "v<<D\nD\n", map[string]string{"v": ""}, false},
		{"no closing delimiter", "v<<D\nsecret-value\n", nil, true},
		{"neither form", "a=1\nsecret-value\n", nil, true},
		{"heredoc without a name", "<<D\nx\nD\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOutputFile(tt.data)
			if tt.wantErr {
				if !errors.Is(err, ErrOutputFile) {
					t.Fatalf("err = %v, want ErrOutputFile", err)
				}
				if strings.Contains(err.Error(), "secret-value") {
					t.Errorf("the error repeats a value: %v", err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("ParseOutputFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMaskedHidesEveryRegisteredValue(t *testing.T) {
	log := "::add-mask::-----BEGIN PRIVATE KEY-----\n::add-mask::c2VjcmV0LWxpbmU=\n::add-mask::c2VjcmV0\nkey c2VjcmV0LWxpbmU= and c2VjcmV0 here\n"
	got := Masked(log, log)
	if strings.Contains(got, "c2VjcmV0") || strings.Contains(got, "BEGIN PRIVATE KEY") {
		t.Errorf("Masked left a registered value:\n%s", got)
	}
	if !strings.Contains(got, "key *** and *** here") {
		t.Errorf("Masked changed the rest of the log:\n%s", got)
	}
}

func TestInputEnvPassesEveryInputWithItsDefault(t *testing.T) {
	inputs, err := ActionInputs([]byte("name: x\ninputs:\n  command:\n    description: c\n    default: token\n  api-url:\n    description: u\n  wait time:\n    description: w\n    default: \"5\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"command": "token", "api-url": "", "wait time": "5"}; !maps.Equal(inputs, want) {
		t.Fatalf("ActionInputs = %v, want %v", inputs, want)
	}
	env, err := InputEnv(inputs, map[string]string{"api-url": "emulator"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INPUT_API-URL=emulator", "INPUT_COMMAND=token", "INPUT_WAIT_TIME=5"}
	if strings.Join(env, "|") != strings.Join(want, "|") {
		t.Errorf("InputEnv = %q, want %q", env, want)
	}
	if _, err := InputEnv(inputs, map[string]string{"no-such": "x"}); err == nil || !strings.Contains(err.Error(), `"no-such"`) {
		t.Errorf("an undeclared input: err %v, want one naming it", err)
	}
}

// The action.yml files of this repository, read as a runner reads them.
func TestRepositoryActionsReadable(t *testing.T) {
	for _, rel := range []string{"../../../action.yml", "../../../native/action.yml"} {
		b, err := os.ReadFile(rel)
		if err != nil {
			t.Fatal(err)
		}
		in, err := ActionInputs(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := in["api-url"]; !ok || len(in) < 10 {
			t.Errorf("%s: read %d inputs (api-url among them: %v)", rel, len(in), ok)
		}
	}
}
