package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/asc-action/asc-action/"

// pkg is what `go list -json` says of one package, paths made relative to
// the module.
type pkg struct {
	ImportPath   string
	Deps         []string // transitive, without tests
	TestImports  []string
	XTestImports []string
}

// Layout groups, by path relative to the module.
var (
	adapters = []string{"internal/actions", "internal/cli"}
	// Domain packages and their test support (…test subpackages).
	domain = []string{"internal/credentials", "internal/token", "internal/asc", "internal/upload",
		"internal/expiry", "internal/distribute", "internal/emulator", "internal/readiness",
		"internal/relay"}
	// commandsDir holds one package per command; stepsDir the steps that
	// several commands share (key inputs, client builder, rehearsals,
	// TestFlight distribution, app and build inputs), which are not commands.
	commandsDir = "internal/commands/"
	stepsDir    = "internal/steps/"
)

// under reports whether p is one of roots or below one of them.
func under(p string, roots ...string) bool {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

func isCommand(p string) bool {
	return strings.HasPrefix(p, commandsDir)
}

// commandOf names the command a package belongs to ("internal/commands/upload"
// for it and anything below it).
func commandOf(p string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(p, commandsDir), "/")
	return commandsDir + name
}

// testDeps returns what a package's tests bring in: their imports and
// everything those import.
func testDeps(p pkg, all map[string]pkg) []string {
	var out []string
	for _, imp := range append(slices.Clone(p.TestImports), p.XTestImports...) {
		if imp == p.ImportPath {
			continue
		}
		out = append(out, imp)
		out = append(out, all[imp].Deps...)
	}
	return out
}

// violations checks every rule and returns one line per breach, sorted.
func violations(pkgs []pkg) []string {
	all := map[string]pkg{}
	for _, p := range pkgs {
		all[p.ImportPath] = p
	}
	seen := map[string]bool{}
	add := func(format string, args ...any) { seen[fmt.Sprintf(format, args...)] = true }
	for _, p := range pkgs {
		from := p.ImportPath
		for _, d := range p.Deps {
			switch {
			case under(from, domain...) && under(d, adapters...):
				add("%s imports %s (a domain package imports an adapter)", from, d)
			case under(from, domain...) && strings.HasPrefix(d, commandsDir):
				add("%s imports %s (a domain package imports a command)", from, d)
			case under(from, domain...) && strings.HasPrefix(d, stepsDir):
				add("%s imports %s (a domain package imports a command step)", from, d)
			case strings.HasPrefix(from, stepsDir) && isCommand(d):
				add("%s imports %s (a shared step imports a command)", from, d)
			case isCommand(from) && isCommand(d) && commandOf(from) != commandOf(d):
				add("%s imports %s", commandOf(from), commandOf(d))
			}
		}
		// The client and the emulator must not meet, in their tests either:
		// a misreading of Apple's format shared by both would pass every test.
		for _, d := range append(slices.Clone(p.Deps), testDeps(p, all)...) {
			if under(from, "internal/asc") && under(d, "internal/emulator") ||
				under(from, "internal/emulator") && under(d, "internal/asc") {
				add("%s imports %s (the client and the emulator never import each other)", from, d)
			}
			if under(from, "internal/relay") && under(d, "internal/emulator") ||
				under(from, "internal/emulator") && under(d, "internal/relay") {
				add("%s imports %s (the webhook verifier and the emulator's signer share no code)", from, d)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// listModule runs `go list -json` over the module.
func listModule(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps,TestImports,XTestImports", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, relative(p))
	}
	return pkgs
}

// relative keeps the module's own packages only, with module-relative paths.
func relative(p pkg) pkg {
	keep := func(in []string) []string {
		var out []string
		for _, s := range in {
			if r, ok := strings.CutPrefix(s, module); ok {
				out = append(out, r)
			}
		}
		return out
	}
	return pkg{
		ImportPath:   strings.TrimPrefix(p.ImportPath, module),
		Deps:         keep(p.Deps),
		TestImports:  keep(p.TestImports),
		XTestImports: keep(p.XTestImports),
	}
}

func TestImportRules(t *testing.T) {
	pkgs := listModule(t)
	var groups = map[string]bool{}
	for _, p := range pkgs {
		switch {
		case under(p.ImportPath, domain...):
			groups["domain"] = true
		case under(p.ImportPath, adapters...):
			groups["adapter"] = true
		case isCommand(p.ImportPath):
			groups["command"] = true
		}
	}
	if len(groups) != 3 {
		t.Fatalf("go list found packages in groups %v; want domain, adapter and command (did a package move?)", groups)
	}
	for _, v := range violations(pkgs) {
		t.Errorf("import rule broken: %s", v)
	}
}

// TestImportRulesCatchBreaches shows each rule fails on a graph that breaks it.
func TestImportRulesCatchBreaches(t *testing.T) {
	tests := []struct {
		name string
		pkgs []pkg
		want string
	}{
		{"domain imports adapter", []pkg{{ImportPath: "internal/token", Deps: []string{"internal/actions"}}},
			"internal/token imports internal/actions (a domain package imports an adapter)"},
		{"domain test support imports adapter", []pkg{{ImportPath: "internal/expiry/localfile/localfiletest", Deps: []string{"internal/cli"}}},
			"internal/expiry/localfile/localfiletest imports internal/cli (a domain package imports an adapter)"},
		{"domain imports command", []pkg{{ImportPath: "internal/upload", Deps: []string{"internal/commands/upload"}}},
			"internal/upload imports internal/commands/upload (a domain package imports a command)"},
		{"domain imports step", []pkg{{ImportPath: "internal/upload", Deps: []string{"internal/steps/auth"}}},
			"internal/upload imports internal/steps/auth (a domain package imports a command step)"},
		{"step imports command", []pkg{{ImportPath: "internal/steps/testflight", Deps: []string{"internal/commands/distribute"}}},
			"internal/steps/testflight imports internal/commands/distribute (a shared step imports a command)"},
		{"command imports command", []pkg{{ImportPath: "internal/commands/upload", Deps: []string{"internal/steps/auth", "internal/commands/distribute"}}},
			"internal/commands/upload imports internal/commands/distribute"},
		{"client imports emulator transitively", []pkg{{ImportPath: "internal/asc", Deps: []string{"internal/x", "internal/emulator"}}},
			"internal/asc imports internal/emulator (the client and the emulator never import each other)"},
		{"emulator test imports client", []pkg{
			{ImportPath: "internal/emulator", XTestImports: []string{"internal/helper"}},
			{ImportPath: "internal/helper", Deps: []string{"internal/asc"}}},
			"internal/emulator imports internal/asc (the client and the emulator never import each other)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations(tt.pkgs)
			if !slices.Contains(got, tt.want) {
				t.Errorf("violations = %q; want %q among them", got, tt.want)
			}
		})
	}
	ok := []pkg{
		{ImportPath: "internal/commands/upload", Deps: []string{"internal/steps/auth", "internal/upload", "internal/asc"}},
		{ImportPath: "internal/steps/auth", Deps: []string{"internal/asc", "internal/emulator"}},
		{ImportPath: "internal/upload", Deps: []string{"internal/asc"}, TestImports: []string{"internal/emulator"}},
		{ImportPath: "internal/asc", TestImports: []string{"internal/contract"}},
	}
	if got := violations(ok); len(got) != 0 {
		t.Errorf("a graph within the rules gave %q", got)
	}
}
