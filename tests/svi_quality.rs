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
