//! The C API, driven from C, C++, Python and Rust.
//!
//! * `examples-c/` is built with its Makefile against this build's static library and header,
//!   with gcc and clang, and run plain, under AddressSanitizer + UndefinedBehaviorSanitizer, and
//!   under valgrind: `test_api` (every function, every error path), `test_full` (the full-rank
//!   functions and the covariances: every error path, and results whose bits must be those of
//!   the Rust API on the same rows), `seed` (whose output must be the Rust seed example's,
//!   timings aside), `stream` (checked against the Rust API on the same rows), `gen_csv` and the
//!   C++17 `cpp_demo`.
//! * `python/tests/test_vireg.py` runs the package `python/vireg/` over this build's shared
//!   library and must reproduce, to the last bit, reference numbers computed here through the
//!   Rust API (with NumPy from the wheelhouse of `scripts/python-deps.sh`).
//! * Rust calls the exported functions directly for what C cannot express without undefined
//!   behaviour (misaligned pointers) and checks the status strings against the kernel's.
//!
//! A missing tool (make, gcc, g++, clang, clang++, valgrind, python3) fails the tests: install
//! them with `scripts/host-deps.sh`; a missing wheelhouse too: `scripts/python-deps.sh`.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use vireg::ffi::*;
use vireg::{Config, Fit, FullFit, Synth};

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding this build's `libvireg.a` and `libvireg.so` (cargo builds every crate
/// type of the library next to the test executables, in `target/<profile>/deps`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe.parent().expect("deps directory").to_path_buf();
    for lib in ["libvireg.a", "libvireg.so"] {
        assert!(
            dir.join(lib).exists(),
            "{} not found next to the test executable",
            dir.join(lib).display()
        );
    }
    dir
}

/// `target/<profile>`, where cargo puts the examples.
fn profile_dir() -> PathBuf {
    lib_dir().parent().expect("profile directory").to_path_buf()
}

/// The header of this build (its capacity is the library's).
fn include_dir() -> &'static str {
    env!("OUT_DIR")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (install the host tools: scripts/host-deps.sh)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The C and C++ programs
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Mode {
    Plain,
    Sanitizers,
    Valgrind,
}

/// Builds examples-c with `cc`/`cxx` and runs every program in `mode` (Makefile targets `run`
/// and `valgrind`); returns the build directory holding the outputs.
fn build_and_run(cc: &str, cxx: &str, mode: Mode) -> PathBuf {
    let build = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("c_api")
        .join(format!("{cc}-{mode:?}").to_lowercase());
    let _ = std::fs::remove_dir_all(&build);
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(manifest_dir().join("examples-c"))
        .arg(format!("CC={cc}"))
        .arg(format!("CXX={cxx}"))
        .arg(format!("LIBDIR={}", lib_dir().display()))
        .arg(format!("INCDIR={}", include_dir()))
        // A header of another capacity: test_capacity must be refused, not corrupt memory.
        .arg(format!("MISMATCH_INCDIR={}/mismatch", include_dir()))
        .arg(format!("BUILD={}", build.display()))
        .arg(match mode {
            Mode::Plain => "SAN=",
            Mode::Sanitizers => "SAN=1",
            Mode::Valgrind => "SAN=",
        })
        .arg(match mode {
            Mode::Valgrind => "valgrind",
            _ => "run",
        })
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    run(&mut make);
    build
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The seed output with its timings blanked (the only part allowed to differ).
fn without_timings(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = if let Some(rest) = line.strip_prefix("finished in ") {
            let tail = rest.split_once(" seconds").map(|(_, t)| t).unwrap_or("");
            format!("finished in <t> seconds{tail}")
        } else if let Some(rest) = line.strip_prefix("exact optimum in ") {
            let tail = rest.split_once(" µs").map(|(_, t)| t).unwrap_or("");
            format!("exact optimum in <t> µs{tail}")
        } else if let Some(rest) = line.strip_prefix("full-rank guide: SVI 30 000 steps in ") {
            // "... in X seconds (ELBO e); exact optimum in Y µs (k iterations), ..."
            let tail = rest.split_once(" seconds").map(|(_, t)| t).unwrap_or("");
            let (mid, tail) = tail.split_once("exact optimum in ").unwrap_or((tail, ""));
            let tail = tail.split_once(" µs").map(|(_, t)| t).unwrap_or("");
            format!("full-rank guide: SVI 30 000 steps in <t> seconds{mid}exact optimum in <t> µs{tail}")
        } else {
            line.to_string()
        };
        writeln!(out, "{line}").unwrap();
    }
    out
}

