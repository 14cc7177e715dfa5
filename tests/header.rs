//! The C header.
//!
//! * `include/vireg.h` is, byte for byte, the header cbindgen writes from `src/ffi/` (and the f64
//!   family build.rs writes from `src/ffi/family.rs`) for the default capacity. When they differ
//!   the test fails; `VIREG_UPDATE_HEADER=1 cargo test --release --test header` (or
//!   `make header`) rewrites the committed copy instead. cbindgen runs here, not in build.rs:
//!   builds of the library do not compile it.
//! * The headers build.rs writes for this build's capacity (and the mismatched one of
//!   tests/c_api.rs), by rewriting the committed header's capacity `#define`s, are what cbindgen
//!   writes for those capacities.
//! * The header of this build states the library's capacity and state sizes.
//! * The `_f32` and `_f64` families are declared and documented alike.
//! * It compiles as C99 and as C++17 with gcc and clang, warnings as errors.
//! * A default build of the library depends on no header tool (cbindgen, syn, serde).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use vireg::ffi;

/// Feature capacity of a build without `VIREG_MAX_FEATURES` (build.rs's default).
const DEFAULT_CAPACITY: usize = 16;

/// The header build.rs wrote for this build's capacity (VIREG_MAX_FEATURES).
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/vireg.h"));

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed_path() -> PathBuf {
    manifest_dir().join("include").join("vireg.h")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `src/ffi/` that cbindgen reads, in the order of the header's items; then come
/// the f64 families build.rs writes ([`GENERATED_SOURCES`]). Each is read alone: `mod.rs`, which
/// holds no C item, would lead cbindgen through its `mod`s, in the order rustfmt gives them (by
/// name).
const FFI_SOURCES: [&str; 7] = [
    "status.rs",
    "types.rs",
    "state.rs",
    "boundary.rs",
    "body.rs",
    "family.rs",
    "full.rs",
];

/// The f64 families build.rs writes (from `family.rs` and `full.rs`), after [`FFI_SOURCES`].
const GENERATED_SOURCES: [&str; 2] = ["ffi_family_f64.rs", "ffi_full_f64.rs"];

/// The header cbindgen writes, with `cbindgen.toml`, for the capacity `cap`: the items of
/// [`FFI_SOURCES`] and of the f64 families, after the capacity's `#define`s
/// (OUT_DIR/header/defines_<cap>.h, from build.rs, which has the sizes' formulas).
fn cbindgen_header(cap: usize) -> String {
    let out = Path::new(env!("OUT_DIR"));
    let ffi = manifest_dir().join("src").join("ffi");
    let mut cfg = cbindgen::Config::from_file(manifest_dir().join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let mut defines = read(&out.join("header").join(format!("defines_{cap}.h")));
    defines.push_str(&checkpoint_defines());
    cfg.after_includes = Some(defines);
    let mut builder = cbindgen::Builder::new().with_config(cfg);
    for file in FFI_SOURCES {
        builder = builder.with_src(ffi.join(file));
    }
    for file in GENERATED_SOURCES {
        builder = builder.with_src(out.join(file));
    }
    let bindings = builder
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen: {e}"));
    let mut bytes = Vec::new();
    bindings.write(&mut bytes);
    String::from_utf8(bytes).expect("cbindgen writes UTF-8")
}

/// The checkpoint size of a fit type at the capacities [`CAPACITIES`], from the library's
/// code (`Fit::CHECKPOINT_BYTES`).
macro_rules! checkpoint_bytes {
    ($fit:ident, $t:ty) => {
        [
            (1, vireg::$fit::<$t, 1>::CHECKPOINT_BYTES),
            (2, vireg::$fit::<$t, 2>::CHECKPOINT_BYTES),
            (3, vireg::$fit::<$t, 3>::CHECKPOINT_BYTES),
            (4, vireg::$fit::<$t, 4>::CHECKPOINT_BYTES),
            (8, vireg::$fit::<$t, 8>::CHECKPOINT_BYTES),
            (16, vireg::$fit::<$t, 16>::CHECKPOINT_BYTES),
            (64, vireg::$fit::<$t, 64>::CHECKPOINT_BYTES),
            (1024, vireg::$fit::<$t, 1024>::CHECKPOINT_BYTES),
            (
                ffi::MAX_FEATURES,
                vireg::$fit::<$t, { ffi::MAX_FEATURES }>::CHECKPOINT_BYTES,
            ),
        ]
    };
}

/// A checkpoint size's macro: its name, the fit type, the functions that give and need the
/// size, and the size c0 + c1·P + c2·P² at capacity P as [c0, c1, c2].
struct CheckpointMacro {
    name: &'static str,
    fit: &'static str,
    size_fn: &'static str,
    save_fn: &'static str,
    coefs: [usize; 3],
}

/// The header's checkpoint sizes' macros, one per fit type.
///
/// The coefficients come from the library's own sizes (`Fit::CHECKPOINT_BYTES` at P = 1, 2, 3),
/// so a change of the checkpoint format changes them, and `make header` writes the new ones;
/// the polynomial is checked at other capacities (up to the largest, 1024, and this build's),
/// so a format whose size is not quadratic in P fails here instead of giving a wrong macro.
fn checkpoint_macros() -> Vec<CheckpointMacro> {
    /// (capacity, checkpoint bytes) at each capacity of `checkpoint_bytes!`.
    type Sizes = [(usize, usize); 9];
    let types: [(&str, &str, &str, &str, Sizes); 4] = [
        (
            "VIREG_CHECKPOINT_SIZE_F32",
            "vireg_fit_f32",
            "vireg_checkpoint_size_f32",
            "vireg_save_f32",
            checkpoint_bytes!(Fit, f32),
        ),
        (
            "VIREG_CHECKPOINT_SIZE_F64",
            "vireg_fit_f64",
            "vireg_checkpoint_size_f64",
            "vireg_save_f64",
            checkpoint_bytes!(Fit, f64),
        ),
        (
            "VIREG_FULL_CHECKPOINT_SIZE_F32",
            "vireg_full_f32",
            "vireg_full_checkpoint_size_f32",
            "vireg_full_save_f32",
            checkpoint_bytes!(FullFit, f32),
        ),
        (
            "VIREG_FULL_CHECKPOINT_SIZE_F64",
            "vireg_full_f64",
            "vireg_full_checkpoint_size_f64",
            "vireg_full_save_f64",
            checkpoint_bytes!(FullFit, f64),
        ),
    ];
    types
        .into_iter()
        .map(|(name, fit, size_fn, save_fn, sizes)| {
            let s = |p: usize| sizes.iter().find(|(q, _)| *q == p).expect("a capacity").1 as i64;
            // From the differences of s(1), s(2), s(3).
            let c2 = (s(3) - 2 * s(2) + s(1)) / 2;
            let c1 = s(2) - s(1) - 3 * c2;
            let c0 = s(1) - c1 - c2;
            for (p, size) in sizes {
                let p = p as i64;
                assert_eq!(
                    c0 + c1 * p + c2 * p * p,
                    size as i64,
                    "{name}: the checkpoint size is not quadratic in the capacity (at {p}); \
                     give the header's macro another form (tests/header.rs)"
                );
            }
            let coef = |c: i64| usize::try_from(c).expect("a nonnegative coefficient");
            CheckpointMacro {
                name,
                fit,
                size_fn,
                save_fn,
                coefs: [coef(c0), coef(c1), coef(c2)],
            }
        })
        .collect()
}

impl CheckpointMacro {
    /// The `#define` line: an expression of VIREG_MAX_FEATURES, so the same text serves every
    /// capacity (build.rs's headers for other capacities copy it).
    fn define(&self) -> String {
        let [c0, c1, c2] = self.coefs;
        format!(
            "#define {} ({c0}UL + {c1}UL * VIREG_MAX_FEATURES + {c2}UL * VIREG_MAX_FEATURES * \
             VIREG_MAX_FEATURES)",
            self.name
        )
    }
}

/// The header's checkpoint sizes' macros, documented, after the capacity's `#define`s.
fn checkpoint_defines() -> String {
    let mut s = String::new();
    for m in checkpoint_macros() {
        s.push_str(&format!(
            "\n/**\n * Size in bytes of a checkpoint of a ::{} of this header's capacity\n \
             * (VIREG_MAX_FEATURES): what {}() returns and {}() needs,\n \
             * as a constant for a static buffer: static uint8_t buf[{}];\n \
             * `make header` derives it from the library's checkpoint format.\n */\n{}\n",
            m.fit,
            m.size_fn,
            m.save_fn,
            m.name,
            m.define()
        ));
    }
    s
}

#[test]
fn checkpoint_size_macros_are_the_library_sizes() {
    let library = [
        ffi::vireg_checkpoint_size_f32(),
        ffi::vireg_checkpoint_size_f64(),
        ffi::vireg_full_checkpoint_size_f32(),
        ffi::vireg_full_checkpoint_size_f64(),
    ];
    let n = ffi::MAX_FEATURES;
    for (m, size) in checkpoint_macros().into_iter().zip(library) {
        let [c0, c1, c2] = m.coefs;
        assert_eq!(c0 + c1 * n + c2 * n * n, size, "{} at capacity {n}", m.name);
        // This build's header holds that expression.
        let line = m.define();
        assert!(
            GENERATED.lines().any(|l| l == line),
            "no `{line}` in the header: `make header`"
        );
    }
}

#[test]
fn cbindgen_reads_every_ffi_file() {
    let dir = manifest_dir().join("src").join("ffi");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .filter(|f| f.ends_with(".rs"))
        .collect();
    files.sort();
    let mut listed = FFI_SOURCES.map(str::to_owned).to_vec();
    listed.push("mod.rs".into());
    listed.sort();
    assert_eq!(files, listed, "list the files of src/ffi/ in FFI_SOURCES");
}

/// The header for the default capacity, as cbindgen writes it (what include/vireg.h must be).
fn generated_default() -> &'static str {
    static HEADER: OnceLock<String> = OnceLock::new();
    HEADER.get_or_init(|| cbindgen_header(DEFAULT_CAPACITY))
}

/// `Err` with the first line where `got` differs from `want`.
fn same_text(want: &str, got: &str) -> Result<(), String> {
    if want == got {
        return Ok(());
    }
    let (line, w, g) = want
        .lines()
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(got.lines().map(Some).chain(std::iter::repeat(None)))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a.unwrap_or("<end>"), b.unwrap_or("<end>")))
        .unwrap_or((0, "", "(line endings)"));
    Err(format!(
        "first difference at line {line}:\n  cbindgen: {w}\n  file:     {g}"
    ))
}

