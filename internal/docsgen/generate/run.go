// Package generate keeps the documents that list the Action's inputs and
// outputs in step with the commands that declare them: the inputs and
// outputs of action.yml and native/action.yml, the composite action's
// INPUT_* pass-through, and README.md's tables between the
// <!-- inputs:begin/end --> and <!-- outputs:begin/end --> markers. The
// action files are edited as YAML nodes, so everything else in them
// (comments included) is kept. The docsgen command runs it.
package generate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
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
	doc, err := loadYAML(cur)
	if err != nil {
		return "", err
	}
	setActionBlocks(doc, m, false)
	return dumpYAML(doc)
}

func renderNativeAction(cur string, m *Model) (string, error) {
	doc, err := loadYAML(cur)
	if err != nil {
		return "", err
	}
	setActionBlocks(doc, m, true)
	step, err := runStep(doc, runStepID)
	if err != nil {
		return "", err
	}
	env, script := lookup(step, "env"), lookup(step, "run")
	if env == nil || script == nil || script.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("step %q needs an env mapping and a run script", runStepID)
	}
	if err := ReplaceMarkedPairs(env, NativeEnvBegin, NativeEnvEnd, NativeEnv(m)); err != nil {
		return "", fmt.Errorf("step %q env: %w", runStepID, err)
	}
	if script.Value, err = ReplaceMarked(script.Value, NativeArgsBegin, NativeArgsEnd, RenderNativeArgs(m)); err != nil {
		return "", fmt.Errorf("step %q run: %w", runStepID, err)
	}
	return dumpYAML(doc)
}

// setActionBlocks sets an action.yml's top-level inputs and outputs.
func setActionBlocks(doc *yaml.Node, m *Model, composite bool) {
	SetTopLevel(doc, "inputs", ActionInputs(m), generatedNote)
	SetTopLevel(doc, "outputs", ActionOutputs(m, composite), generatedNote)
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

// TargetPaths lists the paths of the files Run maintains.
func TargetPaths() []string {
	var p []string
	for _, t := range Targets {
		p = append(p, t.Path)
	}
	return p
}