/// The Rust seed example's output (built by `cargo test` with the other examples), as seed.c
/// reproduces it: all of it but the paths of the loss plots.
fn rust_seed_output() -> &'static str {
    static OUT: OnceLock<String> = OnceLock::new();
    OUT.get_or_init(|| {
        let exe = profile_dir().join("examples").join("seed");
        let out = run(&mut Command::new(&exe));
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            text.lines().any(|l| l.starts_with("full-rank guide:")),
            "no full-rank section"
        );
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("loss plots: "))
            .collect();
        without_timings(&(kept.join("\n") + "\n"))
    })
}

/// What `stream` must print last for `gen_csv 3 300 7`, computed through the Rust API.
fn rust_stream_final() -> String {
    let (p, n) = (3, 300);
    let mut s = format!("final posterior ({n} rows):\n");
    s.push_str(&common::synth_posterior_table::<MAX_FEATURES>(p, n, 7));
    s
}

/// A value's bits in hexadecimal, as test_full.c prints them (8 digits for f32, 16 for f64).
trait Hex: vireg::Normal {
    fn hex(self) -> String;
}

impl Hex for f32 {
    fn hex(self) -> String {
        format!("{:08x}", self.to_bits())
    }
}

impl Hex for f64 {
    fn hex(self) -> String {
        format!("{:016x}", self.to_bits())
    }
}

/// The values section test_full.c must print: the same calls through the Rust API (see
/// examples-c/test_full_family.h, which lists them in this order).
fn full_rank_values() -> String {
    fn family<T: Hex>(name: &str) -> String {
        const NP: usize = 3;
        const NR: usize = 200;
        const ND: usize = NP + 2;
        let mut out = String::new();
        let mut put = |what: &str, v: &[T]| {
            let hex: Vec<String> = v.iter().map(|x| x.hex()).collect();
            writeln!(out, "{name} {what} {}", hex.join(" ")).unwrap();
        };
        let mut synth: Synth<T, MAX_FEATURES> = Synth::new(NP, 11).unwrap();
        let mut xs = vec![T::ZERO; NR * NP];
        let mut ys = vec![T::ZERO; NR];
        for i in 0..NR {
            ys[i] = synth.next_row(&mut xs[i * NP..(i + 1) * NP]).unwrap();
        }

        let mut f: FullFit<T, MAX_FEATURES> = FullFit::new(NP, Config::default()).unwrap();
        f.observe_rows(&xs, NP, &ys).unwrap();
        let rep = f.solve_exact().unwrap();
        put(
            "exact_report",
            &[
                rep.elbo,
                rep.mean_field_elbo,
                T::from_u64(rep.iterations.into()),
            ],
        );
        put(
            "exact_elbo_condition",
            &[f.elbo_of(&f.reported_guide()), f.condition().unwrap()],
        );
        let post = f.posterior().unwrap();
        let (mut loc, mut sd) = ([T::ZERO; ND], [T::ZERO; ND]);
        post.loc(&mut loc);
        post.sd(&mut sd);
        let mut cov = [T::ZERO; ND * ND];
        post.covariance_to(&mut cov).unwrap();
        let chol: Vec<T> = (0..ND * ND)
            .map(|k| {
                let (i, j) = (k / ND, k % ND);
                if j <= i {
                    vireg::full::entry(post.cholesky(), i, j, NP)
                } else {
                    T::ZERO
                }
            })
            .collect();
        put("exact_loc", &loc);
        put("exact_sd", &sd);
        put("exact_cov", &cov);
        put("exact_chol", &chol);
        for i in 0..ND {
            let sm = post.summary(i).unwrap();
            let q03 = post.quantile(i, T::c(0.03)).unwrap();
            let q97 = post.quantile(i, T::c(0.97)).unwrap();
            put("exact_summary_q03", &[sm.mean, sm.sd, sm.median, q03]);
            put("exact_q97", &[q97]);
        }
        let x = [T::c(0.5), T::c(-1.0), T::c(2.0)];
        let (m, s) = post.predict(&x).unwrap();
        put("exact_predict", &[m, s]);
        let mut draws = [T::ZERO; 3 * ND];
        f.draws(&mut draws).unwrap();
        put("exact_draws", &draws);

        let cfg = Config {
            seed: 7,
            adam: vireg::AdamConfig {
                lr: T::c(0.02),
                ..Config::default().adam
            },
            ..Config::default()
        };
        let mut f: FullFit<T, MAX_FEATURES> = FullFit::new(NP, cfg).unwrap();
        for i in 0..NR / 2 {
            f.observe(&xs[i * NP..(i + 1) * NP], ys[i]).unwrap();
        }
        f.observe_rows(&xs[NR / 2 * NP..], NP, &ys[NR / 2..])
            .unwrap();
        put("svi_step_loss", &[f.steps(50).unwrap()]);
        let rr = f.run(300, 100, |_, _| true).unwrap();
        put(
            "svi_run_report",
            &[
                rr.loss,
                rr.elbo,
                T::from_u64(rr.steps),
                T::from_u64(rr.averaged),
            ],
        );
        let post = f.posterior().unwrap();
        post.loc(&mut loc);
        post.sd(&mut sd);
        post.covariance_to(&mut cov).unwrap();
        put("svi_loc", &loc);
        put("svi_sd", &sd);
        put("svi_cov", &cov);
        let mut draws = [T::ZERO; 2 * ND];
        f.draws(&mut draws).unwrap();
        put("svi_draws", &draws);

        let mut mf: Fit<T, MAX_FEATURES> = Fit::new(NP, Config::default()).unwrap();
        mf.observe_rows(&xs, NP, &ys).unwrap();
        mf.solve_exact().unwrap();
        let mut scale = [T::ZERO; ND];
        mf.posterior().unwrap().scale(&mut scale);
        let diag: Vec<T> = (0..ND * ND)
            .map(|k| {
                if k / ND == k % ND {
                    scale[k / ND] * scale[k / ND]
                } else {
                    T::ZERO
                }
            })
            .collect();
        put("mean_field_cov", &diag);

        // test_checkpoint: what the uninterrupted fit gives after its save point (the C test
        // requires the restored fit to give the same bits).
        let cfg = Config {
            seed: 5,
            adam: vireg::AdamConfig {
                lr: T::c(0.02),
                ..Config::default().adam
            },
            ..Config::default()
        };
        let mut f: FullFit<T, MAX_FEATURES> = FullFit::new(NP, cfg).unwrap();
        f.observe_rows(&xs, NP, &ys).unwrap();
        f.steps(40).unwrap();
        let mut buf = vec![0u8; FullFit::<T, MAX_FEATURES>::CHECKPOINT_BYTES];
        f.save(&mut buf).unwrap();
        let mut f = FullFit::<T, MAX_FEATURES>::from_checkpoint(&buf).unwrap();
        let rr = f.run(150, 0, |_, _| true).unwrap();
        let loss = f.steps(5).unwrap();
        put(
            "checkpoint_resumed",
            &[
                rr.loss,
                rr.elbo,
                T::from_u64(rr.steps),
                T::from_u64(rr.averaged),
                loss,
            ],
        );
        let mut draws = [T::ZERO; 2 * ND];
        f.draws(&mut draws).unwrap();
        put("checkpoint_draws", &draws);
        out
    }
    format!("values\n{}{}", family::<f32>("f32"), family::<f64>("f64"))
}

