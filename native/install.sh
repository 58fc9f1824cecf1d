#!/usr/bin/env bash
# Installs the released asc-action binary for this runner, for the native
# action (native/action.yml), without a Go toolchain:
#
#  1. picks the asset for RUNNER_OS / RUNNER_ARCH from checksums.txt beside
#     this script: the release's checksums.txt, written into the action at the
#     release tag (docs/releasing.md). No such file (a branch or a commit with
#     no release) or no asset for this platform: it says so and asks for the
#     source build (output build=true).
#  2. reuses the runner's tool cache ($RUNNER_TOOL_CACHE/asc-action/<version>/
#     <arch>), or downloads <base>/v<version>/<asset> with curl, where <base>
#     is $ASC_ACTION_DOWNLOAD_URL or https://github.com/<repository>/releases/download.
#     The download is bounded: connection 20 s, the whole download (retries
#     included) ASC_ACTION_DOWNLOAD_TIMEOUT seconds (default 300), at least
#     1 KiB/s over any 30 s, at most ASC_ACTION_DOWNLOAD_MAX_BYTES (default
#     256 MiB); http(s) only, redirects to https only, no URL globbing, no
#     .curlrc. A user:password@ in the URL is never printed.
#     Asset missing, or a limit hit (a mirror without it, a release not
#     published yet, a stalled mirror): it says so and asks for the source build.
#  3. checks the file's SHA-256 against checksums.txt. A mismatch deletes it and
#     fails the step: nothing is run.
#  4. checks the file's build provenance with `gh attestation verify --repo
#     <repository>` when gh is on PATH and the file came from GitHub's own
#     host (ASC_ACTION_ATTESTATION=auto, the default), always (require) or
#     never (off). A failure fails the step: nothing is run.
#  5. moves it into the tool cache and sets the output bin=<path>.
#
# Environment: RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP,
# GITHUB_OUTPUT (set by the runner); ASC_ACTION_REPOSITORY (owner/name,
# default asc-action/asc-action); ASC_ACTION_DOWNLOAD_URL; ASC_ACTION_DOWNLOAD_TIMEOUT;
# ASC_ACTION_DOWNLOAD_MAX_BYTES; ASC_ACTION_ATTESTATION; GH_TOKEN for gh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checksums="$here/checksums.txt"
repo="${ASC_ACTION_REPOSITORY:-asc-action/asc-action}"
default_base="https://github.com/$repo/releases/download"
base="${ASC_ACTION_DOWNLOAD_URL:-$default_base}"
base="${base%/}"

# without_userinfo prints a URL with its user:password@ removed: what the
# log may show of ASC_ACTION_DOWNLOAD_URL.
without_userinfo() {
  local u="$1" scheme="" rest authority
  case "$u" in
    *://*) scheme="${u%%://*}://"; rest="${u#*://}" ;;
    *) rest="$u" ;;
  esac
  authority="${rest%%/*}"
  printf '%s%s%s\n' "$scheme" "${authority##*@}" "${rest#"$authority"}"
}
shown_base="$(without_userinfo "$base")"
userinfo=""
if [ "$shown_base" != "$base" ]; then
  userinfo="${base#*://}"
  userinfo="${userinfo%%/*}"
  userinfo="${userinfo%@*}"
  echo "::add-mask::$userinfo"
fi

# positive_int NAME DEFAULT prints the value of the environment variable NAME,
# a whole number above zero, or DEFAULT when it is unset.
positive_int() {
  local v="${!1:-$2}"
  case "$v" in
    '' | *[!0-9]* | 0*)
      echo "::error title=asc-action::$1 is '$v'; give a whole number above zero (default $2)" >&2
      exit 1 ;;
  esac
  printf '%s\n' "$v"
}
max_time="$(positive_int ASC_ACTION_DOWNLOAD_TIMEOUT 300)"
max_bytes="$(positive_int ASC_ACTION_DOWNLOAD_MAX_BYTES 268435456)"

build_from_source() {
  echo "::notice title=asc-action::$1; building asc-action from source with Go instead."
  echo "build=true" >> "$GITHUB_OUTPUT"
  exit 0
}

if [ ! -s "$checksums" ]; then
  build_from_source "this ref of the action has no release (native/checksums.txt is written only at a release tag)"
fi

case "${RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) build_from_source "no release binary for runner OS '${RUNNER_OS:-}'" ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;;
  ARM64) arch=arm64 ;;
  *) build_from_source "no release binary for runner architecture '${RUNNER_ARCH:-}'" ;;
esac
ext=""
if [ "$os" = windows ]; then ext=".exe"; fi

# The asset: asc-action_<version>_<os>_<arch>[.exe], the bare binary.
line="$(grep -E "^[0-9a-f]{64}  asc-action_[^ ]+_${os}_${arch}${ext//./\\.}\$" "$checksums" || true)"
if [ -z "$line" ]; then
  build_from_source "this release has no binary for ${os}/${arch}"
fi
if [ "$(printf '%s\n' "$line" | wc -l)" -ne 1 ]; then
  echo "::error title=asc-action::native/checksums.txt lists more than one asset for ${os}/${arch}" >&2
  exit 1
fi
want="${line%%  *}"
asset="${line#*  }"
version="${asset#asc-action_}"
version="${version%_"${os}"_"${arch}""${ext}"}"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

unix_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}

