//! The CSV fitter `fit` (tools/src/main.rs), run as a program on files written from `vireg::Synth`
//! data and checked against the Rust API on the same rows.
//!
//! The CSV files hold each value as Rust's shortest round-trip decimal (`{:?}`), which the
//! program parses back to the same f64, and the JSON is parsed with serde_json's exact float
//! parser, so the program's numbers must equal the library's bit for bit.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use vireg::{normal_quantile, AdamConfig, Config, Estimator, Fit, FullFit, Prior, Synth};

const CAP: usize = 64;

// ---------------------------------------------------------------------------------------------
// The program and its files
// ---------------------------------------------------------------------------------------------

/// The `fit` binary of this build: cargo builds a package's binaries before its integration
/// tests, in the same profile, so a run of this test alone (`cargo test -p vireg-tools --test
/// fit_cli`) never runs a stale one.
fn fit_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_fit"))
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fit_cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(fit_exe())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run fit")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8 output")
}

/// Runs `fit` and requires success; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run_in(dir, args);
    assert!(
        out.status.success(),
        "fit {args:?}: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs `fit --json …` and parses its one-line, one-object output.
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(dir, &all);
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert!(v.is_object());
    v
}

// ---------------------------------------------------------------------------------------------
// Data and the Rust reference
// ---------------------------------------------------------------------------------------------

/// `n` rows of `p` features from `Synth` with `seed`.
fn synth_rows(p: usize, n: usize, seed: u64) -> Vec<(Vec<f64>, f64)> {
    let mut s: Synth<f64, CAP> = Synth::new(p, seed).unwrap();
    (0..n)
        .map(|_| {
            let mut x = vec![0.0; p];
            let y = s.next_row(&mut x).unwrap();
            (x, y)
        })
        .collect()
}

/// A CSV with the features x0…x{p-1} and y last, values in shortest round-trip form.
fn csv(rows: &[(Vec<f64>, f64)]) -> String {
    let p = rows[0].0.len();
    let mut s: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    s.push("y".into());
    let mut out = s.join(",") + "\n";
    for (x, y) in rows {
        let mut f: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
        f.push(format!("{y:?}"));
        out += &(f.join(",") + "\n");
    }
    out
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), content).unwrap();
}

fn fit_of(rows: &[(Vec<f64>, f64)], cfg: Config<f64>) -> Fit<f64, CAP> {
    let mut f = Fit::new(rows[0].0.len(), cfg).unwrap();
    for (x, y) in rows {
        f.observe(x, *y).unwrap();
    }
    f
}

fn svi_config(particles: u32, lr: f64, seed: u64, prior: Prior<f64>) -> Config<f64> {
    Config {
        prior,
        adam: AdamConfig {
            lr,
            ..AdamConfig::default()
        },
        estimator: Estimator::MonteCarlo { particles },
        seed,
        ..Config::default()
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(num)
        .collect()
}

fn same(what: &str, got: f64, want: f64) {
    assert!(
        got.to_bits() == want.to_bits(),
        "{what}: program {got:?}, library {want:?}"
    );
}

fn same_all(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        same(&format!("{what}[{i}]"), *g, *w);
    }
}

/// `{"alpha", "beta", "sigma"}` flattened to the latent order.
fn params(v: &Value) -> Vec<f64> {
    let mut out = vec![num(&v["alpha"])];
    out.extend(nums(&v["beta"]));
    out.push(num(&v["sigma"]));
    out
}

/// Checks every number of the program's JSON against the fit's posterior: loc, scale, mean, sd
/// and the α/β intervals bit for bit (the σ interval is checked by `check_sigma_hdi`).
fn check_against(v: &Value, fit: &Fit<f64, CAP>, elbo: f64, steps: u64, n: usize, method: &str) {
    let post = fit.posterior().unwrap();
    let p = fit.features();
    let (mut loc, mut scale) = (vec![0.0; p + 2], vec![0.0; p + 2]);
    post.loc(&mut loc);
    post.scale(&mut scale);
    same_all("loc", &nums(&v["loc"]), &loc);
    same_all("scale", &nums(&v["scale"]), &scale);
    let s: Vec<_> = (0..p + 2).map(|i| post.summary(i).unwrap()).collect();
    same_all(
        "mean",
        &params(&v["mean"]),
        &s.iter().map(|s| s.mean).collect::<Vec<_>>(),
    );
    same_all(
        "sd",
        &params(&v["sd"]),
        &s.iter().map(|s| s.sd).collect::<Vec<_>>(),
    );
    let (lo, hi) = (params(&v["hdi_3"]), params(&v["hdi_97"]));
    for i in 0..=p {
        same(
            &format!("hdi_3[{i}]"),
            lo[i],
            post.quantile(i, 0.03).unwrap(),
        );
        same(
            &format!("hdi_97[{i}]"),
            hi[i],
            post.quantile(i, 0.97).unwrap(),
        );
    }
    check_sigma_hdi(lo[p + 1], hi[p + 1], loc[p + 1], scale[p + 1]);
    same("elbo", num(&v["elbo"]), elbo);
    assert_eq!(v["steps"].as_u64(), Some(steps));
    assert_eq!(v["n"].as_u64(), Some(n as u64));
    assert_eq!(v["p"].as_u64(), Some(p as u64));
    assert_eq!(v["method"].as_str(), Some(method));
}

/// The full-rank fit of `rows` through the library.
fn full_fit_of(rows: &[(Vec<f64>, f64)], cfg: Config<f64>) -> FullFit<f64, CAP> {
    let mut f = FullFit::new(rows[0].0.len(), cfg).unwrap();
    for (x, y) in rows {
        f.observe(x, *y).unwrap();
    }
    f
}

/// `cov` of the JSON: (p+2) rows of p+2, flattened.
fn cov_of(v: &Value) -> Vec<f64> {
    v["cov"]
        .as_array()
        .unwrap_or_else(|| panic!("no cov in {v}"))
        .iter()
        .flat_map(nums)
        .collect()
}

