#!/usr/bin/env bash
# The job image act runs `runs-on: ubuntu-latest` jobs in, for machines that
# reach no container registry: a minimal Debian (debootstrap --variant=minbase)
# with what a workflow's run: steps and JavaScript actions use (bash,
# ca-certificates, git, curl, jq, nodejs, openssl), as a root file system tarball.
#
#   .ci/act/runner-rootfs.sh        prints the tarball's path, building it
#                                   first when it is not there yet
#
# The tarball is kept outside the checkout, under ASC_ACT_CACHE
# (/var/cache/asc-action-act by default), named by a hash of this recipe:
# a changed recipe builds a new one, an unchanged one is reused (about 1.5
# minutes to build on 2 cores). `podman import TARBALL local/runner:latest`
# makes the image (internal/acttest does).
set -euo pipefail
cache="${ASC_ACT_CACHE:-/var/cache/asc-action-act}"
suite=bookworm
mirror="${ASC_ACT_MIRROR:-http://deb.debian.org/debian}"
packages=bash,ca-certificates,git,curl,jq,nodejs,openssl
hash="$( { cat "$0"; echo "$suite $mirror $packages"; } | sha256sum | cut -c1-16)"
out="$cache/runner-$suite-$hash.tar"
if [ -s "$out" ]; then
  echo "$out"; exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "runner-rootfs: debootstrap is not installed: apt-get install debootstrap" >&2; exit 1
fi
mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "runner-rootfs: debootstrap --variant=minbase $suite ($packages) into $work" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 || {
  tail -n 30 "$work/log" >&2; exit 1
}
# What the image does not need: package lists, caches, docs.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* \
  "$work/root/usr/share/doc" "$work/root/usr/share/man" "$work/root/usr/share/locale"
tar -C "$work/root" --numeric-owner -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$out"
echo "$out"
