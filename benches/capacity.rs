//! What a fit costs as a function of the features in use and of the compile-time capacity:
//! `cargo bench --bench capacity` (release, one thread).
//!
//! For p = 4, 8, 16, 32, 64 features, each through a fit of capacity p (`Fit<T, p>`) and of
//! capacity 64 (`Fit<T, 64>`), on the same 2500 synthetic rows: ingest (one row at a time and
//! as one batch), one SVI step (one-particle Monte Carlo and the analytic expectation) and the
//! exact solve. Each figure is the median of repeated timed runs, the two capacities measured
//! alternately; the machine and its load move them, so they are printed, not asserted.
//!
//! Arguments (after `--`) select: `f32` or `f64` (default both); `ingest`, `batch`, `mc`,
//! `analytic`, `exact`, `seed` (default all); `reps=N` (timed runs per figure, default 15).
//! `count WHAT CAP` runs one fixed workload once, for an instruction count
//! (`valgrind --tool=callgrind`): WHAT is `none` (the data and an empty fit: the baseline),
//! `row` (2500 rows, one at a time), `batch` (2500 rows
//! as one batch), `mc` or `analytic` (the batch, then 3000 steps) or `exact` (the batch, then
//! 20 solves), 8 features of f64 at capacity CAP (8 or 64). The cost of one row, step or solve
//! is the difference between two counts over the number of units (e.g. `row` minus `none`
//! over 2500, `mc` minus `batch` over 3000; `exact` also copies the fit once per solve).

use std::hint::black_box;
use std::time::Instant;
use vireg::{Config, Estimator, Fit, Normal, Synth};

const N: usize = 2500;
const CAP: usize = 64;

/// N rows of `p` features (stride p) and their responses, as `Synth` makes them.
fn data<T: Normal>(p: usize) -> (Vec<T>, Vec<T>) {
    let mut s: Synth<T, CAP> = Synth::new(p, 42).unwrap();
    let mut xs = vec![T::c(0.0); N * p];
    let mut ys = vec![T::c(0.0); N];
    for i in 0..N {
        ys[i] = s.next_row(&mut xs[i * p..(i + 1) * p]).unwrap();
    }
    (xs, ys)
}

fn fit<T: Normal, const P: usize>(p: usize, est: Estimator, xs: &[T], ys: &[T]) -> Fit<T, P> {
    let cfg = Config {
        estimator: est,
        ..Config::default()
    };
    let mut f: Fit<T, P> = Fit::new(p, cfg).unwrap();
    f.observe_rows(xs, p, ys).unwrap();
    f
}

