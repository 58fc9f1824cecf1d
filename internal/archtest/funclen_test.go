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

// maxFuncLines is the longest a non-test function may be, from its func
// line to its closing brace (issue #16: no non-test function over 80 lines).
const maxFuncLines = 80

type funcLen struct {
	where string // file:line
	name  string
	lines int
}

// funcLengths measures every function and method declared in src (read
// from file when src is nil).
func funcLengths(fset *token.FileSet, file string, src any) ([]funcLen, error) {
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
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
		out = append(out, funcLen{fmt.Sprintf("%s:%d", file, start.Line), name, end.Line - start.Line + 1})
	}
	return out, nil
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
// leaving out testdata, the pinned tools' modules and node_modules.
func moduleFuncs(t *testing.T) []funcLen {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	var all []funcLen
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", "tools", "dist", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fl, err := funcLengths(fset, path, nil)
		for i := range fl {
			fl[i].where = strings.TrimPrefix(fl[i].where, root+string(filepath.Separator))
		}
		all = append(all, fl...)
		return err
	})
	if err != nil {
		t.Fatal(err)
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
	got, err := funcLengths(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []funcLen{{"p.go:3", "short", 1}, {"p.go:7", "*T.long", maxFuncLines + 1}}
	if !slices.Equal(got, want) {
		t.Errorf("funcLengths = %v; want %v", got, want)
	}
}
