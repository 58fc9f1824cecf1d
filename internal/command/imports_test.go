package command

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const commandsPath = "github.com/asc-action/asc-action/internal/commands/"

// No command imports another: what two commands share (auth, testflight)
// lives in a package that declares no command.
func TestNoCommandImportsAnother(t *testing.T) {
	dirs, err := os.ReadDir("../commands")
	if err != nil {
		t.Fatal(err)
	}
	isCommand := map[string]bool{}
	imports := map[string][]string{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("../commands", d.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(p, commandsPath); ok {
					imports[d.Name()] = append(imports[d.Name()], rest)
				}
			}
			for _, decl := range file.Decls {
				if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "Command" {
					isCommand[d.Name()] = true
				}
			}
		}
	}
	if len(isCommand) < 5 {
		t.Fatalf("found %d command packages; the test no longer sees them", len(isCommand))
	}
	for pkg, imps := range imports {
		for _, imp := range imps {
			if isCommand[pkg] && isCommand[imp] {
				t.Errorf("command %s imports command %s: move what they share to a package that is not a command", pkg, imp)
			}
		}
	}
}