/// Checks the program's JSON for `--guide full` against the full-rank fit's posterior: loc,
/// the guide's scale (softplus ρ), the covariance, and the marginals' mean, sd and α/β
/// intervals, bit for bit; σ's interval is the highest-density one of its log-normal marginal.
fn check_full_against(v: &Value, fit: &FullFit<f64, CAP>, elbo: f64, steps: u64, method: &str) {
    let post = fit.posterior().unwrap();
    let p = fit.features();
    let d = p + 2;
    let mut loc = vec![0.0; d];
    post.loc(&mut loc);
    same_all("loc", &nums(&v["loc"]), &loc);
    let mut scale = vec![0.0; d];
    fit.reported_guide().scale(p).copy_to(p, &mut scale);
    same_all("scale", &nums(&v["scale"]), &scale);
    let mut cov = vec![0.0; d * d];
    post.covariance_to(&mut cov).unwrap();
    same_all("cov", &cov_of(v), &cov);
    let s: Vec<_> = (0..d).map(|i| post.summary(i).unwrap()).collect();
    same_all(
        "mean",
        &params(&v["mean"]),
        &s.iter().map(|s| s.mean).collect::<Vec<_>>(),
    );
    same_all(
        "sd",
        &params(&v["sd"]),
        &s.iter().map(|s| s.sd).collect::<Vec<_>>(),
    );
    let (lo, hi) = (params(&v["hdi_3"]), params(&v["hdi_97"]));
    for i in 0..=p {
        same(
            &format!("hdi_3[{i}]"),
            lo[i],
            post.quantile(i, 0.03).unwrap(),
        );
        same(
            &format!("hdi_97[{i}]"),
            hi[i],
            post.quantile(i, 0.97).unwrap(),
        );
    }
    check_sigma_hdi(lo[p + 1], hi[p + 1], loc[p + 1], cov[d * d - 1].sqrt());
    same("elbo", num(&v["elbo"]), elbo);
    assert_eq!(v["steps"].as_u64(), Some(steps));
    assert_eq!(v["method"].as_str(), Some(method));
    assert_eq!(v["guide"].as_str(), Some("full"));
}

/// `--guide full` is `FullFit` on the same rows, bit for bit, exact and SVI; its covariance has
/// the correlations the mean-field guide's diagonal `cov` lacks, and the table's sds are the
/// covariance's.
#[test]
fn full_rank_guide_matches_fullfit() {
    let dir = scratch("full");
    // Correlated, uncentred features: x1 ≈ 25 ± 3, x2 = 0.8·x1 + noise.
    let mut r = 0x9e37_79b9_7f4a_7c15u64;
    let mut unif = || {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let rows: Vec<(Vec<f64>, f64)> = (0..200)
        .map(|_| {
            let x1 = 25.0 + 10.0 * unif();
            let x2 = 0.8 * x1 + 3.0 * unif();
            (vec![x1, x2], 1.0 + 0.3 * x1 - 0.5 * x2 + 2.0 * unif())
        })
        .collect();
    write(&dir, "d.csv", csv(&rows));
    let mut fit = full_fit_of(&rows, Config::default());
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["d.csv", "--guide", "full"]);
    check_full_against(&v, &fit, rep.elbo, rep.iterations as u64, "exact");
    let cov = cov_of(&v);
    let corr = |i: usize, j: usize| cov[i * 4 + j] / (cov[i * 5] * cov[j * 5]).sqrt();
    let strongest = (0..3).flat_map(|i| (i + 1..3).map(move |j| (i, j)));
    let strongest = strongest.map(|(i, j)| corr(i, j).abs()).fold(0.0, f64::max);
    assert!(
        strongest > 0.9,
        "largest coefficient correlation {strongest}"
    );
    // The mean-field guide on the same file: a diagonal cov of its scales², smaller sds.
    let m = json(&dir, &["d.csv"]);
    assert_eq!(m["guide"].as_str(), Some("diagonal"));
    let (mc, ms) = (cov_of(&m), nums(&m["scale"]));
    for i in 0..4 {
        for j in 0..4 {
            let want = if i == j { ms[i] * ms[i] } else { 0.0 };
            same(&format!("diagonal cov[{i}][{j}]"), mc[i * 4 + j], want);
        }
    }
    assert!(num(&m["sd"]["alpha"]) < 0.5 * num(&v["sd"]["alpha"]));
    // SVI with the full-rank guide.
    let cfg = svi_config(1, 0.01, 42, Prior::default());
    let mut sfit = full_fit_of(&rows, cfg);
    let run = sfit.run(2000, 0, |_, _| true).unwrap();
    let w = json(
        &dir,
        &[
            "d.csv", "--guide", "full", "--method", "svi", "--steps", "2000",
        ],
    );
    check_full_against(&w, &sfit, run.elbo, run.steps, "svi");
    // The table shows the guide and the covariance's sds.
    let t = ok(&dir, &["d.csv", "--guide", "full"]);
    assert!(t.contains("guide   full"), "{t}");
    assert!(t.contains("exact (full-rank optimum"), "{t}");
}