/// Checks what the programs printed into `build`.
fn check_outputs(build: &Path) {
    let api = read(&build.join("test_api.out"));
    assert!(api.contains(" 0 failed"), "test_api: {api}");
    let full = read(&build.join("test_full.out"));
    let (head, values) = full
        .split_once('\n')
        .unwrap_or_else(|| panic!("test_full printed one line: {full}"));
    assert!(head.ends_with(" 0 failed"), "test_full: {head}");
    let want = full_rank_values();
    if values != want {
        let diff: Vec<String> = want
            .lines()
            .zip(values.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("  rust: {a}\n     c: {b}"))
            .collect();
        panic!(
            "test_full's values differ from Rust's ({} vs {} lines):\n{}",
            values.lines().count(),
            want.lines().count(),
            diff.join("\n")
        );
    }
    let cap = read(&build.join("test_capacity.out"));
    assert_eq!(cap, "test_capacity: 0 failed\n");

    let seed = without_timings(&read(&build.join("seed.out")));
    let want = rust_seed_output();
    if seed != want {
        let diff: Vec<String> = want
            .lines()
            .zip(seed.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("  rust: {a}\n     c: {b}"))
            .collect();
        panic!(
            "seed.c's output differs from the Rust seed example's ({} vs {} lines):\n{}",
            seed.lines().count(),
            want.lines().count(),
            diff.join("\n")
        );
    }

    let stream = read(&build.join("stream.out"));
    let tail = stream
        .find("final posterior")
        .map(|i| &stream[i..])
        .unwrap_or_else(|| panic!("stream printed no final posterior:\n{stream}"));
    assert_eq!(
        tail,
        rust_stream_final(),
        "stream's posterior differs from Rust's"
    );
    assert_eq!(stream.matches("after ").count(), 3, "{stream}");
    assert_eq!(stream.matches(": predicted y = ").count(), 200, "{stream}");
    let bad = read(&build.join("stream_bad.out"));
    assert!(bad.contains("line 1: field 1 is not a number"), "{bad}");

    let cpp = read(&build.join("cpp_demo.out"));
    assert!(cpp.trim_end().ends_with("cpp_demo: ok"), "{cpp}");

    check_drift(&read(&build.join("drift.out")));
}

