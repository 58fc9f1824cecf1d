#!/usr/bin/env bash
# Lints every workflow (.github/workflows) and every example (examples/)
# with the actionlint pinned in tools/go.mod (`go tool actionlint`, built
# from the Go module proxy on first use). Exit status: actionlint's.
#
# Examples use asc-action/asc-action@v1, whose inputs actionlint cannot look
# up; `go test ./internal/shipcheck` also lints them rewritten to `uses: ./`
# so their inputs and outputs are checked against this checkout's action.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(cd tools && go tool -n actionlint)"

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml examples/*.yml examples/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "no workflow or example files found" >&2
  exit 1
fi
echo "actionlint $("$bin" -version | head -n1) on ${#files[@]} files" >&2
exec "$bin" "${files[@]}"
