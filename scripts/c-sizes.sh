#!/usr/bin/env bash
# Sizes of what C users link: libvireg.a and libvireg.so as `cargo build --release` leaves them
# and as `make dist` (what `make install` installs) builds them, and examples-c/seed.c and
# stream.c linked against each, statically (with and without -Wl,--gc-sections) and
# dynamically, stripped. Prints a Markdown table (bytes). Run from anywhere; builds in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib >&2
make dist >&2
out=target/c-sizes
mkdir -p "$out"
size() { stat -c %s "$1"; }
echo "| build | libvireg.a | libvireg.so | program | static | static, --gc-sections | dynamic |"
echo "|---|---:|---:|---|---:|---:|---:|"
for build in release dist; do
    if [ "$build" = release ]; then lib=target/release; else lib=target/dist-c/lib; fi
    for prog in seed stream; do
        cc="cc -std=c99 -O2 -Iinclude -o"
        src=examples-c/$prog.c
        $cc "$out/$prog-$build-static" "$src" "$lib/libvireg.a" -lpthread -ldl -lm
        $cc "$out/$prog-$build-gc" -Wl,--gc-sections "$src" "$lib/libvireg.a" -lpthread -ldl -lm
        $cc "$out/$prog-$build-dyn" "$src" -L"$lib" -lvireg -lm
        strip -s "$out/$prog-$build-static" "$out/$prog-$build-gc" "$out/$prog-$build-dyn"
        echo "| $build | $(size "$lib/libvireg.a") | $(size "$lib/libvireg.so") | $prog.c |" \
            "$(size "$out/$prog-$build-static") | $(size "$out/$prog-$build-gc") |" \
            "$(size "$out/$prog-$build-dyn") |"
    done
done