/// drift.c's last report, read back: the forgetting fit's coefficients within 3 posterior sds
/// of the truth in force at the end, the plain fit's not; N_w 100 (γ = 0.99) and 6000.
fn check_drift(out: &str) {
    let last = &out[out
        .rfind("after 6000 rows")
        .expect("drift: no final report")..];
    let nums = |line: &str| -> Vec<f64> {
        line.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
            .filter_map(|w| w.parse::<f64>().ok())
            .collect()
    };
    let mut lines = last.lines();
    // "after 6000 rows: truth alpha A beta1 B beta2 C, y(1,1) = Y"
    let head = nums(lines.next().unwrap());
    let truth = &head[1..4];
    let worst = |line: &str| {
        // "name N_w n  alpha m +- s  beta1 m +- s  beta2 m +- s  y(1,1) in [lo, hi] worst w sd"
        let v = nums(line);
        let z = (0..3)
            .map(|j| (v[1 + 2 * j] - truth[j]).abs() / v[2 + 2 * j])
            .fold(0.0, f64::max);
        (v[0], z)
    };
    let (nw_plain, z_plain) = worst(lines.next().unwrap());
    let (nw_forget, z_forget) = worst(lines.next().unwrap());
    assert_eq!(nw_plain, 6000.0, "{last}");
    assert!((nw_forget - 100.0).abs() < 0.1, "{last}");
    assert!(
        z_forget <= 3.0,
        "the forgetting fit is {z_forget} sd off:\n{last}"
    );
    assert!(
        z_plain > 3.0,
        "the plain fit is within {z_plain} sd:\n{last}"
    );
    assert!(out.contains("forgetting fit within 3 sd of the truth in force: yes"));
    assert!(out.contains("plain fit within 3 sd of the truth in force: no"));
}

#[test]
fn c_programs_gcc() {
    check_outputs(&build_and_run("gcc", "g++", Mode::Plain));
}

#[test]
fn c_programs_clang() {
    check_outputs(&build_and_run("clang", "clang++", Mode::Plain));
}

#[test]
fn c_programs_gcc_sanitizers() {
    check_outputs(&build_and_run("gcc", "g++", Mode::Sanitizers));
}

#[test]
fn c_programs_clang_sanitizers() {
    check_outputs(&build_and_run("clang", "clang++", Mode::Sanitizers));
}

#[test]
fn c_programs_gcc_valgrind() {
    check_outputs(&build_and_run("gcc", "g++", Mode::Valgrind));
}

#[test]
fn c_programs_clang_valgrind() {
    check_outputs(&build_and_run("clang", "clang++", Mode::Valgrind));
}

// ---------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------

/// A JSON number that parses back to exactly `x` (Rust's shortest round-trip form).
fn num(x: f64) -> String {
    assert!(x.is_finite());
    format!("{x:?}")
}

fn arr(v: impl IntoIterator<Item = f64>) -> String {
    let items: Vec<String> = v.into_iter().map(num).collect();
    format!("[{}]", items.join(", "))
}

