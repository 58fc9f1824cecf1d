// Command docsgen keeps action.yml, native/action.yml and README.md's
// input and output tables in step with the commands (app.Commands()); the
// work is package generate's.
//
//	go run ./internal/docsgen          # check: exit 1 and name what drifted
//	go run ./internal/docsgen -write   # rewrite the generated parts
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/asc-action/asc-action/internal/app"
	"github.com/asc-action/asc-action/internal/docsgen/generate"
)

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
			root, err = generate.FindRoot(wd)
		}
		if err != nil {
			fmt.Fprintln(stderr, "docsgen:", err)
			return 2
		}
	}
	m, err := generate.Collect(app.Commands())
	if err != nil {
		fmt.Fprintln(stderr, "docsgen:", err)
		return 1
	}
	code := 0
	for _, r := range generate.Run(root, m, *write) {
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
		fmt.Fprintf(stdout, "docsgen: %s in step with %d commands\n", strings.Join(generate.TargetPaths(), ", "), len(m.CommandNames))
	}
	return code
}
