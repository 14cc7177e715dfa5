//! Posterior summaries, quantiles, draws and predictions against their definitions, and the
//! SVI loop's controls (hook, early stop, convergence detection, determinism).

#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{normal_quantile, Config, Error, Fit, Guide};

#[test]
fn normal_quantile_matches_known_values() {
    for (q, z) in [
        (0.5f64, 0.0f64),
        (0.975, 1.959963984540054),
        (0.97, 1.880793608151251),
        (0.001, -3.090232306167813),
        (1e-10, -6.361340902404056),
    ] {
        assert!((normal_quantile(q) - z).abs() < 1e-13, "Φ⁻¹({q})");
        assert!((normal_quantile(q as f32) - z as f32).abs() < 1e-5);
    }
    assert!(normal_quantile(1.5f64).is_nan() && normal_quantile(0.0f64) == f64::NEG_INFINITY);
}

fn fitted() -> Fit<f64, 8> {
    let loc = [1.0, 2.0, -3.0, 0.5];
    let scale = [0.1, 0.2, 0.3, 0.25];
    let mut f: Fit<f64, 8> = Fit::new(2, Config::default()).unwrap();
    f.set_guide(Guide::from_loc_scale(2, &loc, &scale).unwrap())
        .unwrap();
    f
}

#[test]
fn summaries_and_quantiles_follow_the_definitions() {
    let f = fitted();
    let post = f.posterior().unwrap();
    assert_eq!(post.beta(1).unwrap().mean, -3.0);
    assert!((post.beta(1).unwrap().sd - 0.3).abs() < 1e-12);
    assert!(post.beta(2).is_none() && post.summary(4).is_none());
    // σ = e^u, u ~ N(0.5, 0.25²): log-normal mean, sd, median, quantiles.
    let s = post.sigma();
    let m = (0.5f64 + 0.25f64.powi(2) / 2.0).exp();
    assert!((s.mean - m).abs() < 1e-12);
    assert!((s.sd - m * (0.25f64.powi(2).exp() - 1.0).sqrt()).abs() < 1e-12);
    assert!((s.median - 0.5f64.exp()).abs() < 1e-12);
    assert!(
        (post.quantile(3, 0.975).unwrap() - (0.5 + 0.25 * 1.959963984540054f64).exp()).abs()
            < 1e-12
    );
    assert!((post.quantile(0, 0.025).unwrap() - (1.0 - 0.1 * 1.959963984540054)).abs() < 1e-12);
    assert_eq!(post.quantile(4, 0.5), Err(Error::Dimension));
    assert_eq!(post.quantile(0, 1.0), Err(Error::Config));
    assert_eq!(post.quantile(0, f64::NAN), Err(Error::NonFinite));
}

#[test]
fn draws_have_the_posterior_moments() {
    let mut f = fitted();
    let post = f.posterior().unwrap();
    let n = 200_000;
    let mut sums = [0.0f64; 4];
    let mut sq = [0.0f64; 4];
    let mut d = [0.0; 4];
    for _ in 0..n {
        f.draw(&mut d).unwrap();
        for i in 0..4 {
            sums[i] += d[i];
            sq[i] += d[i] * d[i];
        }
    }
    for i in 0..4 {
        let s = post.summary(i).unwrap();
        let mean = sums[i] / n as f64;
        let sd = (sq[i] / n as f64 - mean * mean).sqrt();
        assert!(
            (mean - s.mean).abs() < 5.0 * s.sd / (n as f64).sqrt(),
            "draw mean {i}: {mean} vs {}",
            s.mean
        );
        assert!(
            (sd / s.sd - 1.0).abs() < 0.01,
            "draw sd {i}: {sd} vs {}",
            s.sd
        );
    }
    assert_eq!(f.draw(&mut [0.0; 3]), Err(Error::Dimension));
}

#[test]
fn many_draws_at_once_are_the_single_draws() {
    let (mut a, mut b) = (fitted(), fitted());
    let mut many = [0.0; 4 * 25];
    assert_eq!(a.draws(&mut many), Ok(25));
    for row in many.chunks_exact(4) {
        let mut d = [0.0; 4];
        b.draw(&mut d).unwrap();
        assert_eq!(row, &d[..]);
    }
    // The generators went as far.
    assert_eq!(a.rng(), b.rng());
    // Not a whole number of draws: nothing drawn.
    let mut odd = [7.0; 6];
    assert_eq!(a.draws(&mut odd), Err(Error::Dimension));
    assert_eq!(odd, [7.0; 6]);
    assert_eq!(a.rng(), b.rng());
    assert_eq!(a.draws(&mut []), Ok(0));
}