#[test]
fn committed_header_is_the_generated_one() {
    let path = committed_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let Err(diff) = same_text(generated_default(), &committed) else {
        return;
    };
    if std::env::var("VIREG_UPDATE_HEADER").as_deref() == Ok("1") {
        std::fs::write(&path, generated_default())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("header: rewrote {}", path.display());
        return;
    }
    panic!(
        "include/vireg.h is not the generated header ({diff})\n\
         Rewrite it with `make header` (VIREG_UPDATE_HEADER=1 cargo test --release --test \
         header) and commit it."
    );
}

#[test]
fn build_headers_are_the_generated_ones() {
    let out = Path::new(env!("OUT_DIR"));
    let other = if ffi::MAX_FEATURES == 8 { 16 } else { 8 };
    for (cap, file) in [
        (ffi::MAX_FEATURES, out.join("vireg.h")),
        (other, out.join("mismatch").join("vireg.h")),
    ] {
        if let Err(diff) = same_text(&cbindgen_header(cap), &read(&file)) {
            panic!(
                "{} (capacity {cap}) is not cbindgen's header ({diff}); if include/vireg.h \
                 is stale, `make header` rewrites it",
                file.display()
            );
        }
    }
}

/// The value of `#define NAME value` in a header.
fn define(header: &str, name: &str) -> usize {
    let prefix = format!("#define {name} ");
    let line = header
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no #define {name}"));
    line[prefix.len()..]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("#define {name}: {e}"))
}