/// Seconds of one run of workload `what` with `p` features at capacity P, per unit (row, step
/// or solve).
fn once<T: Normal, const P: usize>(what: &str, p: usize, xs: &[T], ys: &[T]) -> f64 {
    match what {
        "ingest" => {
            let mut f: Fit<T, P> = Fit::new(p, Config::default()).unwrap();
            let s = Instant::now();
            for (x, y) in xs.chunks_exact(p).zip(ys) {
                f.observe(x, *y).unwrap();
            }
            black_box(&f);
            s.elapsed().as_secs_f64() / N as f64
        }
        "batch" => {
            let mut f: Fit<T, P> = Fit::new(p, Config::default()).unwrap();
            let s = Instant::now();
            f.observe_rows(xs, p, ys).unwrap();
            black_box(&f);
            s.elapsed().as_secs_f64() / N as f64
        }
        "mc" | "analytic" => {
            let est = if what == "mc" {
                Estimator::MonteCarlo { particles: 1 }
            } else {
                Estimator::Analytic
            };
            let mut f = fit::<T, P>(p, est, xs, ys);
            let steps = 2000;
            let s = Instant::now();
            black_box(f.steps(steps).unwrap());
            s.elapsed().as_secs_f64() / steps as f64
        }
        "exact" => {
            let base = fit::<T, P>(p, Estimator::Analytic, xs, ys);
            let reps = 20;
            let mut fits = vec![base; reps];
            let s = Instant::now();
            for f in &mut fits {
                black_box(f.solve_exact().unwrap());
            }
            s.elapsed().as_secs_f64() / reps as f64
        }
        _ => unreachable!("workload {what}"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median seconds per unit of `what` at capacity Q (= p) and at capacity 64, alternating.
fn pair<T: Normal, const Q: usize>(what: &str, reps: usize) -> (f64, f64) {
    let (xs, ys) = data::<T>(Q);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        a.push(once::<T, Q>(what, Q, &xs, &ys));
        b.push(once::<T, CAP>(what, Q, &xs, &ys));
    }
    (median(a), median(b))
}

fn table<T: Normal>(name: &str, whats: &[&str], reps: usize) {
    for &what in whats {
        let (unit, scale) = match what {
            "exact" => ("µs/solve", 1e6),
            "ingest" | "batch" => ("ns/row", 1e9),
            _ => ("ns/step", 1e9),
        };
        println!("{name} {what:<8} ({unit})   p | capacity p | capacity 64 | ratio");
        for (p, (a, b)) in [
            (4, pair::<T, 4>(what, reps)),
            (8, pair::<T, 8>(what, reps)),
            (16, pair::<T, 16>(what, reps)),
            (32, pair::<T, 32>(what, reps)),
            (64, pair::<T, 64>(what, reps)),
        ] {
            println!(
                "{name} {what:<8} {:>14} | {:>10.1} | {:>11.1} | {:.2}",
                p,
                a * scale,
                b * scale,
                b / a
            );
        }
    }
}

/// The seed workload at capacity 8: 2500 rows, 30 000 one-particle steps, 3000 draws.
fn seed<T: Normal>(name: &str, reps: usize) {
    let (xs, ys) = data::<T>(8);
    let t = median(
        (0..reps)
            .map(|_| {
                let s = Instant::now();
                let mut f: Fit<T, 8> = Fit::new(8, Config::default()).unwrap();
                f.observe_rows(&xs, 8, &ys).unwrap();
                f.run(30_000, 0, |_, _| true).unwrap();
                let mut d = vec![T::c(0.0); 3000 * 10];
                f.draws(&mut d).unwrap();
                black_box(d);
                s.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("{name} seed workload (capacity 8) {:.2} ms", t * 1e3);
}

/// One fixed workload for an instruction count: 8 features of f64 at capacity P. `none`: the
/// data and an empty fit only (the baseline to subtract); `row`: 2500 rows one at a time; `batch`: 2500 rows as one batch; `mc`, `analytic`: the batch, then 3000
/// steps; `exact`: the batch, then 20 exact solves.
fn count<const P: usize>(what: &str) {
    let (xs, ys) = data::<f64>(8);
    let est = if what == "analytic" {
        Estimator::Analytic
    } else {
        Estimator::MonteCarlo { particles: 1 }
    };
    let cfg = Config {
        estimator: est,
        ..Config::default()
    };
    let mut f: Fit<f64, P> = Fit::new(8, cfg).unwrap();
    if what == "none" {
        black_box(&f);
        return;
    }
    if what == "row" {
        for (x, y) in xs.chunks_exact(8).zip(&ys) {
            f.observe(x, *y).unwrap();
        }
    } else {
        f.observe_rows(&xs, 8, &ys).unwrap();
    }
    match what {
        "mc" | "analytic" => {
            black_box(f.steps(3000).unwrap());
        }
        "exact" => {
            for _ in 0..20 {
                black_box(f.clone().solve_exact().unwrap());
            }
        }
        _ => {}
    }
    black_box(&f);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "count") {
        let what = args.get(i + 1).map_or("row", |s| s.as_str());
        match args.get(i + 2).map(|s| s.as_str()) {
            Some("64") => count::<64>(what),
            _ => count::<8>(what),
        }
        return;
    }
    let reps = args
        .iter()
        .find_map(|a| a.strip_prefix("reps=")?.parse().ok())
        .unwrap_or(15);
    let all = ["ingest", "batch", "mc", "analytic", "exact"];
    let mut whats: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| args.iter().any(|a| a == w))
        .collect();
    let want_seed = args.iter().any(|a| a == "seed");
    if whats.is_empty() && !want_seed {
        whats = all.to_vec();
    }
    let f32_only = args.iter().any(|a| a == "f32");
    let f64_only = args.iter().any(|a| a == "f64");
    if !f32_only {
        table::<f64>("f64", &whats, reps);
    }
    if !f64_only {
        table::<f32>("f32", &whats, reps);
    }
    if want_seed || whats.len() == all.len() {
        if !f32_only {
            seed::<f64>("f64", reps);
        }
        if !f64_only {
            seed::<f32>("f32", reps);
        }
    }
}
