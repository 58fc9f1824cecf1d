#!/usr/bin/env bash
# Lints every workflow (.github/workflows) and every example (examples/)
# with actionlint, installing the pinned version with `go install` when it
# is not on PATH or in $(go env GOPATH)/bin. Exit status: actionlint's.
#
# Examples use asc-action/asc-action@v1, whose inputs actionlint cannot look
# up; `go test ./internal/shipcheck` also lints them rewritten to `uses: ./`
# so their inputs and outputs are checked against this checkout's action.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.7.12
bin="$(command -v actionlint || true)"
if [ -z "$bin" ]; then
  gobin="$(go env GOBIN)"
  [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/actionlint" ]; then
    echo "installing actionlint $version into $gobin" >&2
    go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
  fi
  bin="$gobin/actionlint"
fi

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml examples/*.yml examples/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "no workflow or example files found" >&2
  exit 1
fi
echo "actionlint $("$bin" -version | head -n1) on ${#files[@]} files" >&2
exec "$bin" "${files[@]}"
