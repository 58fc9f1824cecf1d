// Command docsgen keeps the documents that list the Action's inputs and
// outputs in step with the commands that declare them (app.Commands()):
// the inputs and outputs of action.yml and native/action.yml, the
// composite action's INPUT_* pass-through, and README.md's tables between
// the <!-- inputs:begin/end --> and <!-- outputs:begin/end --> markers.
//
//	go run ./internal/docsgen          # check: exit 1 and name what drifted
//	go run ./internal/docsgen -write   # rewrite the generated parts
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/asc-action/asc-action/internal/app"
)

// Target is one file with generated parts.
type Target struct {
	// Path is relative to the module root, with forward slashes.
	Path string
	// Render returns the file's content with its generated parts rewritten.
	Render func(current string, m *Model) (string, error)
}

// Targets lists the files docsgen maintains.
var Targets = []Target{
	{Path: "action.yml", Render: renderContainerAction},
	{Path: "native/action.yml", Render: renderNativeAction},
	{Path: "README.md", Render: renderReadme},
}

func renderContainerAction(cur string, m *Model) (string, error) {
	return renderActionBlocks(cur, m, false)
}

func renderNativeAction(cur string, m *Model) (string, error) {
	s, err := renderActionBlocks(cur, m, true)
	if err != nil {
		return "", err
	}
	if s, err = ReplaceMarked(s, NativeEnvBegin, NativeEnvEnd, RenderNativeEnv(m)); err != nil {
		return "", err
	}
	return ReplaceMarked(s, NativeArgsBegin, NativeArgsEnd, RenderNativeArgs(m))
}

// renderActionBlocks rewrites an action.yml's top-level inputs and outputs.
func renderActionBlocks(cur string, m *Model, composite bool) (string, error) {
	s, err := ReplaceTopLevel(cur, "inputs", RenderActionInputs(m))
	if err != nil {
		return "", err
	}
	return ReplaceTopLevel(s, "outputs", RenderActionOutputs(m, composite))
}

func renderReadme(cur string, m *Model) (string, error) {
	s, err := ReplaceMarked(cur, ReadmeInputsBegin, ReadmeInputsEnd, RenderReadmeInputs(m))
	if err != nil {
		return "", fmt.Errorf("inputs table: %w", err)
	}
	s, err = ReplaceMarked(s, ReadmeOutputsBegin, ReadmeOutputsEnd, RenderReadmeOutputs(m))
	if err != nil {
		return "", fmt.Errorf("outputs table: %w", err)
	}
	return s, nil
}

// Result is what happened to one target.
type Result struct {
	Path  string
	Stale bool   // the file differs from what the commands render
	Diff  string // the first differing line, when stale
	Err   error  // the file could not be read or rendered
}

// Run renders every target under root; with write it saves the stale ones.
func Run(root string, m *Model, write bool) []Result {
	var res []Result
	for _, t := range Targets {
		r := Result{Path: t.Path}
		file := filepath.Join(root, filepath.FromSlash(t.Path))
		b, err := os.ReadFile(file)
		if err != nil {
			r.Err = fmt.Errorf("%s: %w", t.Path, err)
			res = append(res, r)
			continue
		}
		want, err := t.Render(string(b), m)
		if err != nil {
			r.Err = fmt.Errorf("%s: %w", t.Path, err)
			res = append(res, r)
			continue
		}
		// A checkout with CRLF line ends (core.autocrlf on Windows) is not drift.
		if want != strings.ReplaceAll(string(b), "\r\n", "\n") {
			r.Stale, r.Diff = true, firstDiff(string(b), want)
			if write {
				if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
					r.Err = err
				}
			}
		}
		res = append(res, r)
	}
	return res
}

// firstDiff describes the first line where have and want differ.
func firstDiff(have, want string) string {
	h, w := lines(have), lines(want)
	for i := 0; i < len(h) || i < len(w); i++ {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl || i >= len(h) || i >= len(w) {
			return fmt.Sprintf("line %d:\n    have: %q\n    want: %q", i+1, hl, wl)
		}
	}
	return "line ends differ"
}

// FindRoot walks up from dir to the directory holding go.mod.
func FindRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod above " + dir)
		}
		d = parent
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docsgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.Bool("write", false, "rewrite the generated parts instead of checking them")
	rootFlag := fs.String("root", "", "module root (default: the directory with go.mod above the working directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	root := *rootFlag
	if root == "" {
		wd, err := os.Getwd()
		if err == nil {
			root, err = FindRoot(wd)
		}
		if err != nil {
			fmt.Fprintln(stderr, "docsgen:", err)
			return 2
		}
	}
	m, err := Collect(app.Commands())
	if err != nil {
		fmt.Fprintln(stderr, "docsgen:", err)
		return 1
	}
	code := 0
	for _, r := range Run(root, m, *write) {
		switch {
		case r.Err != nil:
			fmt.Fprintln(stderr, "docsgen:", r.Err)
			code = 1
		case r.Stale && *write:
			fmt.Fprintf(stdout, "updated %s\n", r.Path)
		case r.Stale:
			fmt.Fprintf(stderr, "docsgen: %s is out of date with the commands (%s)\n", r.Path, r.Diff)
			code = 1
		}
	}
	if code != 0 && !*write {
		fmt.Fprintln(stderr, "Run `go run ./internal/docsgen -write` and commit the result.")
	}
	if code == 0 && !*write {
		fmt.Fprintf(stdout, "docsgen: %s in step with %d commands\n", strings.Join(targetPaths(), ", "), len(m.CommandNames))
	}
	return code
}

func targetPaths() []string {
	var p []string
	for _, t := range Targets {
		p = append(p, t.Path)
	}
	return p
}