/// The numbers `python/tests/test_vireg.py` must reproduce: the seed's data (P = 8, seed 42, here
/// N = 1000 rows) fitted exactly and by SVI with both guides, in both precisions, with draws,
/// predictions and the latent covariances.
/// f32 values are given as the f64 of the same value.
fn python_reference() -> String {
    const P: usize = 8;
    const N: usize = 1000;
    fn family<T: vireg::Normal + Into<f64>>(steps: u64) -> String {
        let mut synth: Synth<T, MAX_FEATURES> = Synth::new(P, 42).unwrap();
        let mut xs = vec![T::ZERO; N * P];
        let mut ys = vec![T::ZERO; N];
        for i in 0..N {
            ys[i] = synth.next_row(&mut xs[i * P..(i + 1) * P]).unwrap();
        }
        let d = P + 2;
        let mut exact: Fit<T, MAX_FEATURES> = Fit::new(P, Config::default()).unwrap();
        exact.observe_rows(&xs, P, &ys).unwrap();
        let er = exact.solve_exact().unwrap();
        let mut svi: Fit<T, MAX_FEATURES> = Fit::new(P, Config::default()).unwrap();
        svi.observe_rows(&xs, P, &ys).unwrap();
        let rr = svi.run(steps, 0, |_, _| true).unwrap();
        let (mut loc, mut scale) = (vec![T::ZERO; d], vec![T::ZERO; d]);
        let (mut sloc, mut sscale) = (vec![T::ZERO; d], vec![T::ZERO; d]);
        exact.posterior().unwrap().loc(&mut loc);
        exact.posterior().unwrap().scale(&mut scale);
        svi.posterior().unwrap().loc(&mut sloc);
        svi.posterior().unwrap().scale(&mut sscale);
        let mut draws = Vec::new();
        for _ in 0..3 {
            let mut row = vec![T::ZERO; d];
            svi.draw(&mut row).unwrap();
            draws.extend(row);
        }
        let xnew: Vec<T> = (0..P).map(|j| T::c(j as f64 * 0.25 - 1.0)).collect();
        let (pm, ps) = exact.posterior().unwrap().predict(&xnew).unwrap();
        let truth = synth.truth();
        let f = |v: &[T]| arr(v.iter().map(|x| (*x).into()));

        // The mean-field covariance (diagonal), and the full-rank guide, exact and by SVI.
        let mut exact_cov = vec![T::ZERO; d * d];
        for i in 0..d {
            exact_cov[i * d + i] = scale[i] * scale[i];
        }
        let mut full: FullFit<T, MAX_FEATURES> = FullFit::new(P, Config::default()).unwrap();
        full.observe_rows(&xs, P, &ys).unwrap();
        let fr = full.solve_exact().unwrap();
        let post = full.posterior().unwrap();
        let (mut floc, mut fsd, mut fcov) =
            (vec![T::ZERO; d], vec![T::ZERO; d], vec![T::ZERO; d * d]);
        post.loc(&mut floc);
        post.sd(&mut fsd);
        post.covariance_to(&mut fcov).unwrap();
        let (fpm, fps) = post.predict(&xnew).unwrap();
        let mut fsvi: FullFit<T, MAX_FEATURES> = FullFit::new(P, Config::default()).unwrap();
        fsvi.observe_rows(&xs, P, &ys).unwrap();
        let frr = fsvi.run(steps, 0, |_, _| true).unwrap();
        let post = fsvi.posterior().unwrap();
        let (mut sfloc, mut sfsd, mut sfcov) =
            (vec![T::ZERO; d], vec![T::ZERO; d], vec![T::ZERO; d * d]);
        post.loc(&mut sfloc);
        post.sd(&mut sfsd);
        post.covariance_to(&mut sfcov).unwrap();
        let mut fdraws = vec![T::ZERO; 3 * d];
        fsvi.draws(&mut fdraws).unwrap();
        let full_json = format!(
            "\"exact_cov\": {}, \"full_exact_loc\": {}, \"full_exact_sd\": {}, \
             \"full_exact_cov\": {}, \"full_exact_elbo\": {}, \"full_exact_mf_elbo\": {}, \
             \"full_exact_iterations\": {}, \"full_predict_mean\": {}, \"full_predict_sd\": {}, \
             \"full_svi_loc\": {}, \"full_svi_sd\": {}, \"full_svi_cov\": {}, \
             \"full_svi_loss\": {}, \"full_svi_elbo\": {}, \"full_svi_averaged\": {}, \
             \"full_draws\": {}",
            f(&exact_cov),
            f(&floc),
            f(&fsd),
            f(&fcov),
            num(fr.elbo.into()),
            num(fr.mean_field_elbo.into()),
            fr.iterations,
            num(fpm.into()),
            num(fps.into()),
            f(&sfloc),
            f(&sfsd),
            f(&sfcov),
            num(frr.loss.into()),
            num(frr.elbo.into()),
            frr.averaged,
            f(&fdraws),
        );
        format!(
            "{{\"rows\": {N}, \"features\": {P}, \"seed\": 42, \"svi_steps\": {steps}, \
             \"truth_alpha\": {}, \"truth_sigma\": {}, \"y_last\": {}, \
             \"exact_loc\": {}, \"exact_scale\": {}, \"exact_elbo\": {}, \
             \"exact_iterations\": {}, \"svi_loc\": {}, \"svi_scale\": {}, \"svi_loss\": {}, \
             \"svi_elbo\": {}, \"svi_averaged\": {}, \"draws\": {}, \"predict_x\": {}, \
             \"predict_mean\": {}, \"predict_sd\": {}, {full_json}}}",
            num(truth.alpha.into()),
            num(synth.sigma().into()),
            num(ys[N - 1].into()),
            f(&loc),
            f(&scale),
            num(er.elbo.into()),
            er.iterations,
            f(&sloc),
            f(&sscale),
            num(rr.loss.into()),
            num(rr.elbo.into()),
            rr.averaged,
            f(&draws),
            f(&xnew),
            num(pm.into()),
            num(ps.into())
        )
    }
    format!(
        "{{\"f64\": {}, \"f32\": {}}}\n",
        family::<f64>(2000),
        family::<f32>(2000)
    )
}

