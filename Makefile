# vireg — top-level tasks. `make test` is the README's test command and what CI runs.

CARGO ?= cargo

.PHONY: seed test deps lint rust-test bench header

# The main job: reproduce the seed experiment through the library.
seed:
	$(CARGO) run --release --example seed

# Every test: installs what it needs (Debian packages, as root), checks format and lints, then
# runs the whole Rust test suite, which also drives the C/C++ programs (plain, ASan+UBSan,
# valgrind), the Python module and the Cortex-M firmware under QEMU.
test: deps lint rust-test

deps:
	bash scripts/host-deps.sh
	bash scripts/embedded-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

rust-test:
	$(CARGO) test --release

bench:
	$(CARGO) bench --bench kernel

# Rewrite the committed include/vireg.h from the build's generated header.
header:
	VIREG_UPDATE_HEADER=1 $(CARGO) test --release --test header
