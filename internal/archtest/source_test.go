package archtest

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goFile is one parsed Go file of the module; path is module-relative,
// with forward slashes.
type goFile struct {
	path string
	file *ast.File
}

// moduleGoFiles parses the module's Go files, test files too when tests is
// set, leaving out testdata, node_modules, the pinned tools' modules, dist
// and hidden folders. The source rules below read them.
func moduleGoFiles(t *testing.T, tests bool) (*token.FileSet, []goFile) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	var files []goFile
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch name := d.Name(); {
			case path == root:
			case name == "testdata", name == "node_modules", name == "tools", name == "dist", strings.HasPrefix(name, "."):
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || (!tests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, filepath.ToSlash(rel), readFile(path), parser.SkipObjectResolution)
		files = append(files, goFile{filepath.ToSlash(rel), f})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("parsed %d Go files under %s; the walk missed the module's sources", len(files), root)
	}
	return fset, files
}

func readFile(path string) []byte {
	b, _ := os.ReadFile(path) // a read error shows as a parse error naming the file
	return b
}

// maxFuncLines is the longest a non-test function may be, from its func
// line to its closing brace (issue #16: no non-test function over 80 lines).
const maxFuncLines = 80

type funcLen struct {
	where string // file:line
	name  string
	lines int
}

// funcLengths measures every function and method declared in f.
func funcLengths(fset *token.FileSet, f *ast.File) []funcLen {
	var out []funcLen
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
		name := fn.Name.Name
		if fn.Recv != nil && len(fn.Recv.List) == 1 {
			name = recvName(fn.Recv.List[0].Type) + "." + name
		}
		out = append(out, funcLen{fmt.Sprintf("%s:%d", start.Filename, start.Line), name, end.Line - start.Line + 1})
	}
	return out
}

// recvName names a receiver type: T, *T or T[P].
func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return "?"
}

// moduleFuncs measures every function of the module's non-test Go files,
// longest first.
func moduleFuncs(t *testing.T) []funcLen {
	fset, files := moduleGoFiles(t, false)
	var all []funcLen
	for _, f := range files {
		all = append(all, funcLengths(fset, f.file)...)
	}
	slices.SortFunc(all, func(a, b funcLen) int { return cmp.Or(b.lines-a.lines, strings.Compare(a.where, b.where)) })
	return all
}

// TestFunctionLength fails when a non-test function is longer than
// maxFuncLines, and logs the five longest (go test -v -run
// TestFunctionLength ./internal/archtest).
func TestFunctionLength(t *testing.T) {
	all := moduleFuncs(t)
	if len(all) < 100 {
		t.Fatalf("measured %d functions; the walk missed the module's sources", len(all))
	}
	for i, f := range all[:min(5, len(all))] {
		t.Logf("longest %d: %d lines  %s  %s", i+1, f.lines, f.name, f.where)
	}
	for _, f := range all {
		if f.lines > maxFuncLines {
			t.Errorf("%s (%s) is %d lines; split it into named steps of at most %d", f.name, f.where, f.lines, maxFuncLines)
		}
	}
}

// TestFunctionLengthMeasures shows the measure counts from func to brace.
func TestFunctionLengthMeasures(t *testing.T) {
	body := strings.Repeat("\tx++\n", maxFuncLines-1)
	src := "package p\n\nfunc short() {}\n\ntype T[P any] struct{}\n\nfunc (t *T[P]) long(x int) {\n" + body + "}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := funcLengths(fset, f)
	want := []funcLen{{"p.go:3", "short", 1}, {"p.go:7", "*T.long", maxFuncLines + 1}}
	if !slices.Equal(got, want) {
		t.Errorf("funcLengths = %v; want %v", got, want)
	}
}

// formatConversions lists the untrusted.Format(...) conversions in f whose
// argument is not a literal: the output boundary (internal/untrusted) only
// holds if every format its printers get is a constant.
func formatConversions(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Format" {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "untrusted" {
			if _, lit := call.Args[0].(*ast.BasicLit); !lit {
				out = append(out, fset.Position(call.Pos()).String())
			}
		}
		return true
	})
	return out
}

// TestNoFormatConversions scans the module's Go files, tests included, for
// untrusted.Format(...) of anything but a constant literal outside
// internal/untrusted, which goes around the output boundary.
func TestNoFormatConversions(t *testing.T) {
	fset, files := moduleGoFiles(t, true)
	for _, f := range files {
		if strings.HasPrefix(f.path, "internal/untrusted/") {
			continue
		}
		for _, at := range formatConversions(fset, f.file) {
			t.Errorf("%s: untrusted.Format(...) of a non-constant goes around the output boundary", at)
		}
	}
}

// TestNoFormatConversionsCatchesOne shows the scan finds a conversion of a
// variable and lets a literal through.
func TestNoFormatConversionsCatchesOne(t *testing.T) {
	src := `package p

func f(r reporter, s string) {
	r.Warn(untrusted.Format("fine: %s"), s)
	r.Warn(untrusted.Format(s))
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := formatConversions(fset, f), []string{"p.go:5:9"}; !slices.Equal(got, want) {
		t.Errorf("formatConversions = %q; want %q", got, want)
	}
}