/// The wheelhouse `scripts/python-deps.sh` fills (`make deps`): `$VIREG_WHEELHOUSE`, else
/// `target/wheelhouse` of the repository.
fn wheelhouse() -> PathBuf {
    let dir = std::env::var_os("VIREG_WHEELHOUSE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target").join("wheelhouse"));
    assert!(
        dir.is_dir(),
        "{}: no wheelhouse (run `bash scripts/python-deps.sh`, which `make deps` runs)",
        dir.display()
    );
    dir
}

#[test]
fn python_module_matches_rust() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python");
    std::fs::create_dir_all(&dir).unwrap();
    let reference = dir.join("reference.json");
    std::fs::write(&reference, python_reference()).unwrap();
    // The package (python/vireg/) needs NumPy: installed from the wheelhouse, offline, into a
    // directory of its own on PYTHONPATH, leaving the machine's python3 as it is.
    let site = dir.join("site");
    let _ = std::fs::remove_dir_all(&site);
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
        ])
        .arg("--find-links")
        .arg(wheelhouse())
        .arg("--target")
        .arg(&site)
        .arg("numpy")
        .stdin(Stdio::null()));
    let out = run(Command::new("python3")
        .arg(
            manifest_dir()
                .join("python")
                .join("tests")
                .join("test_vireg.py"),
        )
        .env("PYTHONPATH", &site)
        .env("VIREG_LIB", lib_dir().join("libvireg.so"))
        .env("VIREG_REFERENCE", &reference)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(text.contains("matches the Rust reference"), "{text}");
}

/// Prints the Python reference (for running python/tests/test_vireg.py by hand):
/// `cargo test --release --test c_api -- --ignored --nocapture print_python_reference`.
#[test]
#[ignore]
fn print_python_reference() {
    print!("{}", python_reference());
}

// ---------------------------------------------------------------------------------------------
// From Rust
// ---------------------------------------------------------------------------------------------

#[test]
fn status_strings_are_the_kernels() {
    use std::ffi::CStr;
    // Every kernel error (the list the C ABI's status table is built from), new ones included.
    assert_eq!(vireg::Error::ALL.len(), 15);
    for e in vireg::Error::ALL {
        // SAFETY: vireg_status_str returns a static NUL-terminated string.
        let s = unsafe { CStr::from_ptr(vireg_status_str(e as i32)) };
        assert_eq!(s.to_str().unwrap(), e.as_str(), "{e:?}");
    }
    // SAFETY: as above.
    let unknown = unsafe { CStr::from_ptr(vireg_status_str(12345)) };
    // SAFETY: as above.
    let size = unsafe { CStr::from_ptr(vireg_status_str(VIREG_ERR_STATE_SIZE)) };
    assert!(size.to_str().unwrap().contains("VIREG_MAX_FEATURES"));
    assert_eq!(unknown.to_str().unwrap(), "unknown status");
}

