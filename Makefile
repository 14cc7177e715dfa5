# vireg — top-level tasks. `make test` is the README's test command and what CI runs.

CARGO ?= cargo

.PHONY: seed test deps lint rust-test rust-test-compact rust-test-overflow bench header

# The main job: reproduce the seed experiment through the library.
seed:
	$(CARGO) run --release --example seed

# Every test: installs what it needs (Debian packages, as root), checks format and lints, then
# runs the whole Rust test suite of the workspace (the library and tools/), which also drives
# the C/C++ programs (plain, ASan+UBSan, valgrind), the Python module, the CSV fitter and the
# Cortex-M firmware under QEMU; then the numeric tests on the compact kernels; then the suite
# once more with overflow checks.
test: deps lint rust-test rust-test-compact rust-test-overflow

deps:
	bash scripts/host-deps.sh
	bash scripts/embedded-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p vireg --all-targets --features compact -- -D warnings

rust-test:
	$(CARGO) test --release --workspace

# The numeric tests on the microcontrollers' variants of the kernels (the `compact` feature:
# build.rs's `vireg_compact` cfg, on by itself for bare metal), built for the host: the unit
# tests, which compare each pair of variants, and the test programs that check the numbers. The C, C++
# and Python programs and the firmware are left out: the first link the same Rust code through
# the C ABI, the firmware is built compact in `rust-test` already.
COMPACT_TESTS := normal gradients exact exact_global stats svi_quality posterior checkpoint \
    divergence overflow hard_data
rust-test-compact:
	$(CARGO) test --release --features compact --lib $(addprefix --test ,$(COMPACT_TESTS))

# The suite with integer overflow checks and debug assertions on (Cargo.toml's `overflow`
# profile: release code that panics on an overflow instead of wrapping), the C programs and the
# Python module included: they run on the library this profile builds. The firmware tests are
# left out: they build the firmware with their own profile, so here they would only repeat the
# QEMU runs of `rust-test`.
FIRMWARE_TESTS := m4_seed_experiment m0_seed_experiment images_have_no_soft_double \
    c_api_has_no_reachable_panic panic_symbols_are_recognised footprint_p8_cortex_m4
rust-test-overflow:
	$(CARGO) test --profile overflow --workspace -- $(addprefix --skip ,$(FIRMWARE_TESTS))

bench:
	$(CARGO) bench --bench kernel

# Rewrite the committed include/vireg.h with cbindgen's output (tests/header.rs runs cbindgen,
# a dev-dependency, over src/ffi/; builds of the library do not).
header:
	VIREG_UPDATE_HEADER=1 $(CARGO) test --release --test header
