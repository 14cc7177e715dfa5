//! Benchmarks of the kernel (release, one thread): `cargo bench --bench kernel`.
//!
//! Each figure is the median of repeated timed runs; the machine and load affect them, so they
//! are printed, not asserted. The full-rank section (`bench_full`) prints the thread's CPU time
//! beside the wall time of long runs (many steps), which other processes on a shared machine
//! stretch.

use std::hint::black_box;
use std::time::Instant;
use vireg::full::{analytic_loss_grad, solve};
use vireg::{Config, Estimator, Fit, FullFit, Normal, Prior, Synth};

const P: usize = 8;
const N: usize = 2500;

fn data<T: Normal>() -> (Vec<T>, Vec<T>) {
    let mut s: Synth<T, P> = Synth::new(P, 42).unwrap();
    let mut xs = vec![T::c(0.0); N * P];
    let mut ys = vec![T::c(0.0); N];
    for i in 0..N {
        ys[i] = s.next_row(&mut xs[i * P..(i + 1) * P]).unwrap();
    }
    (xs, ys)
}

/// Median seconds of `reps` runs of `f`.
fn median<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[reps / 2]
}

/// CPU time of this thread in ns (Linux: /proc/thread-self/schedstat), if readable.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Median seconds of `reps` runs of `f`: wall time, and this thread's CPU time (NaN where
/// /proc is not readable). On a shared machine a run longer than a scheduler slice is
/// stretched by the time other processes hold the core; the CPU time leaves that out.
fn median_wall_cpu<F: FnMut()>(reps: usize, mut f: F) -> (f64, f64) {
    let mut wall = Vec::with_capacity(reps);
    let mut cpu = Vec::with_capacity(reps);
    for _ in 0..reps {
        let c = cpu_ns();
        let s = Instant::now();
        f();
        wall.push(s.elapsed().as_secs_f64());
        cpu.push(match (c, cpu_ns()) {
            (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
            _ => f64::NAN,
        });
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[reps / 2]
    };
    (mid(wall), mid(cpu))
}

fn fitted<T: Normal>(est: Estimator, xs: &[T], ys: &[T]) -> Fit<T, P> {
    let mut f: Fit<T, P> = Fit::new(
        P,
        Config {
            estimator: est,
            ..Config::default()
        },
    )
    .unwrap();
    f.observe_rows(xs, P, ys).unwrap();
    f
}

fn bench<T: Normal>(name: &str) {
    let (xs, ys) = data::<T>();
    // Ingest: rows/s, one row at a time and as one batch.
    let t = median(21, || {
        let mut f: Fit<T, P> = Fit::new(P, Config::default()).unwrap();
        for i in 0..N {
            f.observe(&xs[i * P..(i + 1) * P], ys[i]).unwrap();
        }
        black_box(&f);
    });
    println!(
        "{name}: ingest one row at a time   {:>10.2} M rows/s ({:.1} ns/row)",
        N as f64 / t / 1e6,
        t / N as f64 * 1e9
    );
    let t = median(21, || {
        let mut f: Fit<T, P> = Fit::new(P, Config::default()).unwrap();
        f.observe_rows(&xs, P, &ys).unwrap();
        black_box(&f);
    });
    println!(
        "{name}: ingest batch of 2500 rows   {:>10.2} M rows/s ({:.1} ns/row)",
        N as f64 / t / 1e6,
        t / N as f64 * 1e9
    );
    // Weighted rows and forgetting (docs/weights.md), one row at a time and as one batch.
    let forgetting = || -> Fit<T, P> {
        let cfg = Config {
            forget: T::c(0.99),
            ..Config::default()
        };
        Fit::new(P, cfg).unwrap()
    };
    let ws: Vec<T> = (0..N).map(|i| T::c(0.5 + (i % 4) as f64 * 0.25)).collect();
    let ones = vec![T::ONE; N];
    for (label, forget, weighted, batch) in [
        ("weighted rows, one at a time", false, true, false),
        ("forgetting 0.99, one at a time", true, false, false),
        ("forgetting 0.99, batch", true, false, true),
        ("weighted + forgetting, batch", true, true, true),
    ] {
        let t = median(21, || {
            let mut f = if forget {
                forgetting()
            } else {
                Fit::new(P, Config::default()).unwrap()
            };
            let w = if weighted { &ws } else { &ones };
            if batch {
                f.observe_rows_weighted(&xs, P, &ys, w).unwrap();
            } else {
                for i in 0..N {
                    f.observe_weighted(&xs[i * P..(i + 1) * P], ys[i], w[i])
                        .unwrap();
                }
            }
            black_box(&f);
        });
        println!("{name}: {label:<31} {:>10.1} ns/row", t / N as f64 * 1e9);
    }
    // SVI steps.
    for (label, est, steps) in [
        (
            "SVI step, K = 1          ",
            Estimator::MonteCarlo { particles: 1 },
            30_000u64,
        ),
        (
            "SVI step, K = 100        ",
            Estimator::MonteCarlo { particles: 100 },
            300,
        ),
        ("SVI step, analytic       ", Estimator::Analytic, 30_000),
    ] {
        let base = fitted::<T>(est, &xs, &ys);
        let t = median(11, || {
            let mut f = base.clone();
            black_box(f.steps(steps).unwrap());
        });
        println!("{name}: {label} {:>10.1} ns/step", t / steps as f64 * 1e9);
    }
    // Exact solve.
    let base = fitted::<T>(Estimator::Analytic, &xs, &ys);
    let t = median(101, || {
        let mut f = base.clone();
        black_box(f.solve_exact().unwrap());
    });
    println!("{name}: exact solve                 {:>10.2} µs", t * 1e6);
    // The whole seed workload: 2500 rows, 30 000 steps (1 particle), 3000 draws.
    let t = median(11, || {
        let mut f: Fit<T, P> = Fit::new(P, Config::default()).unwrap();
        f.observe_rows(&xs, P, &ys).unwrap();
        f.run(30_000, 0, |_, _| true).unwrap();
        let mut d = vec![T::c(0.0); 3000 * (P + 2)];
        f.draws(&mut d).unwrap();
        black_box(d);
    });
    println!(
        "{name}: seed workload (2500 rows, 30 000 steps, 3000 draws) {:.2} ms",
        t * 1e3
    );
}

/// The full-rank guide at capacity and feature count `Q`, beside the mean-field guide on the
/// same N synthetic rows: ns per SVI step through the fit (`steps`), one particle and analytic,
/// µs per exact solve through the fit (`solve_exact`), and the kernel's solve and analytic
/// loss-and-gradient evaluation by themselves.
fn bench_full<T: Normal, const Q: usize>(name: &str) {
    let mut s: Synth<T, Q> = Synth::new(Q, 42).unwrap();
    let mut xs = vec![T::c(0.0); N * Q];
    let mut ys = vec![T::c(0.0); N];
    for i in 0..N {
        ys[i] = s.next_row(&mut xs[i * Q..(i + 1) * Q]).unwrap();
    }
    let cfg = |estimator| Config {
        estimator,
        ..Config::default()
    };
    for (label, est) in [
        ("K = 1   ", Estimator::MonteCarlo { particles: 1 }),
        ("analytic", Estimator::Analytic),
    ] {
        let mut mf: Fit<T, Q> = Fit::new(Q, cfg(est)).unwrap();
        mf.observe_rows(&xs, Q, &ys).unwrap();
        let steps = 30_000;
        let (w, c) = median_wall_cpu(11, || {
            let mut f = mf.clone();
            black_box(f.steps(steps).unwrap());
        });
        let per = |t: f64| t / steps as f64 * 1e9;
        println!(
            "{name}: P = {Q:<2} mean-field SVI step, {label} {:>9.1} ns/step (CPU {:.1})",
            per(w),
            per(c)
        );
        let mut full: FullFit<T, Q> = FullFit::new(Q, cfg(est)).unwrap();
        full.observe_rows(&xs, Q, &ys).unwrap();
        let steps = 10_000;
        let (w, c) = median_wall_cpu(11, || {
            let mut f = full.clone();
            black_box(f.steps(steps).unwrap());
        });
        let per = |t: f64| t / steps as f64 * 1e9;
        println!(
            "{name}: P = {Q:<2} full-rank  SVI step, {label} {:>9.1} ns/step (CPU {:.1})",
            per(w),
            per(c)
        );
    }
    // A solve is shorter than a scheduler slice: the median wall time of single solves is
    // not stretched by other processes (and the CPU clock does not resolve it).
    let mut mf: Fit<T, Q> = Fit::new(Q, Config::default()).unwrap();
    mf.observe_rows(&xs, Q, &ys).unwrap();
    let t = median(101, || {
        let mut f = mf.clone();
        black_box(f.solve_exact().unwrap());
    });
    println!(
        "{name}: P = {Q:<2} mean-field exact solve (fit)   {:>9.2} µs",
        t * 1e6
    );
    let mut full: FullFit<T, Q> = FullFit::new(Q, Config::default()).unwrap();
    full.observe_rows(&xs, Q, &ys).unwrap();
    let t = median(101, || {
        let mut f = full.clone();
        black_box(f.solve_exact().unwrap());
    });
    println!(
        "{name}: P = {Q:<2} full-rank  exact solve (fit)   {:>9.2} µs",
        t * 1e6
    );

    let st = *full.stats();
    let prior = Prior::default();
    let t = median(101, || {
        black_box(solve(black_box(&st), &prior).unwrap());
    });
    println!(
        "{name}: P = {Q:<2} full-rank exact solve (kernel) {:>10.2} µs",
        t * 1e6
    );
    let (g, _) = solve(&st, &prior).unwrap();
    let mut grad = g;
    let reps = 20_000;
    let (w, c) = median_wall_cpu(11, || {
        for _ in 0..reps {
            black_box(analytic_loss_grad(
                black_box(&st),
                &prior,
                black_box(&g),
                Some(&mut grad),
            ));
        }
    });
    let per = |t: f64| t / reps as f64 * 1e9;
    println!(
        "{name}: P = {Q:<2} full-rank analytic ELBO + gradient (kernel) {:>8.1} ns (CPU {:.1})",
        per(w),
        per(c)
    );
}

fn main() {
    bench::<f64>("f64");
    bench::<f32>("f32");
    bench_full::<f64, 8>("f64");
    bench_full::<f64, 16>("f64");
    bench_full::<f32, 8>("f32");
    bench_full::<f32, 16>("f32");
}
