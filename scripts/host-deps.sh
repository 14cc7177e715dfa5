#!/usr/bin/env bash
# Install the host tools the test suite drives besides Rust: C and C++ compilers (gcc, clang),
# valgrind, make, python3, cmake and pkg-config (tests/install.rs builds outside projects against
# an installed vireg with both). Idempotent; fails loudly (non-zero exit) when it cannot install.
set -euo pipefail
PKGS=(gcc g++ clang valgrind make python3 libclang-rt-14-dev cmake pkgconf)
die() { echo "host-deps: ERROR: $*" >&2; exit 1; }
missing=()
for p in "${PKGS[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "host-deps: installing: ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "not root; cannot install ${missing[*]}"
    apt-get update || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
fi
for t in gcc g++ clang valgrind make python3 cmake pkg-config; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found after install"
done
