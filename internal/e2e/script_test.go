package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/asc-action/asc-action/internal/testkeys"
)

// TestScripts runs the CLI as a user types it: testdata/script/*.txtar.
// `genkey FILE` writes a freshly generated P-256 key (PKCS#8 PEM) into the
// script's temporary work directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", filepath.Dir(binary)+string(os.PathListSeparator)+e.Getenv("PATH"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"genkey": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: genkey FILE")
				}
				k, err := testkeys.Generate()
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(k.PEM), 0o600))
			},
		},
	})
}