cache_root="$(unix_path "${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}")"
tool_arch="$(printf '%s' "$RUNNER_ARCH" | tr '[:upper:]' '[:lower:]')"  # x64, arm64 (bash 3 on macOS has no ${x,,})
dir="$cache_root/asc-action/$version/$tool_arch"
bin="$dir/asc-action$ext"

if [ -f "$dir.complete" ] && [ -f "$bin" ] && [ "$(sha256 "$bin")" = "$want" ]; then
  echo "asc-action v$version ($os/$arch) from the tool cache: $bin"
  echo "bin=$bin" >> "$GITHUB_OUTPUT"
  exit 0
fi

tmpdir="$(mktemp -d "$(unix_path "${RUNNER_TEMP:-/tmp}")/asc-action-download.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT
file="$tmpdir/$asset"
url="$base/v$version/$asset"
shown_url="$shown_base/v$version/$asset"
echo "Downloading asc-action v$version for $os/$arch: $shown_url"
# -q first: no .curlrc. ulimit -f stops a body past max_bytes where curl
# (before 8.4) does not when the server sends no Content-Length.
status="$(
  ulimit -f "$((max_bytes / 1024 + 1))" 2>/dev/null || true
  curl -q -sS -L -g --proto '=http,https' --proto-redir '=https' \
    --connect-timeout 20 --max-time "$max_time" --retry 3 --retry-connrefused --retry-max-time "$max_time" \
    --speed-limit 1024 --speed-time 30 --max-filesize "$max_bytes" \
    -o "$file" -w '%{http_code}' "$url" 2>"$tmpdir/curl.log"
)" && curl_exit=0 || curl_exit=$?
curl_log="$(cat "$tmpdir/curl.log")"
if [ -n "$userinfo" ]; then curl_log="${curl_log//"$userinfo"/***}"; fi
size=0
if [ -f "$file" ]; then size="$(wc -c <"$file" | tr -d ' ')"; fi
failed=""
if [ "$curl_exit" = 63 ] || [ "$curl_exit" -gt 128 ] || [ "$size" -gt "$max_bytes" ]; then
  failed="could not download $shown_url: the file is larger than ASC_ACTION_DOWNLOAD_MAX_BYTES ($max_bytes bytes)"
elif [ "$curl_exit" = 28 ]; then
  failed="could not download $shown_url: it timed out (no connection within 20 s, under 1 KiB/s for 30 s, or over ASC_ACTION_DOWNLOAD_TIMEOUT, $max_time s)"
elif [ "$curl_exit" = 1 ]; then
  failed="could not download $shown_url: a redirect to a scheme other than https (or a URL that is not http or https) was refused"
elif [ "$curl_exit" != 0 ] || [ "$status" != 200 ]; then
  failed="could not download $shown_url (HTTP status ${status:-none}): the release asset is missing or the host is unreachable"
fi
if [ -n "$failed" ]; then
  rm -f "$file"
  if [ -n "$curl_log" ]; then printf '%s\n' "$curl_log" >&2; fi
  build_from_source "$failed"
fi

got="$(sha256 "$file")"
if [ "$got" != "$want" ]; then
  rm -f "$file"
  echo "::error title=asc-action checksum mismatch::$asset from $shown_url has SHA-256 $got, but native/checksums.txt of this action (v$version) says $want. The file was deleted and not run. Check ASC_ACTION_DOWNLOAD_URL if you set it, or report this at https://github.com/$repo/issues." >&2
  exit 1
fi
echo "SHA-256 $got matches native/checksums.txt"

# Build provenance: auto checks it when gh is on PATH and the file came from
# GitHub's own download host; require always checks it (a mirror, tests);
# off never does.
attest="${ASC_ACTION_ATTESTATION:-auto}"
case "$attest" in
  auto) check=false; if [ "$base" = "$default_base" ] && command -v gh >/dev/null 2>&1; then check=true; fi ;;
  require) check=true ;;
  off) check=false ;;
  *) echo "::error title=asc-action::ASC_ACTION_ATTESTATION is '$attest'; use auto, require or off" >&2; exit 1 ;;
esac
if [ "$check" = true ]; then
  if ! command -v gh >/dev/null 2>&1; then
    echo "::error title=asc-action attestation::ASC_ACTION_ATTESTATION=require, but gh is not on PATH to check the build provenance of $asset; it was not run." >&2
    exit 1
  fi
  if ! gh attestation verify "$file" --repo "$repo" >"$tmpdir/attestation.log" 2>&1; then
    cat "$tmpdir/attestation.log" >&2
    echo "::error title=asc-action attestation::gh attestation verify found no valid build provenance from $repo for $asset; it was not run. Set ASC_ACTION_ATTESTATION=off to rely on the SHA-256 check alone." >&2
    exit 1
  fi
  echo "Build provenance verified: gh attestation verify --repo $repo"
else
  echo "Build provenance not checked (ASC_ACTION_ATTESTATION=$attest: needs gh on PATH and GitHub's download host); the SHA-256 was."
fi

mkdir -p "$dir"
mv -f "$file" "$bin"
chmod 0755 "$bin"
touch "$dir.complete"
echo "Installed into the tool cache: $bin"
echo "bin=$bin" >> "$GITHUB_OUTPUT"