#[test]
fn header_states_the_library_sizes() {
    use core::mem::{align_of, size_of};
    assert_eq!(define(GENERATED, "VIREG_MAX_FEATURES"), ffi::MAX_FEATURES);
    assert_eq!(
        define(generated_default(), "VIREG_MAX_FEATURES"),
        DEFAULT_CAPACITY
    );
    let sizes = [
        (
            "VIREG_FIT_F32",
            size_of::<ffi::vireg_fit_f32>(),
            ffi::vireg_fit_size_f32(),
        ),
        (
            "VIREG_FIT_F64",
            size_of::<ffi::vireg_fit_f64>(),
            ffi::vireg_fit_size_f64(),
        ),
        (
            "VIREG_FULL_F32",
            size_of::<ffi::vireg_full_f32>(),
            ffi::vireg_full_size_f32(),
        ),
        (
            "VIREG_FULL_F64",
            size_of::<ffi::vireg_full_f64>(),
            ffi::vireg_full_size_f64(),
        ),
        (
            "VIREG_SYNTH_F32",
            size_of::<ffi::vireg_synth_f32>(),
            ffi::vireg_synth_size_f32(),
        ),
        (
            "VIREG_SYNTH_F64",
            size_of::<ffi::vireg_synth_f64>(),
            ffi::vireg_synth_size_f64(),
        ),
    ];
    for (name, size, reported) in sizes {
        assert_eq!(define(GENERATED, &format!("{name}_SIZE")), size, "{name}");
        assert_eq!(
            define(GENERATED, &format!("{name}_WORDS")) * 8,
            size,
            "{name}"
        );
        assert_eq!(reported, size, "{name}");
    }
    assert_eq!(align_of::<ffi::vireg_fit_f32>(), align_of::<u64>());
    assert_eq!(ffi::vireg_max_features(), ffi::MAX_FEATURES);
    // The figures the README quotes, for this build's capacity.
    println!(
        "capacity {}: vireg_fit_f32 {} B, vireg_fit_f64 {} B, vireg_full_f32 {} B, \
         vireg_full_f64 {} B, vireg_synth_f32 {} B, vireg_synth_f64 {} B",
        ffi::MAX_FEATURES,
        size_of::<ffi::vireg_fit_f32>(),
        size_of::<ffi::vireg_fit_f64>(),
        size_of::<ffi::vireg_full_f32>(),
        size_of::<ffi::vireg_full_f64>(),
        size_of::<ffi::vireg_synth_f32>(),
        size_of::<ffi::vireg_synth_f64>()
    );
}

