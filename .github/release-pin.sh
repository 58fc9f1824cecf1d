#!/usr/bin/env bash
# Pins a release into the action's own files (run by release.yml's pin job,
# in a checkout of the tagged commit; docs/releasing.md):
#   action.yml           runs.image: Dockerfile -> docker://IMAGE:VERSION@DIGEST
#   native/checksums.txt the release's checksums.txt, which native/install.sh
#                        checks every downloaded binary against
#
#   .github/release-pin.sh v1.2.3 ghcr.io/asc-action/asc-action sha256:<64 hex> dist/checksums.txt
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 4 ]; then
  echo "usage: .github/release-pin.sh VERSION IMAGE DIGEST CHECKSUMS" >&2
  exit 2
fi
version="$1" image="$2" digest="$3" checksums="$4"
if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "release-pin: VERSION '$version' is not vX.Y.Z" >&2; exit 2
fi
if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "release-pin: DIGEST '$digest' is not sha256:<64 hex digits>" >&2; exit 2
fi
if ! [[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$ ]]; then
  echo "release-pin: IMAGE '$image' is not a registry/owner/name reference" >&2; exit 2
fi
# Every asset the native action may download must be listed, once.
for p in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64.exe windows_arm64.exe; do
  n="$(grep -cE "^[0-9a-f]{64}  asc-action_${version#v}_${p//./\\.}\$" "$checksums" || true)"
  if [ "$n" != 1 ]; then
    echo "release-pin: $checksums lists asc-action_${version#v}_$p $n times, want once" >&2; exit 1
  fi
done
n="$(grep -c '^  image: Dockerfile$' action.yml || true)"
if [ "$n" != 1 ]; then
  echo "release-pin: action.yml has $n lines '  image: Dockerfile', want 1 (already pinned?)" >&2; exit 1
fi
ref="docker://$image:$version@$digest"
tmp="$(mktemp)"
sed "s|^  image: Dockerfile\$|  image: $ref|" action.yml > "$tmp"
cat "$tmp" > action.yml
rm -f "$tmp"
cp "$checksums" native/checksums.txt
echo "action.yml runs $ref; native/checksums.txt holds $(wc -l < native/checksums.txt) checksums"
