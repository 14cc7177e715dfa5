# vireg — top-level tasks. `make test` is the README's test command and what CI runs.

CARGO ?= cargo

.PHONY: seed test deps lint rust-test rust-test-compact rust-test-overflow bench header \
    dist install uninstall

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
	bash scripts/python-deps.sh

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
# the C ABI, the firmware is built compact in `rust-test` already. Built with the `overflow`
# profile: integer overflow and debug assertions checked on these variants too, and no LTO.
COMPACT_TESTS := normal gradients exact exact_global stats svi_quality posterior checkpoint \
    divergence overflow hard_data full_rank full_fit weights fit_controls
rust-test-compact:
	$(CARGO) test --profile overflow --features compact --lib $(addprefix --test ,$(COMPACT_TESTS))

# The suite with integer overflow checks and debug assertions on (Cargo.toml's `overflow`
# profile: release code that panics on an overflow instead of wrapping), the C programs and the
# Python module included: they run on the library this profile builds. The firmware tests are
# left out: they build the firmware with their own profile, so here they would only repeat the
# QEMU runs of `rust-test`.
FIRMWARE_TESTS := m4_seed_experiment m0_seed_experiment images_have_no_soft_double \
    c_api_has_no_reachable_panic panic_symbols_are_recognised footprint_p8_cortex_m4 \
    m4_full_rank_matches_host footprint_full_rank full_rank_image_has_no_soft_double \
    c_api_with_full_rank_has_no_reachable_panic m4_forgetting_firmware
# tests/install.rs builds the installed libraries with their own profile (`dist`), so here too
# it would only repeat `rust-test`.
INSTALL_TESTS := installed_tree_ vendored_cmake_project
# tests/python_package.rs installs the package, whose library pip builds with the `dist`
# profile: here too it would only repeat `rust-test`.
PYTHON_PACKAGE_TESTS := python_package_installs_and_works
# Under valgrind the C programs run as in `rust-test`, many times slower; the plain and
# sanitizer runs here already drive them over this profile's library.
VALGRIND_TESTS := c_programs_gcc_valgrind c_programs_clang_valgrind
rust-test-overflow:
	$(CARGO) test --profile overflow --workspace -- \
	    $(addprefix --skip ,$(FIRMWARE_TESTS) $(INSTALL_TESTS) $(PYTHON_PACKAGE_TESTS) \
	        $(VALGRIND_TESTS))

bench:
	$(CARGO) bench --bench kernel
	$(CARGO) bench --bench capacity

# Rewrite the committed include/vireg.h with cbindgen's output (tests/header.rs runs cbindgen,
# a dev-dependency, over src/ffi/; builds of the library do not).
header:
	VIREG_UPDATE_HEADER=1 $(CARGO) test --release --test header

# ---------------------------------------------------------------------------------------------
# Installing for C and C++: `make install PREFIX=DIR` (default /usr/local; DESTDIR honoured, for
# staging a package; also INCLUDEDIR, LIBDIR, PKGCONFIGDIR, CMAKEDIR), `make uninstall` with
# the same variables. Installs the header of the build's capacity (VIREG_MAX_FEATURES in the
# environment, default 16), libvireg.a, libvireg.so with its soname links, vireg.pc and the
# CMake package (find_package(vireg) -> vireg::vireg).
# ---------------------------------------------------------------------------------------------

PREFIX       ?= /usr/local
INCLUDEDIR   ?= $(PREFIX)/include
LIBDIR       ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/vireg
INSTALL      ?= install
# Where `make dist` leaves what `make install` installs (lib/, include/).
DIST_DIR     ?= $(or $(CARGO_TARGET_DIR),target)/dist-c
# What a program linking libvireg.a needs besides (rustc --print native-static-libs on Linux
# with glibc, less -lc): vireg.pc's Libs.private and the static CMake target's link interface.
LIBS_PRIVATE ?= -lgcc_s -lutil -lrt -lpthread -lm -ldl

