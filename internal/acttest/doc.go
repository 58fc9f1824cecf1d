// Package acttest runs the repository's workflows and examples under act
// (nektos/act, an independent implementation of the GitHub Actions runner,
// pinned in tools/act/go.mod), with podman's Docker API in place of Docker,
// each job against the built-in App Store Connect emulator, and holds them
// to their results, their step outputs and a log free of key material and
// tokens. Everything is in its test; .ci/run runs it with CI=true.
package acttest
