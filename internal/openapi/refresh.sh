#!/usr/bin/env bash
# Refreshes the vendored copy of Apple's App Store Connect OpenAPI document
# from ../shared/asc/openapi.json (beside the checkout), or from the path given
# as the first argument, and records its version and SHA-256 sums in SOURCE.md.
# Run it from anywhere; then run `go test ./internal/openapi/` and commit both
# files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${1:-$root/../shared/asc/openapi.json}"
if [ ! -f "$src" ]; then
  echo "refresh.sh: $src not found; pass the document's path as the first argument" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "refresh.sh: needs python3 to read info.version" >&2; exit 1; }
gzip -9n <"$src" >"$here/openapi.json.gz.tmp"
mv "$here/openapi.json.gz.tmp" "$here/openapi.json.gz"
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$src")
json_sha=$(sha256sum <"$src" | cut -d' ' -f1)
gz_sha=$(sha256sum <"$here/openapi.json.gz" | cut -d' ' -f1)
cat >"$here/SOURCE.md" <<MD
# Apple's App Store Connect OpenAPI document (vendored)

\`openapi.json.gz\` is \`gzip -9n\` of the document the client and the emulator are held to, so the
contract tests run on a bare clone. Regenerate it and this file with \`internal/openapi/refresh.sh\`
(it reads \`../shared/asc/openapi.json\`; provenance is in the document's \`info.x-provenance\`).

- source: ../shared/asc/openapi.json
- version: ${version}
- sha256 (openapi.json): ${json_sha}
- sha256 (openapi.json.gz): ${gz_sha}
MD
echo "refreshed: version ${version}, sha256 ${json_sha}"
