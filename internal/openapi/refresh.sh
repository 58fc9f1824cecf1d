#!/usr/bin/env bash
# Refreshes the vendored copy of Apple's App Store Connect OpenAPI document
# from ../shared/asc/openapi.json (beside the checkout), or from the path given
# as the first argument, merges the overlays beside this script (*.overlay.json:
# paths the source lacks, each overlay saying where its text comes from in its
# x-source), and records the versions and SHA-256 sums in SOURCE.md.
# Run it from anywhere; then run `go test ./internal/openapi/` and commit the
# files it changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${1:-$root/../shared/asc/openapi.json}"
if [ ! -f "$src" ]; then
  echo "refresh.sh: $src not found; pass the document's path as the first argument" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "refresh.sh: needs python3 to merge the overlays" >&2; exit 1; }
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
# The merge refuses an overlay path the source already has: once Apple's
# document carries the webhook paths, the overlay is to be deleted.
python3 - "$src" "$tmp" "$here"/*.overlay.json <<'PY'
import json, os, sys
src, out, overlays = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = json.load(open(src))
names = []
for path in overlays:
    ov = json.load(open(path))
    name = os.path.basename(path).removesuffix(".overlay.json")
    for p, item in ov["paths"].items():
        if p in doc["paths"]:
            sys.exit(f"refresh.sh: {path}: the source already has {p}; delete the overlay")
        doc["paths"][p] = item
    doc["info"].setdefault("x-provenance", {})["overlay " + name] = ov["x-source"]
    names.append(name)
if names:
    doc["info"]["version"] += "".join(f"+{n}(overlay)" for n in names)
with open(out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
gzip -9n <"$tmp" >"$here/openapi.json.gz.tmp"
mv "$here/openapi.json.gz.tmp" "$here/openapi.json.gz"
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$tmp")
src_sha=$(sha256sum <"$src" | cut -d' ' -f1)
json_sha=$(sha256sum <"$tmp" | cut -d' ' -f1)
gz_sha=$(sha256sum <"$here/openapi.json.gz" | cut -d' ' -f1)
overlays=$(cd "$here" && ls -1 *.overlay.json 2>/dev/null | sed 's/^/  - /')
cat >"$here/SOURCE.md" <<MD
# Apple's App Store Connect OpenAPI document (vendored)

\`openapi.json.gz\` is \`gzip -9n\` of the document the client and the emulator are held to, so the
contract tests run on a bare clone. Regenerate it and this file with \`internal/openapi/refresh.sh\`
(it reads \`../shared/asc/openapi.json\`; provenance is in the document's \`info.x-provenance\`), then
merges the overlays beside it, each adding paths the source lacks.

The webhook paths (App Store Connect API 4.0 and later: \`/v1/webhooks\`, \`/v1/webhooks/{id}\`,
\`/v1/webhooks/{id}/deliveries\`, \`/v1/webhookDeliveries\`, \`/v1/webhookPings\`,
\`/v1/apps/{id}/webhooks\`) come from \`webhooks.overlay.json\`. Two of them
(\`/v1/webhooks/{id}/deliveries\` and its relationship path) are transcribed from Apple's document
4.5.1; the others were written by us from Apple's documentation pages, in the shape of the
document's other operations, because Apple's own text for them was not available here. Their
schemas (\`Webhook*\`) are Apple's, already in the source (v4.2 schemas). The overlay's
\`x-source\` says which is which.

- source: ../shared/asc/openapi.json
- sha256 (source): ${src_sha}
- overlays:
${overlays}
- version: ${version}
- sha256 (openapi.json): ${json_sha}
- sha256 (openapi.json.gz): ${gz_sha}
MD
echo "refreshed: version ${version}, sha256 ${json_sha}"