#[test]
fn misaligned_pointers_are_refused() {
    // A buffer one word larger than a state, addressed one byte in: misaligned for every type.
    let mut words = vec![0u64; VIREG_FIT_F64_WORDS + 2];
    let base = words.as_mut_ptr().cast::<u8>();
    // SAFETY (all the calls below): every pointer is valid for the bytes the function may touch;
    // the misaligned ones are refused before any access.
    unsafe {
        let bad_fit = base.add(1).cast::<vireg_fit_f64>();
        assert_eq!(
            vireg_init_sized_f64(bad_fit, size_of::<vireg_fit_f64>(), 2, core::ptr::null()),
            VIREG_ERR_MISALIGNED
        );
        let bad_fit32 = base.add(4).cast::<vireg_fit_f32>();
        assert_eq!(
            vireg_init_sized_f32(bad_fit32, size_of::<vireg_fit_f32>(), 2, core::ptr::null()),
            VIREG_ERR_MISALIGNED
        );
        assert!(words.iter().all(|w| *w == 0), "a refused init wrote");

        let mut fit = core::mem::MaybeUninit::<vireg_fit_f64>::zeroed();
        let fit = fit.as_mut_ptr();
        assert_eq!(
            vireg_init_sized_f64(fit, size_of::<vireg_fit_f64>(), 2, core::ptr::null()),
            VIREG_OK
        );
        let mut bytes = [0u8; 64];
        let bad_x = bytes.as_mut_ptr().add(1).cast::<f64>();
        assert_eq!(vireg_observe_f64(fit, bad_x, 2, 1.0), VIREG_ERR_MISALIGNED);
        let mut n = 0usize;
        assert_eq!(vireg_features_f64(fit, &mut n), VIREG_OK);
        assert_eq!(n, 2);
        let bad_n = bytes.as_mut_ptr().add(3).cast::<usize>();
        assert_eq!(vireg_features_f64(fit, bad_n), VIREG_ERR_MISALIGNED);
        let bad_cfg = bytes.as_mut_ptr().add(1).cast::<vireg_config_f64>();
        let mut cfg_bytes = [0u64; 32];
        let bad_cfg_out = cfg_bytes
            .as_mut_ptr()
            .cast::<u8>()
            .add(2)
            .cast::<vireg_config_f64>();
        assert_eq!(vireg_config_default_f64(bad_cfg_out), VIREG_ERR_MISALIGNED);
        assert_eq!(
            vireg_init_sized_f64(fit, size_of::<vireg_fit_f64>(), 2, bad_cfg),
            VIREG_ERR_MISALIGNED
        );
        let bad_loss = bytes.as_mut_ptr().add(1).cast::<f64>();
        assert_eq!(vireg_step_f64(fit, 1, bad_loss), VIREG_ERR_MISALIGNED);
        let bad_row = bytes.as_mut_ptr().add(1).cast::<usize>();
        let x = [1.0, 2.0];
        assert_eq!(
            vireg_observe_rows_f64(fit, x.as_ptr(), 1, 2, 2, x.as_ptr(), bad_row),
            VIREG_ERR_MISALIGNED
        );
        let mut rows = 0u64;
        assert_eq!(vireg_rows_f64(fit, &mut rows), VIREG_OK);
        assert_eq!(rows, 0, "a refused call changed the fit");
    }
}

#[test]
fn a_fit_works_from_rust_through_the_c_api() {
    // The same fit through the C API and the Rust API gives the same bits.
    let (p, n) = (4, 300);
    let mut synth: Synth<f32, MAX_FEATURES> = Synth::new(p, 5).unwrap();
    let mut xs = vec![0f32; n * p];
    let mut ys = vec![0f32; n];
    for i in 0..n {
        ys[i] = synth.next_row(&mut xs[i * p..(i + 1) * p]).unwrap();
    }
    let mut rust: Fit<f32, MAX_FEATURES> = Fit::new(p, Config::default()).unwrap();
    rust.observe_rows(&xs, p, &ys).unwrap();
    let rr = rust.run(500, 0, |_, _| true).unwrap();
    let mut want = vec![0f32; p + 2];
    rust.posterior().unwrap().loc(&mut want);

    let mut state = Box::new(core::mem::MaybeUninit::<vireg_fit_f32>::zeroed());
    let fit = state.as_mut_ptr();
    let mut got = vec![0f32; p + 2];
    let mut bad = usize::MAX;
    let mut report = core::mem::MaybeUninit::<vireg_run_report_f32>::zeroed();
    // SAFETY: every pointer is valid for the lengths given; the state is zero-filled.
    unsafe {
        let mut rows = 0;
        assert_eq!(vireg_rows_f32(fit, &mut rows), VIREG_ERR_UNINITIALISED);
        assert_eq!(
            vireg_init_sized_f32(fit, size_of::<vireg_fit_f32>(), p, core::ptr::null()),
            VIREG_OK
        );
        assert_eq!(
            vireg_observe_rows_f32(fit, xs.as_ptr(), n, p, p, ys.as_ptr(), &mut bad),
            VIREG_OK
        );
        assert_eq!(bad, n);
        let none: vireg_progress_f32 = None;
        let user = core::ptr::null_mut();
        assert_eq!(
            vireg_run_f32(fit, 500, 0, none, user, report.as_mut_ptr()),
            VIREG_OK
        );
        assert_eq!(
            vireg_posterior_loc_f32(fit, got.as_mut_ptr(), got.len()),
            VIREG_OK
        );
        let report = report.assume_init();
        assert_eq!(report.steps, rr.steps);
        assert_eq!(report.loss.to_bits(), rr.loss.to_bits());
        assert_eq!(report.elbo.to_bits(), rr.elbo.to_bits());
    }
    assert_eq!(got, want);
}

