#!/usr/bin/env bash
# Builds the integration-test harness binary (embedded etcd + the real kube-apiserver) once per
# version and caches it under .harness-cache/ at the repository root. The cache key is the
# Kubernetes version plus a hash of go.mod, go.sum, main.go and this script, so a change to any of them
# rebuilds. Go's own GOMODCACHE/GOCACHE stay at their machine defaults, so even a rebuild after
# a key change mostly reuses compiled packages.
#
# Usage: test/harness/build.sh [--print-path] [--quiet]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
print_path=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --print-path) print_path=1 ;;
    --quiet) quiet=1 ;;
    *) echo "build.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
log() { if [ "$quiet" = 0 ]; then echo "harness: $*" >&2; fi; }

version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$here/build.sh" | sha256sum | cut -c1-12)"
cache="${PALISADE_HARNESS_CACHE:-$root/.harness-cache}"
binary="$cache/palisade-harness-$version-$key"

if [ -x "$binary" ]; then
  log "cached $binary"
else
  if ! command -v go > /dev/null 2>&1; then
    echo "harness: Go is not installed; cannot build kube-apiserver $version" >&2
    exit 1
  fi
  mkdir -p "$cache"
  log "building kube-apiserver $version with embedded etcd ($(go version | awk '{print $3}')); a cold build takes several minutes"
  start=$(date +%s)
  tmp="$binary.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$here" && go mod download)
  log "modules ready after $(($(date +%s) - start))s; compiling"
  # -v names each package as it is compiled (only those not already in GOCACHE); count them as progress.
  # The version stamps upstream's release build sets, so /version reports the real release.
  minor="$(echo "$version" | cut -d. -f2)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$here" && go build -v -trimpath -ldflags="$ldflags" -o "$tmp" . 2>&1) | {
    n=0
    while IFS= read -r line; do
      case "$line" in
        # Package paths are progress; anything else (compiler errors, "# pkg" headers) is shown.
        "# "*|*.go:*|*" "*) echo "$line" >&2 ;;
        *)
          n=$((n + 1))
          if [ "$quiet" = 0 ] && [ $((n % 100)) = 0 ]; then log "compiled $n packages ($(($(date +%s) - start))s)"; fi
          ;;
      esac
    done
  }
  if [ ! -x "$tmp" ]; then
    echo "harness: build failed" >&2
    exit 1
  fi
  mv "$tmp" "$binary"
  trap - EXIT
  log "built $binary in $(($(date +%s) - start))s"
fi
"$binary" version > /dev/null
if [ "$print_path" = 1 ]; then echo "$binary"; fi