/// Standard normal density.
fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// ∫ φ over [a, b] by composite Simpson (independent of the program's bisection).
fn normal_mass(a: f64, b: f64) -> f64 {
    let k = 20_000;
    let h = (b - a) / k as f64;
    let mut s = phi(a) + phi(b);
    for i in 1..k {
        s += phi(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// The σ interval is the 94% highest-density interval of the log-normal e^u, u ~ N(m, s²):
/// it holds 94% of the mass, the density is the same at both ends, and it is no wider than the
/// equal-tailed interval.
fn check_sigma_hdi(lo: f64, hi: f64, m: f64, s: f64) {
    let (z1, z2) = ((lo.ln() - m) / s, (hi.ln() - m) / s);
    let mass = normal_mass(z1, z2);
    assert!((mass - 0.94).abs() < 1e-9, "σ interval mass {mass}");
    // log-normal density at e^{m+sz} ∝ φ(z)·e^{−sz}: compare the logarithms.
    let (l1, l2) = (-0.5 * z1 * z1 - s * z1, -0.5 * z2 * z2 - s * z2);
    assert!(
        (l1 - l2).abs() < 1e-9 * (1.0 + l1.abs()),
        "densities at the ends differ: {l1} vs {l2}"
    );
    let (et_lo, et_hi) = (
        (m + s * normal_quantile(0.03)).exp(),
        (m + s * normal_quantile(0.97)).exp(),
    );
    assert!(
        lo < et_lo && hi < et_hi,
        "the HDI is left of the equal-tailed interval"
    );
    assert!(hi - lo <= et_hi - et_lo, "the HDI is not wider");
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// (1) `--method exact` (and the default) is `solve_exact()` on the same rows, bit for bit.
#[test]
fn exact_matches_solve_exact() {
    let dir = scratch("exact");
    let rows = synth_rows(3, 500, 7);
    write(&dir, "d.csv", csv(&rows));
    let mut fit = fit_of(&rows, Config::default());
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["d.csv", "--method", "exact"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, 500, "exact");
    assert_eq!(v["y"].as_str(), Some("y"));
    assert_eq!(v["features"], serde_json::json!(["x0", "x1", "x2"]));
    // The default method is exact, and the option order does not matter.
    assert_eq!(json(&dir, &["d.csv"]), v);
    let out = ok(&dir, &["--json", "--", "d.csv"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), v);
}

/// A wide σ posterior (6 rows), where the highest-density interval differs visibly from the
/// equal-tailed one; and the same answer from standard input.
#[test]
fn sigma_interval_is_highest_density() {
    let dir = scratch("hdi");
    let rows = synth_rows(2, 6, 3);
    write(&dir, "d.csv", csv(&rows));
    let mut fit = fit_of(&rows, Config::default());
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["d.csv"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, 6, "exact");
    let s = num(&v["scale"][3]);
    assert!(s > 0.2, "a wide σ posterior (scale of u {s})");
    let (lo, hi) = (num(&v["hdi_3"]["sigma"]), num(&v["hdi_97"]["sigma"]));
    let m = num(&v["loc"][3]);
    let et = (m + s * normal_quantile(0.97)).exp() - (m + s * normal_quantile(0.03)).exp();
    assert!(
        hi - lo < 0.99 * et,
        "HDI width {} vs equal-tailed {et}",
        hi - lo
    );

    let mut child = Command::new(fit_exe())
        .args(["-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv(&rows).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let mut w: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(w["file"].as_str(), Some("-"));
    w["file"] = v["file"].clone();
    assert_eq!(w, v, "standard input gives the file's answer");
}

/// (2) `--method svi` is `Fit::run` with the same settings, bit for bit.
#[test]
fn svi_matches_run() {
    let dir = scratch("svi");
    let rows = synth_rows(4, 400, 11);
    write(&dir, "d.csv", csv(&rows));

    let mut fit = fit_of(&rows, Config::default());
    let rep = fit.run(3000, 0, |_, _| true).unwrap();
    let v = json(&dir, &["d.csv", "--method", "svi", "--steps", "3000"]);
    check_against(&v, &fit, rep.elbo, 3000, 400, "svi");
    assert_eq!(v["averaged"].as_u64(), Some(rep.averaged));
    assert_eq!(v["particles"].as_u64(), Some(1));
    assert_eq!(v["seed"].as_u64(), Some(42));
    same("lr", num(&v["lr"]), 1e-2);

    // Every SVI option reaches the configuration.
    let cfg = svi_config(3, 0.005, 9, Prior::default());
    let mut fit = fit_of(&rows, cfg);
    let rep = fit.run(2000, 0, |_, _| true).unwrap();
    let args = [
        "d.csv",
        "--method=svi",
        "--steps",
        "2000",
        "--particles",
        "3",
        "--lr",
        "0.005",
        // A repeated option takes its last value.
        "--seed",
        "1",
        "--seed=9",
    ];
    let w = json(&dir, &args);
    check_against(&w, &fit, rep.elbo, 2000, 400, "svi");
    assert_ne!(w["loc"], v["loc"]);
}

/// The same rows written with a byte-order mark, CRLF line ends, quoted and space-padded
/// fields, blank and space-only lines (one at the end without a line break) give the same
/// answer, and the file's line numbers count every line.
#[test]
fn bom_crlf_quotes_and_blank_lines() {
    let dir = scratch("dialect");
    let rows = synth_rows(2, 40, 19);
    write(&dir, "plain.csv", csv(&rows));
    // Row 11 cut short when `cut`.
    let messy = |cut: bool| {
        let mut s = String::from("\u{feff}\"x0\", x1 ,\"y\"\r\n\r\n");
        for (i, (x, y)) in rows.iter().enumerate() {
            if cut && i == 11 {
                s += &format!("\"{:?}\",  {:?}\r\n", x[0], x[1]);
            } else {
                s += &format!("\"{:?}\",  {:?} ,{y:?}\r\n", x[0], x[1]);
            }
            if i % 10 == 3 {
                s += "   \r\n\n";
            }
        }
        s + "  "
    };
    write(&dir, "messy.csv", messy(false));
    let mut v = json(&dir, &["messy.csv"]);
    let w = json(&dir, &["plain.csv"]);
    assert_eq!(v["features"], serde_json::json!(["x0", "x1"]));
    v["file"] = w["file"].clone();
    assert_eq!(v, w);

    // Header, blank line, rows 0–3, two blank lines, rows 4–11: row 11 is on line 16.
    write(&dir, "bad.csv", messy(true));
    check_refused(
        &dir,
        "short row",
        &["bad.csv"],
        &["fit: bad.csv:16: expected 3 fields, found 2"],
    );
}

#[test]
fn y_option_picks_a_middle_column() {
    let dir = scratch("y");
    let rows = synth_rows(3, 300, 5);
    // Columns: x0, "target", "x, 2" (quoted: it holds a comma), x3 — y second.
    let mut s = String::from("x0,target,\"x, 2\",x3\n");
    for (x, y) in &rows {
        s += &format!("{:?},{y:?},{:?},{:?}\r\n", x[0], x[1], x[2]);
    }
    write(&dir, "mid.csv", s);
    write(&dir, "last.csv", csv(&rows));
    let mut fit = fit_of(&rows, Config::default());
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["mid.csv", "--y", "target"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, 300, "exact");
    assert_eq!(v["y"].as_str(), Some("target"));
    assert_eq!(v["features"], serde_json::json!(["x0", "x, 2", "x3"]));
    let w = json(&dir, &["last.csv"]);
    for key in [
        "loc", "scale", "mean", "sd", "hdi_3", "hdi_97", "elbo", "steps",
    ] {
        assert_eq!(v[key], w[key], "{key}");
    }
    // Without --y the last column (x3) is y: a different model.
    let u = json(&dir, &["mid.csv"]);
    assert_eq!(u["y"].as_str(), Some("x3"));
    assert_ne!(u["loc"], v["loc"]);
}

/// (4) The prior options change the answer exactly as the kernel's `Prior` does.
#[test]
fn prior_options_reach_the_model() {
    let dir = scratch("prior");
    let rows = synth_rows(2, 20, 13);
    write(&dir, "d.csv", csv(&rows));
    let prior = Prior {
        intercept: 0.5,
        coef: 0.25,
        noise: 2.0,
    };
    let cfg = Config {
        prior,
        ..Config::default()
    };
    let flags = [
        "--prior-intercept",
        "0.5",
        "--prior-coef",
        "0.25",
        "--prior-noise",
        "2",
    ];
    let mut fit = fit_of(&rows, cfg);
    let rep = fit.solve_exact().unwrap();
    let mut args = vec!["d.csv"];
    args.extend_from_slice(&flags);
    let v = json(&dir, &args);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, 20, "exact");
    same("prior.coef", num(&v["prior"]["coef"]), 0.25);
    let default = json(&dir, &["d.csv"]);
    assert_ne!(v["loc"], default["loc"], "the priors changed nothing");
    // The intercept's tight prior pulls α towards 0 (Synth's α is near 42).
    assert!(num(&v["mean"]["alpha"]).abs() < num(&default["mean"]["alpha"]).abs());

    // And under SVI.
    let mut fit = fit_of(&rows, svi_config(1, 1e-2, 42, prior));
    let rep = fit.run(500, 0, |_, _| true).unwrap();
    args.extend_from_slice(&["--method", "svi", "--steps", "500"]);
    let v = json(&dir, &args);
    check_against(&v, &fit, rep.elbo, 500, 20, "svi");
}

/// Exactly the capacity (64 features) fits.
#[test]
fn capacity_is_64_features() {
    let dir = scratch("cap");
    let rows = synth_rows(64, 100, 17);
    write(&dir, "d.csv", csv(&rows));
    let mut fit = fit_of(&rows, Config::default());
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["d.csv"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, 100, "exact");
}

/// (5) Every malformed input: exit status 2, nothing on stdout, one line on stderr that starts
/// with `fit: ` and names the place (file and line, or the option) and the fault.
#[test]
fn malformed_input_is_refused_with_one_line() {
    let dir = scratch("bad");
    let good = "a,b,y\n1,2,3\n4,5,6\n7,8,10\n";
    let wide = {
        let names: Vec<String> = (0..66).map(|j| format!("c{j}")).collect();
        let vals: Vec<String> = (0..66).map(|j| j.to_string()).collect();
        format!("{}\n{}\n", names.join(","), vals.join(","))
    };
    // (what, file content, extra arguments, what stderr must contain)
    type Case<'a> = (&'a str, Vec<u8>, Vec<&'a str>, Vec<&'a str>);
    let file_cases: Vec<Case> = vec![
        (
            "ragged short",
            b"a,b,y\n1,2,3\n4,5,6\n7,8\n".to_vec(),
            vec![],
            vec![":4: expected 3 fields, found 2"],
        ),
        (
            "ragged long",
            b"a,b,y\n1,2,3,4\n".to_vec(),
            vec![],
            vec![":2: expected 3 fields, found 4"],
        ),
        (
            "not a number",
            b"a,b,y\n1,2,3\n4,abc,6\n".to_vec(),
            vec![],
            vec![":3: column 2", "\"abc\" is not a number"],
        ),
        (
            "NaN",
            b"a,b,y\n1,2,3\n4,5,NaN\n".to_vec(),
            vec![],
            vec![":3: column 3", "not finite"],
        ),
        (
            "inf",
            b"a,b,y\n1,inf,3\n".to_vec(),
            vec![],
            vec![":2: column 2", "not finite"],
        ),
        (
            "-infinity",
            b"a,b,y\n1,2,3\n\n-infinity,2,3\n".to_vec(),
            vec![],
            vec![":4: column 1", "not finite"],
        ),
        (
            "overflowing literal",
            b"a,b,y\n1,2,1e999\n".to_vec(),
            vec![],
            vec![":2: column 3", "not finite"],
        ),
        (
            "empty field",
            b"a,b,y\n1,,3\n".to_vec(),
            vec![],
            vec![":2: column 2", "is empty"],
        ),
        (
            "unterminated quote",
            b"a,b,y\n1,\"2,3\n".to_vec(),
            vec![],
            vec![":2:", "unterminated quote"],
        ),
        (
            "not UTF-8",
            b"a,b,y\n1,2,3\n1,\xff,3\n".to_vec(),
            vec![],
            vec![":3:", "UTF-8"],
        ),
        (
            "empty file",
            Vec::new(),
            vec![],
            vec!["bad.csv: empty file"],
        ),
        (
            "blank lines only",
            b"\n  \n\r\n".to_vec(),
            vec![],
            vec!["bad.csv: empty file"],
        ),
        (
            "header only",
            b"a,b,y\n".to_vec(),
            vec![],
            vec![":1: no data rows"],
        ),
        (
            "header and blank lines",
            b"\na,b,y\n\n".to_vec(),
            vec![],
            vec![":2: no data rows"],
        ),
        (
            "one column",
            b"y\n1\n".to_vec(),
            vec![],
            vec![":1:", "at least 2"],
        ),
        (
            "above capacity",
            wide.into_bytes(),
            vec![],
            vec![":1: 65 feature columns, more than the capacity of 64"],
        ),
        (
            "unknown --y",
            good.as_bytes().to_vec(),
            vec!["--y", "z"],
            vec![":1: --y: no column named \"z\""],
        ),
        (
            "ambiguous --y",
            b"a,a,y\n1,2,3\n".to_vec(),
            vec!["--y", "a"],
            vec![":1: --y:", "2 columns"],
        ),
    ];
    for (what, content, extra, want) in &file_cases {
        write(&dir, "bad.csv", content);
        let mut args = vec!["bad.csv"];
        args.extend(extra.iter().copied());
        let mut want = want.clone();
        want.push("fit: bad.csv");
        check_refused(&dir, what, &args, &want);
    }

    write(&dir, "good.csv", good);
    // (arguments, what stderr must contain)
    let option_cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["good.csv", "--steps", "abc"], vec!["--steps", "'abc'"]),
        (
            vec!["good.csv", "--method=svi", "--steps", "0"],
            vec!["--steps", "positive integer"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--steps", "-5"],
            vec!["--steps"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--lr", "-1"],
            vec!["--lr", "'-1'", "positive finite number"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--lr", "nan"],
            vec!["--lr"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--lr", "inf"],
            vec!["--lr"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--particles", "0"],
            vec!["--particles"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--particles", "5000000000"],
            vec!["--particles"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--seed", "-3"],
            vec!["--seed"],
        ),
        (
            vec!["good.csv", "--method", "bayes"],
            vec!["--method", "'bayes'", "exact, svi"],
        ),
        (vec!["good.csv", "--prior-coef", "0"], vec!["--prior-coef"]),
        (
            vec!["good.csv", "--prior-intercept", "-2"],
            vec!["--prior-intercept"],
        ),
        (
            vec!["good.csv", "--prior-noise", "1e200"],
            vec!["--prior-noise"],
        ),
        (
            vec!["good.csv", "--prior-noise", "x"],
            vec!["--prior-noise"],
        ),
        (
            vec!["good.csv", "--frobnicate"],
            vec!["unexpected argument '--frobnicate'"],
        ),
        (
            vec!["good.csv", "--method", "svi", "--stpes", "9"],
            vec![
                "unexpected argument '--stpes'",
                "similar argument exists: '--steps'",
            ],
        ),
        (vec!["good.csv", "-x"], vec!["unexpected argument '-x'"]),
        (
            vec!["good.csv", "--steps"],
            vec!["--steps", "value is required"],
        ),
        (vec!["good.csv", "--json=1"], vec!["--json"]),
        (vec![], vec!["<DATA.csv>", "not provided"]),
        (
            vec!["good.csv", "good.csv"],
            vec!["unexpected argument 'good.csv'"],
        ),
        (vec!["missing.csv"], vec!["missing.csv: cannot open"]),
        (
            vec!["good.csv", "--trace", "t.csv"],
            vec!["--trace needs --method svi"],
        ),
        (
            vec!["good.csv", "--plot", "p.svg"],
            vec!["--plot needs --method svi"],
        ),
        (
            vec!["good.csv", "--steps", "10"],
            vec!["--steps needs --method svi"],
        ),
        (
            vec![
                "good.csv",
                "--method",
                "svi",
                "--trace",
                "no/such/dir/t.csv",
            ],
            vec!["--trace: cannot create"],
        ),
    ];
    for (args, want) in &option_cases {
        check_refused(&dir, &format!("{args:?}"), args, want);
    }
    // The options that were refused above are fine with good values.
    ok(
        &dir,
        &[
            "good.csv", "--method", "svi", "--steps", "10", "--seed", "3",
        ],
    );
}

fn check_refused(dir: &Path, what: &str, args: &[&str], want: &[&str]) {
    let out = run_in(dir, args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: status ({err})");
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout {}",
        text(&out.stdout)
    );
    assert!(
        err.starts_with("fit: ") && err.ends_with('\n') && err.lines().count() == 1,
        "{what}: not one line: {err:?}"
    );
    for w in want {
        assert!(err.contains(w), "{what}: {err:?} lacks {w:?}");
    }
}

/// When the kernel fails (SVI diverges, the exact solver overflows), the program exits 1 with
/// the kernel's message on one line.
#[test]
fn fit_failures_exit_1() {
    let dir = scratch("fail");
    let rows = synth_rows(3, 200, 29);
    write(&dir, "d.csv", csv(&rows));
    let mut fit = fit_of(&rows, svi_config(1, 1000.0, 42, Prior::default()));
    let err = fit.run(2000, 0, |_, _| true).unwrap_err();
    check_failed(
        &dir,
        &[
            "d.csv", "--method", "svi", "--lr", "1000", "--steps", "2000",
        ],
        &["fit: d.csv: SVI failed: ", err.as_str()],
    );

    // A response that follows a feature offset 10¹⁶ times its spread: more than f64 can
    // resolve over 1000 rows (the condition estimate is about 1.1).
    let rows: Vec<_> = (0..1000)
        .map(|i| {
            let x = 1e16 + (i % 7) as f64;
            (vec![x], 1e-3 * x + (i % 5) as f64)
        })
        .collect();
    write(&dir, "offset.csv", csv(&rows));
    let err = fit_of(&rows, Config::default()).solve_exact().unwrap_err();
    assert_eq!(err, vireg::Error::IllConditioned);
    check_failed(&dir, &["offset.csv"], &["fit: offset.csv: ", err.as_str()]);

    // A row past the summary's range is refused as it is read (exit 2, with its line).
    let rows = vec![(vec![1.0], 1e200), (vec![2.0], 3e200)];
    write(&dir, "big.csv", csv(&rows));
    let out = run_in(&dir, &["big.csv"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("big.csv:2: row refused: "), "{err}");
    assert!(err.contains(vireg::Error::Overflow.as_str()), "{err}");
    // Rows are folded in by batches; a refused row is still reported before a fault further on.
    write(&dir, "big.csv", csv(&rows) + "abc,1\n");
    let err = text(&run_in(&dir, &["big.csv"]).stderr);
    assert!(err.contains("big.csv:2: row refused: "), "{err}");
}

fn check_failed(dir: &Path, args: &[&str], want: &[&str]) {
    let out = run_in(dir, args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: status ({err})");
    assert!(out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "{err:?}");
    for w in want {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
}

/// (6) `--trace` writes every step's loss, the very losses `Fit::run` reports; `--plot` writes a
/// well-formed SVG with two panels; neither changes the answer.
#[test]
fn trace_and_plot() {
    let dir = scratch("trace");
    let rows = synth_rows(3, 250, 21);
    write(&dir, "d.csv", csv(&rows));
    let steps = 1500;
    let mut fit = fit_of(&rows, Config::default());
    let mut losses = Vec::new();
    let rep = fit
        .run(steps, 1, |i, l| {
            losses.push((i, l));
            true
        })
        .unwrap();
    let v = json(
        &dir,
        &[
            "d.csv", "--method", "svi", "--steps", "1500", "--trace", "t.csv", "--plot", "p.svg",
        ],
    );
    check_against(&v, &fit, rep.elbo, steps, 250, "svi");

    let trace = std::fs::read_to_string(dir.join("t.csv")).unwrap();
    let mut lines = trace.lines();
    assert_eq!(lines.next(), Some("step,loss"));
    let got: Vec<(u64, f64)> = lines
        .map(|l| {
            let (s, x) = l.split_once(',').expect("two fields");
            (s.parse().unwrap(), x.parse().unwrap())
        })
        .collect();
    assert_eq!(got.len(), steps as usize);
    for ((gs, gl), (ws, wl)) in got.iter().zip(&losses) {
        assert_eq!(gs, ws);
        same(&format!("loss at step {ws}"), *gl, *wl);
    }

    let svg = std::fs::read_to_string(dir.join("p.svg")).unwrap();
    let texts = check_svg(&svg);
    for want in ["all 1500 steps", "last 1000 steps", "step", "ELBO loss"] {
        assert!(
            texts.iter().any(|t| t == want),
            "no text {want:?} in {texts:?}"
        );
    }
    assert!(
        texts.iter().any(|t| t.ends_with("d.csv")),
        "the title names the file"
    );

    // A run shorter than the second panel: both panels show all of it.
    ok(
        &dir,
        &[
            "d.csv", "--method", "svi", "--steps", "3", "--plot", "q.svg",
        ],
    );
    let svg = std::fs::read_to_string(dir.join("q.svg")).unwrap();
    let texts = check_svg(&svg);
    assert!(texts.iter().any(|t| t == "all 3 steps"));
    assert!(texts.iter().any(|t| t == "last 3 steps"));
}

/// The loss line's stroke: the tool draws the loss in this colour and nothing else.
const LOSS_STROKE: &str = "stroke=\"#1F77B4\"";

/// Well-formed enough for any SVG reader: one `<svg>` root, balanced tags, quoted attributes,
/// polylines of finite points, two of them in the loss colour (one per panel) with at least 2
/// points each, whose steps never go backwards. Returns the texts, trimmed.
fn check_svg(svg: &str) -> Vec<String> {
    assert!(svg.starts_with("<svg "), "the file starts with the root");
    let mut stack: Vec<String> = Vec::new();
    let mut texts = Vec::new();
    let mut rest = svg;
    let mut loss_lines = 0;
    while let Some(start) = rest.find('<') {
        assert!(
            rest[..start].trim().is_empty() || !stack.is_empty(),
            "text outside the root"
        );
        if stack.last().map(String::as_str) == Some("text") {
            texts.push(rest[..start].trim().to_string());
        }
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
            if name.trim() == "svg" {
                assert!(rest.trim().is_empty(), "content after </svg>");
            }
            continue;
        }
        let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
        if stack.is_empty() {
            assert_eq!(name, "svg", "the root is <svg>");
            assert!(tag.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        }
        if name == "polyline" {
            let pts = tag.split("points=\"").nth(1).unwrap();
            let pts = &pts[..pts.find('"').unwrap()];
            let xy: Vec<(f64, f64)> = pts
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            assert!(xy.iter().all(|(x, y)| x.is_finite() && y.is_finite()));
            if tag.contains(LOSS_STROKE) {
                loss_lines += 1;
                assert!(xy.len() >= 2);
                assert!(
                    xy.windows(2).all(|w| w[0].0 <= w[1].0),
                    "steps go backwards"
                );
            }
        }
        if !tag.ends_with('/') {
            stack.push(name.to_string());
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(loss_lines, 2, "two panels");
    texts
}

/// Tolerance of a number printed as `s`: half a unit in its last digit.
fn half_ulp_of_text(s: &str) -> f64 {
    let (mant, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap()),
        None => (s, 0),
    };
    let decimals = mant.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    0.5 * 10f64.powi(exp - decimals)
}

/// (7) The table names every parameter, and its numbers are the JSON's to the printed precision.
#[test]
fn table_matches_json() {
    let dir = scratch("table");
    let rows = synth_rows(5, 200, 23);
    write(&dir, "d.csv", csv(&rows));
    for method in [
        vec!["--method", "exact"],
        vec!["--method", "svi", "--steps", "800"],
    ] {
        let mut args = vec!["d.csv"];
        args.extend(method.iter().copied());
        let v = json(&dir, &args);
        let table = ok(&dir, &args);
        let field = |key: &str| -> String {
            let line = table
                .lines()
                .find(|l| l.starts_with(key))
                .unwrap_or_else(|| panic!("no {key} line in\n{table}"));
            line[key.len()..].trim().to_string()
        };
        assert_eq!(field("n "), "200");
        assert!(field("method ").starts_with(method[1]));
        assert!(field("steps ").starts_with(&v["steps"].to_string()));
        same("ELBO", field("ELBO ").parse().unwrap(), num(&v["elbo"]));

        let header = table
            .lines()
            .find(|l| l.trim_start().starts_with("mean"))
            .expect("column header");
        let cols: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(cols, ["mean", "sd", "hdi_3%", "hdi_97%"]);
        let names: Vec<String> = std::iter::once("alpha".to_string())
            .chain((0..5).map(|j| format!("beta[{j}]")))
            .chain(["sigma".to_string()])
            .collect();
        let json_cols = [
            params(&v["mean"]),
            params(&v["sd"]),
            params(&v["hdi_3"]),
            params(&v["hdi_97"]),
        ];
        for (i, name) in names.iter().enumerate() {
            let line = table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name.as_str()))
                .unwrap_or_else(|| panic!("no row {name} in\n{table}"));
            let cells: Vec<&str> = line.split_whitespace().skip(1).collect();
            assert_eq!(cells.len(), 4, "{line}");
            for (c, cell) in cells.iter().enumerate() {
                let printed: f64 = cell.parse().unwrap();
                let exact = json_cols[c][i];
                let tol = half_ulp_of_text(cell) * (1.0 + 1e-9);
                assert!(
                    (printed - exact).abs() <= tol,
                    "{name} {}: table {cell}, JSON {exact:?}",
                    cols[c]
                );
                // Six significant digits: the table says more than a rounded-off 0.
                assert!(tol <= 5e-6 * exact.abs().max(1e-300), "{name}: {cell}");
            }
        }
    }
}

/// `--help` prints the usage, naming every option, and succeeds.
#[test]
fn help() {
    let dir = scratch("help");
    for flag in ["--help", "-h"] {
        let out = ok(&dir, &[flag]);
        assert!(out.starts_with("Usage: fit [OPTIONS] <DATA.csv>"), "{out}");
        for opt in [
            "--y",
            "--method",
            "--steps",
            "--particles",
            "--lr",
            "--seed",
            "--prior-intercept",
            "--prior-coef",
            "--prior-noise",
            "--json",
            "--trace",
            "--plot",
            "--weight",
            "--forget",
        ] {
            assert!(out.contains(opt), "{opt} missing from --help");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Row weights and forgetting
// ---------------------------------------------------------------------------------------------

/// A CSV with the features x0…x{p-1}, y, and the column `w` of weights in third place,
/// values in shortest round-trip form.
fn weighted_csv(rows: &[(Vec<f64>, f64)], ws: &[f64]) -> String {
    let p = rows[0].0.len();
    let mut names: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    names.push("y".into());
    names.insert(2, "w".into());
    let mut out = names.join(",") + "\n";
    for ((x, y), w) in rows.iter().zip(ws) {
        let mut f: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
        f.push(format!("{y:?}"));
        f.insert(2, format!("{w:?}"));
        out += &(f.join(",") + "\n");
    }
    out
}

/// `rows` folded into a fit of either guide with weights `ws`, row by row.
fn weighted_fit_of<F>(
    rows: &[(Vec<f64>, f64)],
    ws: &[f64],
    new: impl Fn(usize) -> F,
    observe: impl Fn(&mut F, &[f64], f64, f64),
) -> F {
    let mut f = new(rows[0].0.len());
    for ((x, y), w) in rows.iter().zip(ws) {
        observe(&mut f, x, *y, *w);
    }
    f
}

/// The JSON's loc and cov, for comparisons up to rounding.
fn posterior_numbers(v: &Value) -> Vec<f64> {
    let mut out = nums(&v["loc"]);
    out.extend(cov_of(v));
    out
}

fn near_all(what: &str, got: &[f64], want: &[f64], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let top = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rtol * w.abs().max(1e-3 * top),
            "{what}[{i}]: {g:?} vs {w:?}"
        );
    }
}

/// The ways of fitting the file: both methods, both guides.
const WAYS: [&[&str]; 4] = [
    &["--method", "exact"],
    &["--method", "exact", "--guide", "full"],
    &["--method", "svi", "--steps", "1500"],
    &["--method", "svi", "--steps", "1500", "--guide", "full"],
];

/// `--weight NAME`: a column of integer weights gives the posterior of the same file with each
/// row repeated that many times (weight 0: the row left out), by either method and guide, and
/// the library's weighted fit bit for bit; the weight column is not a feature.
#[test]
fn weight_column_equals_repeated_rows() {
    let dir = scratch("weights");
    let rows = synth_rows(3, 300, 31);
    let ws: Vec<f64> = (0..rows.len()).map(|i| ((i * 7) % 4) as f64).collect();
    write(&dir, "w.csv", weighted_csv(&rows, &ws));
    let repeated: Vec<(Vec<f64>, f64)> = rows
        .iter()
        .zip(&ws)
        .flat_map(|(r, &w)| std::iter::repeat_n(r.clone(), w as usize))
        .collect();
    write(&dir, "r.csv", csv(&repeated));
    let total: f64 = ws.iter().sum();
    let kept = ws.iter().filter(|&&w| w > 0.0).count();
    for way in WAYS {
        let mut args = vec!["w.csv", "--weight", "w"];
        args.extend_from_slice(way);
        let v = json(&dir, &args);
        let mut rargs = vec!["r.csv"];
        rargs.extend_from_slice(way);
        let r = json(&dir, &rargs);
        assert_eq!(
            v["features"],
            serde_json::json!(["x0", "x1", "x2"]),
            "{way:?}"
        );
        assert_eq!(v["weight"].as_str(), Some("w"), "{way:?}");
        assert_eq!(r["weight"], Value::Null, "{way:?}");
        assert_eq!(v["n"].as_u64(), Some(kept as u64), "{way:?}");
        same("effective_rows", num(&v["effective_rows"]), total);
        same("effective_rows", num(&r["effective_rows"]), total);
        same("forget", num(&v["forget"]), 1.0);
        // SVI follows the summary through thousands of steps: rounding grows a little.
        let rtol = if way[1] == "svi" { 1e-6 } else { 1e-9 };
        near_all(
            &format!("{way:?}"),
            &posterior_numbers(&v),
            &posterior_numbers(&r),
            rtol,
        );
    }
    // Bit for bit the library's weighted fits.
    let mut fit = weighted_fit_of(
        &rows,
        &ws,
        |p| Fit::<f64, CAP>::new(p, Config::default()).unwrap(),
        |f, x, y, w| f.observe_weighted(x, y, w).unwrap(),
    );
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["w.csv", "--weight", "w"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, kept, "exact");
    let mut full = weighted_fit_of(
        &rows,
        &ws,
        |p| FullFit::<f64, CAP>::new(p, Config::default()).unwrap(),
        |f, x, y, w| f.observe_weighted(x, y, w).unwrap(),
    );
    let run = full.run(1500, 0, |_, _| true).unwrap();
    let v = json(
        &dir,
        &[
            "w.csv", "--weight", "w", "--method", "svi", "--steps", "1500", "--guide", "full",
        ],
    );
    check_full_against(&v, &full, run.elbo, run.steps, "svi");
    // The table names the weights and N_w.
    let t = ok(&dir, &["w.csv", "--weight", "w"]);
    assert!(t.contains("weight  w\n"), "{t}");
    let nw = t.lines().find_map(|l| l.strip_prefix("N_w     "));
    let nw: f64 = nw.and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    assert!((nw - total).abs() <= 5e-6 * total, "{t}");
    assert!(!t.contains("forget"), "{t}");
    // With the weights last, y is the last column that is not the weights'.
    let mut last = "x0,x1,x2,y,w\n".to_string();
    for ((x, y), w) in rows.iter().zip(&ws) {
        last += &format!("{:?},{:?},{:?},{y:?},{w:?}\n", x[0], x[1], x[2]);
    }
    write(&dir, "last.csv", last);
    let l = json(&dir, &["last.csv", "--weight", "w"]);
    assert_eq!(l["y"].as_str(), Some("y"));
    assert_eq!(l["features"], serde_json::json!(["x0", "x1", "x2"]));
    assert_eq!(l["loc"], json(&dir, &["w.csv", "--weight", "w"])["loc"]);
}

/// `--forget G` weighs row i of N by G^(N-1-i) in the file's order: the same posterior as a
/// weight column of those weights, by either method and guide, and the library's fit with
/// `Config::forget` bit for bit.
#[test]
fn forget_equals_explicit_weights() {
    let dir = scratch("forget");
    let g: f64 = 0.98;
    let rows = synth_rows(3, 400, 37);
    let n = rows.len();
    let ws: Vec<f64> = (0..n).map(|i| g.powi((n - 1 - i) as i32)).collect();
    write(&dir, "d.csv", csv(&rows));
    write(&dir, "w.csv", weighted_csv(&rows, &ws));
    for way in WAYS {
        let mut args = vec!["d.csv", "--forget", "0.98"];
        args.extend_from_slice(way);
        let v = json(&dir, &args);
        let mut wargs = vec!["w.csv", "--weight", "w"];
        wargs.extend_from_slice(way);
        let w = json(&dir, &wargs);
        same("forget", num(&v["forget"]), g);
        assert_eq!(v["n"].as_u64(), Some(n as u64));
        assert_eq!(v["weight"], Value::Null);
        let nw = num(&v["effective_rows"]);
        let want = (1.0 - g.powi(n as i32)) / (1.0 - g);
        assert!((nw - want).abs() <= 1e-12 * want, "N_w {nw} vs {want}");
        assert!((num(&w["effective_rows"]) - nw).abs() <= 1e-12 * nw);
        let rtol = if way[1] == "svi" { 1e-6 } else { 1e-9 };
        near_all(
            &format!("{way:?}"),
            &posterior_numbers(&v),
            &posterior_numbers(&w),
            rtol,
        );
    }
    let cfg = Config {
        forget: g,
        ..Config::default()
    };
    let mut fit = fit_of(&rows, cfg);
    let rep = fit.solve_exact().unwrap();
    let v = json(&dir, &["d.csv", "--forget", "0.98"]);
    check_against(&v, &fit, rep.elbo, rep.iterations as u64, n, "exact");
    same(
        "effective_rows",
        num(&v["effective_rows"]),
        fit.stats().effective_rows(),
    );
    let mut full = full_fit_of(&rows, cfg);
    let rep = full.solve_exact().unwrap();
    let v = json(&dir, &["d.csv", "--forget", "0.98", "--guide", "full"]);
    check_full_against(&v, &full, rep.elbo, rep.iterations as u64, "exact");
    // Without --forget nothing is forgotten; the table says so only when something is.
    let plain = json(&dir, &["d.csv"]);
    same("forget", num(&plain["forget"]), 1.0);
    same("effective_rows", num(&plain["effective_rows"]), n as f64);
    assert_eq!(json(&dir, &["d.csv", "--forget", "1"]), plain);
    let t = ok(&dir, &["d.csv", "--forget", "0.98"]);
    assert!(
        t.contains("forget  0.98\n") && t.contains("N_w     "),
        "{t}"
    );
    assert!(!ok(&dir, &["d.csv"]).contains("N_w"));
}

/// Bad weights are refused naming their line, exit status 2, as other bad values; so are a
/// `--weight` naming no column (or y's), and a forgetting factor outside (0, 1].
#[test]
fn bad_weights_and_factors_are_refused() {
    let dir = scratch("bad_weights");
    let head = "a,b,w,y\n1,2,1,3\n4,5,2,6\n";
    for (what, row, want) in [
        (
            "negative",
            "7,8,-1,9",
            vec![":4: column 3 (\"w\")", "-1 is negative", "weight"],
        ),
        (
            "NaN",
            "7,8,NaN,9",
            vec![":4: column 3 (\"w\")", "not finite", "weight"],
        ),
        (
            "inf",
            "7,8,inf,9",
            vec![":4: column 3 (\"w\")", "not finite", "weight"],
        ),
        ("empty", "7,8,,9", vec![":4: column 3 (\"w\")", "is empty"]),
        (
            "text",
            "7,8,two,9",
            vec![":4: column 3 (\"w\")", "not a number"],
        ),
    ] {
        write(&dir, "d.csv", format!("{head}{row}\n10,11,1,12\n"));
        for way in WAYS {
            let mut args = vec!["d.csv", "--weight", "w"];
            args.extend_from_slice(way);
            check_refused(&dir, what, &args, &want);
        }
    }
    write(&dir, "d.csv", format!("{head}7,8,1,9\n"));
    check_refused(
        &dir,
        "missing column",
        &["d.csv", "--weight", "weights"],
        &["d.csv:1: --weight: no column named \"weights\""],
    );
    check_refused(
        &dir,
        "weights are y",
        &["d.csv", "--weight", "y", "--y", "y"],
        &["d.csv:1: --weight: \"y\" is the y column"],
    );
    write(&dir, "two.csv", "w,y\n1,2\n");
    check_refused(
        &dir,
        "no feature column",
        &["two.csv", "--weight", "w"],
        &["two.csv:1: the header has 2 columns; need at least 3"],
    );
    write(&dir, "zero.csv", "a,w,y\n1,0,2\n3,0,4\n");
    check_refused(
        &dir,
        "all weights 0",
        &["zero.csv", "--weight", "w"],
        &["zero.csv:1: no data rows of positive weight"],
    );
    for g in ["0", "1.5", "-0.5", "1.0000001", "nan", "inf", "abc", ""] {
        check_refused(
            &dir,
            &format!("--forget {g}"),
            &["d.csv", "--forget", g],
            &["--forget", "expected a number in (0, 1]"],
        );
    }
}