/// The mean-field covariance is diag(s²) in the full-rank posterior's row-major layout, and
/// it equals the full-rank posterior's for the same guide with T = I.
#[test]
fn covariance_is_diagonal_in_the_full_rank_layout() {
    let f = fitted();
    let post = f.posterior().unwrap();
    let mut cov = [f64::NAN; 16];
    assert_eq!(post.covariance_to(&mut cov), Ok(16));
    let mut scale = [0.0; 4];
    post.scale(&mut scale);
    for i in 0..4 {
        for j in 0..4 {
            let want = if i == j { scale[i] * scale[i] } else { 0.0 };
            assert_eq!(cov[i * 4 + j], want);
        }
    }
    let full = vireg::FullPosterior::of(&vireg::FullGuide::from_mean_field(f.guide()), 2).unwrap();
    let mut fc = [0.0; 16];
    full.covariance_to(&mut fc).unwrap();
    for (a, b) in cov.iter().zip(&fc) {
        assert!((a - b).abs() <= 1e-15 * a.abs().max(1e-300));
    }
    assert_eq!(post.covariance_to(&mut [0.0; 15]), Err(Error::Dimension));
}

#[test]
fn prediction_adds_coefficient_and_noise_variance() {
    let f = fitted();
    let (m, sd) = f.posterior().unwrap().predict(&[2.0, -1.0]).unwrap();
    assert!((m - (1.0 + 2.0 * 2.0 + 3.0)).abs() < 1e-12);
    let var = 0.01 + (2.0f64 * 0.2).powi(2) + 0.3f64.powi(2) + (2.0 * 0.5 + 2.0 * 0.0625f64).exp();
    assert!((sd - var.sqrt()).abs() < 1e-12);
    assert_eq!(
        f.posterior().unwrap().predict(&[1.0]),
        Err(Error::Dimension)
    );
    assert_eq!(
        f.posterior().unwrap().predict(&[1.0, f64::NAN]),
        Err(Error::NonFinite)
    );
}

#[test]
fn run_reports_through_the_hook_and_can_stop() {
    let (xs, ys, _) = seed_data::<f64, 8>(200, 3, 1);
    let mut f: Fit<f64, 8> = fit_with(3, Config::default(), &xs, &ys);
    let mut seen = Vec::new();
    let rep = f
        .run(1000, 100, |s, l| {
            seen.push((s, l));
            s < 500
        })
        .unwrap();
    assert_eq!(
        seen.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![0, 100, 200, 300, 400, 500]
    );
    assert!(rep.stopped && rep.steps == 501);
    assert!(seen[0].1 > seen[5].1, "the loss falls");
}

/// The steps a run reports, for `max` steps reported every `every`.
fn reported(f: &mut Fit<f64, 8>, max: u64, every: u64) -> (Vec<u64>, vireg::RunReport<f64>) {
    let mut seen = Vec::new();
    let rep = f
        .run(max, every, |s, l| {
            assert!(l.is_finite());
            seen.push(s);
            true
        })
        .unwrap();
    (seen, rep)
}

#[test]
fn run_reports_the_last_step_once() {
    let (xs, ys, _) = seed_data::<f64, 8>(200, 3, 1);
    let base: Fit<f64, 8> = fit_with(3, Config::default(), &xs, &ys);
    for (max, every) in [
        (1000u64, 300u64),
        (1000, 250),
        (1000, 1),
        (1, 7),
        (7, 7),
        (8, 7),
    ] {
        let mut f = base.clone();
        let (seen, rep) = reported(&mut f, max, every);
        // every multiple of `every` below `max`, then the last step if it is not one
        let mut want: Vec<u64> = (0..max).step_by(every as usize).collect();
        if *want.last().unwrap() != max - 1 {
            want.push(max - 1);
        }
        assert_eq!(seen, want, "max {max} every {every}");
        assert!(!rep.stopped && rep.steps == max);
        // The hook's last loss is the report's, and reporting changes nothing of the run.
        let mut g = base.clone();
        let quiet = g.run(max, 0, |_, _| true).unwrap();
        assert_eq!(quiet.loss.to_bits(), rep.loss.to_bits());
        assert_eq!(f, g);
    }
    // A run that ends early by convergence (no averaging stretch) reports its last step too,
    // with the loss of that step.
    let cfg = Config {
        tol_rel_obj: 1e-3,
        eval_every: 50,
        average_fraction: 0.0,
        ..Config::default()
    };
    let mut f: Fit<f64, 8> = fit_with(3, cfg, &xs, &ys);
    let mut seen = Vec::new();
    let rep = f
        .run(1_000_000, 100_000, |s, l| {
            seen.push((s, l));
            true
        })
        .unwrap();
    assert!(rep.converged && rep.steps < 100_000, "{rep:?}");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].0, rep.steps - 1);
    assert_eq!(seen[1].1.to_bits(), rep.loss.to_bits());
    // A hook that asks to stop at the last step: the run had ended anyway, and says so.
    let mut f = base.clone();
    let rep = f.run(10, 4, |s, _| s != 9).unwrap();
    assert!(rep.stopped && rep.steps == 10);
}

