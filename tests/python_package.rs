//! The Python package as a user installs it: a fresh virtual environment, `pip install ./python`
//! (which builds the shared library with cargo and bundles it), NumPy, pandas, ArviZ and Dask,
//! then `python/tests/test_package.py`, which checks the installed package: its own library
//! loaded, NumPy in (rows read in place) and out, summary tables, ArviZ's InferenceData, and a
//! Dask DataFrame fitted on a `LocalCluster` of two worker processes, equal to one process's fit
//! of the same rows. Its solve_exact posteriors must equal, bit for bit, the Rust API's,
//! computed here.
//!
//! Offline: every Python package comes from the wheelhouse `scripts/python-deps.sh` fills
//! (`make deps`). A missing python3, venv module or wheelhouse fails the test.
//!
//! The library's build shares the target directory of tests/install.rs's inner builds (the
//! same command, `cargo rustc --profile dist --lib --crate-type cdylib`, the same capacity), so
//! whichever of the two runs second finds it built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;
use vireg::ffi::MAX_FEATURES;
use vireg::{Config, Fit, FullFit, Synth};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-package")
}

/// The wheelhouse `scripts/python-deps.sh` fills: `$VIREG_WHEELHOUSE`, else `target/wheelhouse`
/// of the repository.
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

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (install python3 with scripts/host-deps.sh)")
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

/// A JSON number that parses back to exactly `x`.
fn num(x: f64) -> String {
    assert!(x.is_finite());
    format!("{x:?}")
}

fn arr<T: Copy + Into<f64>>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(|x| num((*x).into())).collect();
    format!("[{}]", items.join(", "))
}

/// What test_package.py must reproduce: the seed's data (P = 8, seed 42, N = 1000 rows) solved
/// exactly with both guides, in both precisions (f32 values as the f64 of the same value).
fn reference() -> String {
    const P: usize = 8;
    const N: usize = 1000;
    fn family<T: vireg::Normal + Into<f64>>() -> String {
        let mut synth: Synth<T, MAX_FEATURES> = Synth::new(P, 42).unwrap();
        let mut xs = vec![T::ZERO; N * P];
        let mut ys = vec![T::ZERO; N];
        for i in 0..N {
            ys[i] = synth.next_row(&mut xs[i * P..(i + 1) * P]).unwrap();
        }
        let d = P + 2;
        let mut exact: Fit<T, MAX_FEATURES> = Fit::new(P, Config::default()).unwrap();
        exact.observe_rows(&xs, P, &ys).unwrap();
        let report = exact.solve_exact().unwrap();
        let (mut loc, mut scale) = (vec![T::ZERO; d], vec![T::ZERO; d]);
        exact.posterior().unwrap().loc(&mut loc);
        exact.posterior().unwrap().scale(&mut scale);
        let mut full: FullFit<T, MAX_FEATURES> = FullFit::new(P, Config::default()).unwrap();
        full.observe_rows(&xs, P, &ys).unwrap();
        full.solve_exact().unwrap();
        let mut cov = vec![T::ZERO; d * d];
        full.posterior().unwrap().covariance_to(&mut cov).unwrap();
        format!(
            "{{\"features\": {P}, \"seed\": 42, \"rows\": {N}, \"exact_loc\": {}, \
             \"exact_scale\": {}, \"exact_elbo\": {}, \"full_exact_cov\": {}}}",
            arr(&loc),
            arr(&scale),
            num(report.elbo.into()),
            arr(&cov)
        )
    }
    format!(
        "{{\"f64\": {}, \"f32\": {}}}\n",
        family::<f64>(),
        family::<f32>()
    )
}

#[test]
fn python_package_installs_and_works() {
    let work = work_dir();
    let venv = work.join("venv");
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::create_dir_all(&work).unwrap();
    let wheels = wheelhouse();
    // setuptools builds in the source tree (python/build/); a file left there by an older
    // build of the package would be packed again.
    let _ = std::fs::remove_dir_all(manifest_dir().join("python").join("build"));
    let start = Instant::now();

    // A fresh environment without pip of its own: the machine's pip installs into it
    // (`--python`), which spares the environment's pip bootstrap.
    run(Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv));
    let python = venv.join("bin").join("python");
    let t_venv = start.elapsed();

    // `pip install ./python`, with the packages the test uses, in one resolution, offline. The
    // build (setup.py) runs cargo: this cargo, the same target directory and capacity as
    // tests/install.rs, without the outer build's flags and wrappers.
    let mut pip = Command::new("python3");
    pip.args(["-m", "pip", "--python"])
        .arg(&python)
        .args([
            "install",
            "--disable-pip-version-check",
            "--no-index",
            "--no-compile",
        ])
        .arg("--find-links")
        .arg(&wheels)
        .arg(manifest_dir().join("python"))
        .arg("-r")
        .arg(
            manifest_dir()
                .join("python")
                .join("tests")
                .join("requirements.txt"),
        )
        .current_dir(manifest_dir());
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "SETUPTOOLS_RUST_CARGO_PROFILE",
        "PIP_REQUIRE_VIRTUALENV",
    ] {
        pip.env_remove(var);
    }
    pip.env(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("install")
            .join("cargo"),
    )
    .env("VIREG_MAX_FEATURES", MAX_FEATURES.to_string());
    if let Some(cargo) = std::env::var_os("CARGO") {
        pip.env("CARGO", cargo);
    }
    run(&mut pip);
    let t_install = start.elapsed();

    // The test script, from a directory outside the source tree, with VIREG_LIB naming no file:
    // the package must load the library it carries.
    let reference_json = work.join("reference.json");
    std::fs::write(&reference_json, reference()).unwrap();
    let out = run(Command::new(&python)
        .arg(
            manifest_dir()
                .join("python")
                .join("tests")
                .join("test_package.py"),
        )
        .arg(&reference_json)
        .current_dir(&work)
        .env("VIREG_LIB", work.join("no-such-library.so"))
        .env("VIREG_EXPECT_MAX_FEATURES", MAX_FEATURES.to_string())
        .env("MPLBACKEND", "Agg")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME"));
    let text = String::from_utf8_lossy(&out.stdout);
    println!(
        "{text}venv {:.1} s, pip install {:.1} s, test_package.py {:.1} s",
        t_venv.as_secs_f64(),
        (t_install - t_venv).as_secs_f64(),
        (start.elapsed() - t_install).as_secs_f64()
    );
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(
        text.contains("Dask, 2 worker processes, 7 partitions"),
        "{text}"
    );
}
