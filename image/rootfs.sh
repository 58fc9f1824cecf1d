#!/usr/bin/env bash
# Writes OUT/rootfs.tar, the part of the release image that is not the
# binary: the CA bundle at /etc/ssl/certs/ca-certificates.crt (from this
# machine: Debian's and Ubuntu's ca-certificates package, or $CA_BUNDLE)
# and an empty /tmp (mode 1777). The tar is the same bytes for the same CA
# bundle: entries sorted, owner 0:0, times set to $SOURCE_DATE_EPOCH (0 when
# unset). image/Dockerfile ADDs it; GoReleaser runs this as a `before` hook.
#
#   image/rootfs.sh build/image
set -euo pipefail
out="${1:?usage: image/rootfs.sh OUTDIR}"
ca="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
if [ ! -s "$ca" ]; then
  echo "rootfs.sh: no CA bundle at $ca; install ca-certificates (apt-get install ca-certificates) or set CA_BUNDLE" >&2
  exit 1
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/etc/ssl/certs" "$stage/tmp" "$out"
cp "$ca" "$stage/etc/ssl/certs/ca-certificates.crt"
chmod 0755 "$stage/etc" "$stage/etc/ssl" "$stage/etc/ssl/certs"
chmod 0644 "$stage/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$stage/tmp"
tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
  --mtime="@${SOURCE_DATE_EPOCH:-0}" -C "$stage" -cf "$out/rootfs.tar" etc tmp