#[test]
fn nothing_fitted_is_an_error_until_a_fit() {
    let (xs, ys, _) = seed_data::<f64, 8>(100, 2, 4);
    let fresh: Fit<f64, 8> = fit_with(2, Config::default(), &xs, &ys);
    assert!(!fresh.is_fitted());
    assert_eq!(fresh.posterior().unwrap_err(), Error::NotFitted);
    let mut f = fresh.clone();
    let mut out = [0.0; 4];
    assert_eq!(f.draw(&mut out), Err(Error::NotFitted));
    assert_eq!(f.draws(&mut out), Err(Error::NotFitted));
    assert_eq!(f.draws(&mut []), Err(Error::NotFitted));
    assert_eq!(
        f, fresh,
        "a refused draw leaves the fit (and its stream) as it was"
    );
    assert_eq!(Error::NotFitted as i32, 14);
    // each way of fitting
    let mut a = fresh.clone();
    a.solve_exact().unwrap();
    let mut b = fresh.clone();
    b.step().unwrap();
    let mut c = fresh.clone();
    c.steps(3).unwrap();
    let mut d = fresh.clone();
    d.run(5, 0, |_, _| true).unwrap();
    let mut e = fresh.clone();
    e.set_guide(*a.guide()).unwrap();
    for g in [&a, &b, &c, &d, &e] {
        assert!(g.is_fitted() && g.posterior().is_ok());
    }
    // new rows keep the fit (stale, not undone); a reset undoes it
    let before = a.posterior().unwrap();
    a.observe(&[1.0, 2.0], 3.0).unwrap();
    assert_eq!(a.posterior().unwrap(), before);
    a.reset_guide();
    assert_eq!(a.posterior().unwrap_err(), Error::NotFitted);
    // a step that diverges at once fits nothing
    let mut z = fresh.clone();
    let mut adam = z.config().adam;
    adam.lr = 1e300;
    z.set_adam(adam).unwrap();
    let _ = z.step();
    let r = z.step();
    if r.is_err() && z.guide() == fresh.guide() {
        assert!(!z.is_fitted());
    }
}

#[test]
fn convergence_detection_ends_the_run_early() {
    let (xs, ys, _) = seed_data::<f64, 8>(2500, 8, 42);
    let cfg = Config {
        tol_rel_obj: 1e-5,
        ..Config::default()
    };
    let mut f: Fit<f64, 8> = fit_with(8, cfg, &xs, &ys);
    let rep = f.run(200_000, 0, |_, _| true).unwrap();
    assert!(
        rep.converged && rep.steps < 200_000 && rep.averaged > 0,
        "{rep:?}"
    );
    let mut exact: Fit<f64, 8> = fit_with(8, Config::default(), &xs, &ys);
    exact.solve_exact().unwrap();
    let (dm, ds) = distance(&f, &exact);
    println!(
        "converged after {} steps: {dm:.3} sd, {:.2}%",
        rep.steps,
        ds * 100.0
    );
    assert!(dm < 0.1 && ds < 0.05);
}

#[test]
fn same_seed_same_bits() {
    let (xs, ys, _) = seed_data::<f32, 8>(300, 4, 2);
    let mut a: Fit<f32, 8> = fit_with(4, Config::default(), &xs, &ys);
    let mut b = a.clone();
    for _ in 0..500 {
        assert_eq!(a.step().unwrap().to_bits(), b.step().unwrap().to_bits());
    }
    assert_eq!(a, b);
}

#[test]
fn config_is_validated() {
    let bad = [
        Config {
            init_scale: 0.0,
            ..Config::default()
        },
        Config {
            average_fraction: 1.0,
            ..Config::default()
        },
        Config {
            final_lr_scale: 0.0,
            ..Config::default()
        },
        Config {
            estimator: vireg::Estimator::MonteCarlo { particles: 0 },
            ..Config::default()
        },
        Config {
            eval_every: 0,
            ..Config::default()
        },
    ];
    for c in bad {
        assert_eq!(Fit::<f64, 8>::new(2, c).unwrap_err(), Error::Config);
    }
    let mut c = Config::<f64>::default();
    c.prior.noise = f64::NAN;
    assert_eq!(Fit::<f64, 8>::new(2, c).unwrap_err(), Error::NonFinite);
    c.prior.noise = -1.0;
    assert_eq!(Fit::<f64, 8>::new(2, c).unwrap_err(), Error::Config);
    c = Config::default();
    c.adam.lr = 0.0;
    assert_eq!(Fit::<f64, 8>::new(2, c).unwrap_err(), Error::Config);
    assert_eq!(
        Fit::<f64, 8>::new(0, Config::default()).unwrap_err(),
        Error::Features
    );
    assert_eq!(
        Fit::<f64, 8>::new(9, Config::default()).unwrap_err(),
        Error::Features
    );
}