#[test]
fn full_rank_misaligned_pointers_are_refused() {
    // As misaligned_pointers_are_refused, for the full-rank fit and the covariance functions.
    let mut words = vec![0u64; VIREG_FULL_F64_WORDS + 2];
    let base = words.as_mut_ptr().cast::<u8>();
    // SAFETY (all the calls below): every pointer is valid for the bytes the function may touch;
    // the misaligned ones are refused before any access.
    unsafe {
        let bad_fit = base.add(1).cast::<vireg_full_f64>();
        assert_eq!(
            vireg_full_init_sized_f64(bad_fit, size_of::<vireg_full_f64>(), 2, core::ptr::null()),
            VIREG_ERR_MISALIGNED
        );
        let bad_fit32 = base.add(4).cast::<vireg_full_f32>();
        assert_eq!(
            vireg_full_init_sized_f32(bad_fit32, size_of::<vireg_full_f32>(), 2, core::ptr::null()),
            VIREG_ERR_MISALIGNED
        );
        assert!(words.iter().all(|w| *w == 0), "a refused init wrote");

        let mut state = Box::new(core::mem::MaybeUninit::<vireg_full_f64>::zeroed());
        let fit = state.as_mut_ptr();
        assert_eq!(
            vireg_full_init_sized_f64(fit, size_of::<vireg_full_f64>(), 2, core::ptr::null()),
            VIREG_OK
        );
        let xs = [1.0, 2.0, 2.0, -1.0, 0.5, 0.5, -1.0, 3.0, 2.0, 2.5];
        let ys = [1.0, 0.0, 2.0, -1.0, 3.0];
        assert_eq!(
            vireg_full_observe_rows_f64(
                fit,
                xs.as_ptr(),
                5,
                2,
                2,
                ys.as_ptr(),
                core::ptr::null_mut()
            ),
            VIREG_OK
        );
        assert_eq!(vireg_full_step_f64(fit, 5, core::ptr::null_mut()), VIREG_OK);
        let before: Vec<u8> =
            core::slice::from_raw_parts(fit.cast::<u8>(), size_of::<vireg_full_f64>()).to_vec();
        let mut out = [0u64; 20];
        let bad_out = out.as_mut_ptr().cast::<u8>().add(1).cast::<f64>();
        assert_eq!(
            vireg_full_posterior_cov_f64(fit, bad_out, 16),
            VIREG_ERR_MISALIGNED
        );
        assert_eq!(
            vireg_full_posterior_chol_f64(fit, bad_out, 16),
            VIREG_ERR_MISALIGNED
        );
        assert_eq!(
            vireg_full_posterior_sd_f64(fit, bad_out, 4),
            VIREG_ERR_MISALIGNED
        );
        assert_eq!(
            vireg_full_draw_f64(fit, bad_out, 1, 4),
            VIREG_ERR_MISALIGNED
        );
        assert_eq!(vireg_full_step_f64(fit, 1, bad_out), VIREG_ERR_MISALIGNED);
        let bad_rep = out
            .as_mut_ptr()
            .cast::<u8>()
            .add(4)
            .cast::<vireg_full_report_f64>();
        assert_eq!(
            vireg_full_solve_exact_f64(fit, bad_rep),
            VIREG_ERR_MISALIGNED
        );
        assert!(
            out.iter().all(|w| *w == 0),
            "a refused call wrote its output"
        );
        let after = core::slice::from_raw_parts(fit.cast::<u8>(), size_of::<vireg_full_f64>());
        assert!(after == before.as_slice(), "a refused call changed the fit");

        let mut mf = core::mem::MaybeUninit::<vireg_fit_f64>::zeroed();
        let mf = mf.as_mut_ptr();
        assert_eq!(
            vireg_init_sized_f64(mf, size_of::<vireg_fit_f64>(), 2, core::ptr::null()),
            VIREG_OK
        );
        assert_eq!(vireg_step_f64(mf, 3, core::ptr::null_mut()), VIREG_OK);
        assert_eq!(
            vireg_posterior_cov_f64(mf, bad_out, 16),
            VIREG_ERR_MISALIGNED
        );
        assert!(
            out.iter().all(|w| *w == 0),
            "a refused call wrote its output"
        );
        let misaligned_mf = base.add(1).cast::<vireg_fit_f64>();
        let mut cov = [0f64; 16];
        assert_eq!(
            vireg_posterior_cov_f64(misaligned_mf, cov.as_mut_ptr(), 16),
            VIREG_ERR_MISALIGNED
        );
    }
}