/// The header's declaration blocks (doc comment + declaration), split at blank lines.
fn blocks(header: &str) -> Vec<&str> {
    header
        .split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .collect()
}

/// A block with each run of whitespace made one space (cbindgen wraps long declarations).
fn normalised(block: &str) -> String {
    block.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `_f64` twin of an `_f32` block (normalised).
fn twin(block: &str) -> String {
    normalised(
        &block
            .replace("_f32", "_f64")
            .replace("F32", "F64")
            .replace("f32", "f64")
            .replace("float", "double"),
    )
}

#[test]
fn precision_families_are_twins() {
    let all = blocks(generated_default());
    let functions = |suffix: &str| -> Vec<&str> {
        all.iter()
            .copied()
            .filter(|b| {
                b.ends_with(");") && !b.contains("typedef") && b.contains(&format!("{suffix}("))
            })
            .collect()
    };
    let (f32s, f64s) = (functions("_f32"), functions("_f64"));
    assert!(f32s.len() >= 25, "only {} f32 functions found", f32s.len());
    assert_eq!(f32s.len(), f64s.len(), "the families have different sizes");
    let f64s: Vec<String> = f64s.into_iter().map(normalised).collect();
    for b in f32s {
        assert!(
            f64s.contains(&twin(b)),
            "the f64 twin of this block is missing or differs:\n{b}"
        );
    }
}

#[test]
fn every_item_is_documented() {
    let mut items = 0;
    for b in blocks(generated_default()) {
        // Preprocessor plumbing (guards, includes, extern "C") and the file's own comments.
        if b.starts_with('#') || !(b.ends_with(';') || b.contains("#define VIREG_")) {
            continue;
        }
        items += 1;
        assert!(b.starts_with("/**"), "undocumented item:\n{b}");
        if b.ends_with(");") {
            assert!(b.contains("@return"), "function without @return:\n{b}");
            if !b.ends_with("(void);") {
                assert!(b.contains("@param"), "function without @param:\n{b}");
            }
        }
    }
    assert!(items > 80, "only {items} items found");
}

/// Runs a compiler; a missing compiler fails the test (see scripts/host-deps.sh).
fn compile(compiler: &str, args: &[&str]) {
    let out = Command::new(compiler)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {compiler}: {e} (install it: scripts/host-deps.sh)")
        });
    assert!(
        out.status.success(),
        "{compiler} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_compiles_as_c99_and_cpp17() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("header");
    std::fs::create_dir_all(&dir).unwrap();
    // Included twice (the guard), used from both languages; static state, no allocation.
    let src = "#include \"vireg.h\"\n#include \"vireg.h\"\n\
               static vireg_fit_f32 fit32;\nstatic vireg_fit_f64 fit64;\n\
               typedef char size_ok[sizeof(vireg_fit_f32) == VIREG_FIT_F32_SIZE ? 1 : -1];\n\
               int main(void) {\n\
               size_ok *unused = 0;\n\
               uint64_t rows = 0;\n\
               vireg_status s = vireg_rows_f32(&fit32, &rows);\n\
               s |= vireg_rows_f64(&fit64, &rows);\n\
               (void)unused;\n\
               return s == VIREG_ERR_UNINITIALISED && vireg_status_str(s)[0] != 0 ? 0 : 1;\n}\n";
    let c = dir.join("use_header.c");
    let cpp = dir.join("use_header.cpp");
    std::fs::write(&c, src).unwrap();
    std::fs::write(&cpp, src).unwrap();
    let include = concat!("-I", env!("OUT_DIR"));
    let committed = format!("-I{}", committed_path().parent().unwrap().display());
    let warn = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    for inc in [include, committed.as_str()] {
        for (compiler, std, file) in [
            ("gcc", "-std=c99", &c),
            ("clang", "-std=c99", &c),
            ("g++", "-std=c++17", &cpp),
            ("clang++", "-std=c++17", &cpp),
        ] {
            let mut args = vec![std, inc];
            args.extend(warn);
            args.push(file.to_str().unwrap());
            compile(compiler, &args);
        }
    }
}

/// The names of the packages a default build of the library compiles (its normal and build
/// dependencies, transitively), from `cargo tree`.
fn default_build_packages() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(manifest_dir())
        .args([
            "tree",
            "-p",
            "vireg",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn default_build_takes_no_header_tools() {
    let packages = default_build_packages();
    // The tree lists the library and its dependencies: it was read.
    for expected in ["vireg", "libm", "rand_core", "rand_pcg"] {
        assert!(
            packages.iter().any(|p| p == expected),
            "{expected} missing from {packages:?}"
        );
    }
    for tool in ["cbindgen", "syn", "serde", "toml", "proc-macro2"] {
        assert!(
            !packages.iter().any(|p| p == tool),
            "a default build compiles {tool}: {packages:?}"
        );
    }
}
