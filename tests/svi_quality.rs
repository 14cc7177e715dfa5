//! Issue 2's acceptance test: on seed-style data (N = 2500, P = 8), 30 000 Adam steps at
//! lr 1e-2 with one particle report a posterior within 0.1 posterior sd (means) and 5% (sds)
//! of the exact mean-field optimum — for several data sets, in f64 and f32, with true noise sd
//! from 2.9 down to 0.023 (the seed's was 0.17). Known limit: at σ = 0.006 (seed 10), where the
//! posterior sd is 1/80 of the learning rate, the default schedule ends 0.15 sd away; a smaller
//! `final_lr_scale` closes the gap.

#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{Config, Fit, Normal};

fn check<T: Normal>(seed: u64) -> (f64, f64, f64) {
    let (xs, ys, truth) = seed_data::<T, 8>(2500, 8, seed);
    let mut svi: Fit<T, 8> = fit_with(
        8,
        Config {
            seed: seed + 1000,
            ..Config::default()
        },
        &xs,
        &ys,
    );
    svi.run(30_000, 0, |_, _| true).unwrap();
    let mut exact: Fit<T, 8> = fit_with(8, Config::default(), &xs, &ys);
    exact.solve_exact().unwrap();
    let (dm, ds) = distance(&svi, &exact);
    (dm, ds, truth.sigma().to_f64())
}

#[test]
fn svi_one_particle_matches_exact_f64() {
    for seed in [42u64, 1, 2, 13, 21, 9] {
        let (dm, ds, sigma) = check::<f64>(seed);
        println!(
            "f64 seed {seed}: sigma_true {sigma:.3}: means within {dm:.4} sd, sds within {:.2}%",
            ds * 100.0
        );
        assert!(
            dm < 0.1,
            "seed {seed}: means {dm} sd from the exact optimum"
        );
        assert!(
            ds < 0.05,
            "seed {seed}: sds {ds} relative from the exact optimum"
        );
    }
}

#[test]
fn svi_one_particle_matches_exact_f32() {
    for seed in [42u64, 7, 13] {
        let (dm, ds, sigma) = check::<f32>(seed);
        println!(
            "f32 seed {seed}: sigma_true {sigma:.3}: means within {dm:.4} sd, sds within {:.2}%",
            ds * 100.0
        );
        assert!(
            dm < 0.1,
            "seed {seed}: means {dm} sd from the exact optimum"
        );
        assert!(
            ds < 0.05,
            "seed {seed}: sds {ds} relative from the exact optimum"
        );
    }
}

/// The loss is only fully evaluated on the steps that report it (hosts skip Σ ln s elsewhere):
/// that must not change the trajectory, nor the losses reported. A run that reports every step
/// and one that reports none end at the same point, bit for bit, with the same last loss; the
/// losses reported every step are those of a manual step loop; and `steps(n)` agrees too.
fn reporting_does_not_change_the_run<T: Normal>() {
    let (xs, ys, _) = common::seed_data::<T, 8>(500, 8, 11);
    let cfg = Config {
        average_fraction: T::c(0.0),
        ..Config::default()
    };
    let mut quiet: Fit<T, 8> = common::fit_with(8, cfg, &xs, &ys);
    let mut loud = quiet.clone();
    let mut manual = quiet.clone();
    let mut batched = quiet.clone();
    let n = 700;
    let rq = quiet.run(n, 0, |_, _| true).unwrap();
    let mut seen = Vec::new();
    let rl = loud
        .run(n, 1, |_, l| {
            seen.push(l);
            true
        })
        .unwrap();
    assert_eq!(quiet.guide(), loud.guide());
    assert_eq!(quiet.adam(), loud.adam());
    assert_eq!(rq.loss, rl.loss);
    assert_eq!(seen.len(), n as usize);
    // average_fraction 0: the whole run at the configured rate (no final decay), as step().
    for (i, l) in seen.iter().enumerate() {
        assert_eq!(manual.step().unwrap(), *l, "step {i}");
    }
    assert_eq!(manual.guide(), quiet.guide());
    assert_eq!(batched.steps(n).unwrap(), rq.loss);
    assert_eq!(batched.guide(), quiet.guide());
}

#[test]
fn reporting_does_not_change_the_run_f64() {
    reporting_does_not_change_the_run::<f64>();
}

#[test]
fn reporting_does_not_change_the_run_f32() {
    reporting_does_not_change_the_run::<f32>();
}
