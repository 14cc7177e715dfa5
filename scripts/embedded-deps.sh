#!/usr/bin/env bash
# Install the tools for the bare-metal (Cortex-M) build and QEMU tests.
#
#   rustc-web cargo-web rust-web-src  Debian's Rust (/usr/bin/rustc, /usr/bin/cargo) with the
#                                     library sources that `-Zbuild-std=core` needs
#   gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi
#                                     C compiler, linker and libc for the firmware
#   qemu-system-arm                   the MPS2 boards (mps2-an385 Cortex-M3, mps2-an386 Cortex-M4F)
#   make                              runs examples-c/firmware/Makefile
#   gcc libc6-dev                     host C compiler for the QEMU instruction-count plugin
#                                     (examples-c/firmware/qemu-plugin: it declares the few QEMU
#                                     plugin functions it uses, so no glib or QEMU headers)
#
# Idempotent: does nothing when every package is installed and the tools answer.
# Fails (non-zero exit, message on stderr) when it cannot install; it never skips silently.
set -euo pipefail

PKGS=(rustc-web cargo-web rust-web-src
      gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi
      qemu-system-arm make gcc libc6-dev)

die() { echo "embedded-deps: ERROR: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    # "install ok installed" is dpkg's status for a fully installed package.
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "embedded-deps: installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo; cannot install ${missing[*]}"
        SUDO=sudo
    else
        SUDO=
    fi
    # Always refresh the lists first: a stale list offers an older rustc-web (1.85) or none.
    $SUDO apt-get update || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
fi

# Check that what we need actually answers, whatever dpkg says.
for t in /usr/bin/rustc /usr/bin/cargo arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm \
         arm-none-eabi-objdump qemu-system-arm make cc; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found after install"
done
src="$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/core"
[ -d "$src" ] || die "core library sources missing at $src (package rust-web-src)"
arm-none-eabi-gcc -print-file-name=libc_nano.a | grep -q / || die "newlib-nano not found"
qemu-system-arm -M help | grep -q mps2-an386 || die "qemu-system-arm lacks the mps2-an386 board"

echo "embedded-deps: ok: $(/usr/bin/rustc --version), $(/usr/bin/cargo --version | cut -d' ' -f1-2)," \
     "$(arm-none-eabi-gcc --version | head -n1), $(qemu-system-arm --version | head -n1)"
