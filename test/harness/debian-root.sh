#!/usr/bin/env bash
# Builds a real Debian root filesystem once (debootstrap --variant=minbase from the mirror the
# machine's apt sources name) and caches it as a tar under .harness-cache/, keyed by suite and
# variant. Image tests pack it into an OCI layout and compare the scan with dpkg-query.
# Needs root (debootstrap does). Prints the tar's path on stdout.
#
# Usage: test/harness/debian-root.sh [SUITE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
suite="${1:-bookworm}"
variant=minbase
cache="${PALISADE_HARNESS_CACHE:-$root/.harness-cache}"
out="$cache/debian-$variant-$suite.tar"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v debootstrap > /dev/null 2>&1 || { echo "debian-root: debootstrap is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "debian-root: debootstrap needs root" >&2; exit 1; }
# The first http(s) deb.debian.org-style URI of the apt sources is the reachable mirror.
mirror="$(grep -hoE '^(URIs:|deb)[[:space:]]+https?://[^[:space:]]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | awk '{print $2}' | grep -v security | head -n1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
mkdir -p "$cache"
work="$(mktemp -d "$cache/debian-$suite.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "debian-root: debootstrap --variant=$variant $suite from $mirror (takes minutes)" >&2
debootstrap --variant="$variant" "$suite" "$work/root" "$mirror" > "$work/log" 2>&1 || { tail -n 20 "$work/log" >&2; exit 1; }
# Device nodes and the proc/sys mount points are not image content.
tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -C "$work/root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