VERSION   := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
VER_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VER_MINOR := $(word 2,$(subst ., ,$(VERSION)))
# The soname's version, as build.rs sets it: MAJOR, or 0.MINOR while MAJOR is 0.
SOVERSION := $(if $(filter 0,$(VER_MAJOR)),0.$(VER_MINOR),$(VER_MAJOR))
SONAME    := libvireg.so.$(SOVERSION)
REALNAME  := libvireg.so.$(VERSION)
# The files install writes (uninstall removes exactly these; DESTDIR in front of each).
INSTALLED := $(INCLUDEDIR)/vireg.h $(LIBDIR)/libvireg.a $(LIBDIR)/$(REALNAME) \
    $(LIBDIR)/$(SONAME) $(LIBDIR)/libvireg.so $(PKGCONFIGDIR)/vireg.pc \
    $(CMAKEDIR)/viregConfig.cmake $(CMAKEDIR)/viregConfigVersion.cmake

empty :=
space := $(empty) $(empty)
# Template values: install paths (libdir and includedir relative to ${prefix} in vireg.pc when
# they are under PREFIX, so `pkg-config --define-prefix` can move the tree).
SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
    -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
    -e 's|@PC_LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
    -e 's|@PC_INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' \
    -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g' \
    -e 's|@LIBS_PRIVATE_CMAKE@|$(subst $(space),;,$(strip $(LIBS_PRIVATE)))|g' \
    -e "s|@MAX_FEATURES@|$$(sed -n 's/^\#define VIREG_MAX_FEATURES \([0-9]*\)$$/\1/p' \
        $(DIST_DIR)/include/vireg.h)|g" \
    -e 's|@SIZEOF_VOID_P@|$(shell getconf LONG_BIT | sed 's/64/8/;s/32/4/')|g'

# The libraries C and C++ users link, built with Cargo.toml's `dist` profile (no debug info),
# each by its own rustc run: a library also built as an rlib (as `cargo build` does) gets no
# LTO, and its archive then carries all of std (backtraces included) as separate objects. The
# header is the build script's, for this build's capacity; the archive's leftover debug
# sections (the precompiled compiler_builtins objects') are stripped.
dist:
	mkdir -p $(DIST_DIR)/lib $(DIST_DIR)/include
	$(CARGO) rustc --profile dist --lib --crate-type cdylib \
	    --message-format json-render-diagnostics > $(DIST_DIR)/cdylib.json
	$(CARGO) rustc --profile dist --lib --crate-type staticlib \
	    --message-format json-render-diagnostics > $(DIST_DIR)/staticlib.json
	cp -p "$$($(call artifact,libvireg\.so,cdylib))" $(DIST_DIR)/lib/libvireg.so
	cp -p "$$($(call artifact,libvireg\.a,staticlib))" $(DIST_DIR)/lib/libvireg.a
	strip -p --strip-debug $(DIST_DIR)/lib/libvireg.a
	out=$$(sed -n 's/^{"reason":"build-script-executed","package_id":"[^"]*#vireg@.*"out_dir":"\([^"]*\)".*/\1/p' \
	    $(DIST_DIR)/staticlib.json) && cp -p "$$out/vireg.h" $(DIST_DIR)/include/vireg.h

# The path of the file $(1) cargo reported in $(DIST_DIR)/$(2).json.
artifact = sed -n 's/.*"filenames":\["\([^"]*\/$(1)\)"\].*/\1/p' $(DIST_DIR)/$(2).json

# NO_BUILD=1: install what an earlier `make dist` built (`make dist && sudo make install
# NO_BUILD=1`, where root has no cargo).
install: $(if $(NO_BUILD),,dist)
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(CMAKEDIR)
	$(INSTALL) -m 644 $(DIST_DIR)/include/vireg.h $(DESTDIR)$(INCLUDEDIR)/vireg.h
	$(INSTALL) -m 644 $(DIST_DIR)/lib/libvireg.a $(DESTDIR)$(LIBDIR)/libvireg.a
	$(INSTALL) -m 755 $(DIST_DIR)/lib/libvireg.so $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvireg.so
	$(SUBST) pkgconfig/vireg.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/vireg.pc
	$(SUBST) cmake/viregConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/viregConfig.cmake
	$(SUBST) cmake/viregConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/viregConfigVersion.cmake

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	[ ! -d $(DESTDIR)$(CMAKEDIR) ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(CMAKEDIR)
