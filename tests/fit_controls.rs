//! The controls of a fit in flight: `reset_data` (a fresh fit with the same configuration),
//! `set_estimator` (Pyro's "1 particle, then 100" on the same fit) and σ's highest-density
//! interval (`Posterior::sigma_hdi`), for both guide families and precisions.

mod common;
use common::*;
use vireg::{
    normal_quantile, AdamConfig, Config, Error, Estimator, Family, Fit, FullFit, Normal,
    MAX_PARTICLES,
};

/// A configuration that is not the default in any field `reset_data` must keep.
fn config<T: Normal>() -> Config<T> {
    Config {
        seed: 7,
        init_scale: T::c(0.2),
        estimator: Estimator::MonteCarlo { particles: 3 },
        average_fraction: T::c(0.25),
        ..Config::default()
    }
}

/// Fits `fit` on `rows` rows, changes its learning rate and estimator, steps, resets it, and
/// checks that it is then the fresh fit of its configuration, and behaves as one.
fn reset_is_a_fresh_fit<T: Normal, G: Family<T, 8>>(mut fit: Fit<T, 8, G>) {
    let p = 3;
    let (xs, ys, _) = seed_data::<T, 8>(200, p, 11);
    fit.observe_rows(&xs, p, &ys).unwrap();
    fit.steps(20).unwrap();
    let adam = AdamConfig {
        lr: T::c(0.005),
        ..fit.config().adam
    };
    fit.set_adam(adam).unwrap();
    let est = Estimator::MonteCarlo { particles: 5 };
    fit.set_estimator(est).unwrap();
    fit.steps(10).unwrap();
    assert!(fit.is_fitted() && fit.stats().rows() == 200);

    let cfg = fit.config();
    fit.reset_data();
    // Kept: the features and the whole configuration, the changed settings included.
    assert_eq!(fit.config(), cfg);
    assert_eq!(fit.config().adam.lr, T::c(0.005));
    assert_eq!(fit.config().estimator, est);
    // Reset: everything else, as a fresh fit of that configuration.
    let fresh: Fit<T, 8, G> = Fit::new(p, cfg).unwrap();
    assert!(fit == fresh, "a reset fit differs from a fresh one");
    assert!(!fit.is_fitted() && fit.stats().rows() == 0);
    assert_eq!(fit.rng(), fresh.rng());

    // The same rows and steps give the same fit (the random stream restarted too).
    let mut fresh = fresh;
    for f in [&mut fit, &mut fresh] {
        f.observe_rows(&xs, p, &ys).unwrap();
        f.steps(15).unwrap();
    }
    assert!(
        fit == fresh,
        "a reset fit runs differently from a fresh one"
    );
}

#[test]
fn reset_data_gives_the_fresh_fit_of_the_configuration() {
    reset_is_a_fresh_fit::<f32, _>(Fit::<f32, 8>::new(3, config()).unwrap());
    reset_is_a_fresh_fit::<f64, _>(Fit::<f64, 8>::new(3, config()).unwrap());
    reset_is_a_fresh_fit::<f32, _>(FullFit::<f32, 8>::new(3, config()).unwrap());
    reset_is_a_fresh_fit::<f64, _>(FullFit::<f64, 8>::new(3, config()).unwrap());
}

/// The sample variance of `n` loss estimates at the fit's current guide (the estimates advance
/// the random stream, not the guide).
fn loss_variance<G: Family<f64, 8>>(fit: &mut Fit<f64, 8, G>, n: usize) -> f64 {
    let mut grad = *fit.guide();
    let losses: Vec<f64> = (0..n).map(|_| fit.loss_grad(&mut grad)).collect();
    let mean = losses.iter().sum::<f64>() / n as f64;
    losses.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / (n - 1) as f64
}

/// Pyro's "1 particle, then 100" on `fit`; `resume` saves a fit to a checkpoint and loads it
/// into a new one (the checkpoint functions are not generic over the family).
fn switch_mid_fit<G: Family<f64, 8>>(
    mut fit: Fit<f64, 8, G>,
    resume: impl Fn(&Fit<f64, 8, G>) -> Fit<f64, 8, G>,
) {
    let p = 3;
    let (xs, ys, _) = seed_data::<f64, 8>(300, p, 5);
    fit.observe_rows(&xs, p, &ys).unwrap();
    fit.steps(300).unwrap();
    let before = fit.clone();

    // Refused values leave the fit as it was.
    for bad in [
        Estimator::MonteCarlo { particles: 0 },
        Estimator::MonteCarlo {
            particles: MAX_PARTICLES + 1,
        },
    ] {
        assert_eq!(fit.set_estimator(bad), Err(Error::Config));
        assert!(fit == before, "a refused estimator changed the fit");
    }

    // The switch changes the estimator only: guide, optimiser, stream, data and average stay.
    let many = Estimator::MonteCarlo { particles: 100 };
    fit.set_estimator(many).unwrap();
    assert_eq!(fit.config().estimator, many);
    assert_eq!(
        Config {
            estimator: before.config().estimator,
            ..fit.config()
        },
        before.config()
    );
    assert!(fit.guide() == before.guide() && fit.adam() == before.adam());
    assert!(fit.rng() == before.rng() && fit.stats() == before.stats());
    assert!(fit.reported_guide() == before.reported_guide() && fit.is_fitted());

    // It takes effect: at the same guide, 100 particles' loss estimates vary about 1/100 as
    // much as one particle's.
    let (mut one, mut hundred) = (before.clone(), fit.clone());
    let ratio = loss_variance(&mut hundred, 200) / loss_variance(&mut one, 200);
    assert!(
        ratio > 0.002 && ratio < 0.05,
        "variance ratio 100 : 1 particles {ratio}"
    );

    // The analytic estimator draws nothing: its estimates are equal and the stream stays.
    let mut exact = before.clone();
    exact.set_estimator(Estimator::Analytic).unwrap();
    let rng = exact.rng().clone();
    let mut grad = *exact.guide();
    let (a, b) = (exact.loss_grad(&mut grad), exact.loss_grad(&mut grad));
    assert!(a == b && *exact.rng() == rng);

    // Going on after the switch: a checkpoint of the switched fit resumes it exactly (the
    // estimator is part of what is saved), and its steps differ from one particle's.
    let mut resumed = resume(&fit);
    let mut one = before.clone();
    for f in [&mut fit, &mut resumed, &mut one] {
        f.steps(50).unwrap();
    }
    assert!(
        fit == resumed,
        "a checkpoint of the switched fit resumes differently"
    );
    assert!(fit.guide() != one.guide(), "100 particles stepped as one");

    // Setting the estimator of a fresh fit is configuring it.
    let cfg = Config {
        estimator: many,
        ..Config::default()
    };
    let mut configured: Fit<f64, 8, G> = Fit::new(p, cfg).unwrap();
    let mut switched: Fit<f64, 8, G> = Fit::new(p, Config::default()).unwrap();
    switched.set_estimator(many).unwrap();
    assert!(switched == configured);
    for f in [&mut configured, &mut switched] {
        f.observe_rows(&xs, p, &ys).unwrap();
        f.steps(20).unwrap();
    }
    assert!(switched == configured);
}

#[test]
fn set_estimator_switches_mid_fit_and_keeps_the_rest() {
    switch_mid_fit(Fit::<f64, 8>::new(3, Config::default()).unwrap(), |f| {
        let mut buf = vec![0u8; Fit::<f64, 8>::CHECKPOINT_BYTES];
        let n = f.save(&mut buf).unwrap();
        Fit::from_checkpoint(&buf[..n]).unwrap()
    });
    switch_mid_fit(FullFit::<f64, 8>::new(3, Config::default()).unwrap(), |f| {
        let mut buf = vec![0u8; FullFit::<f64, 8>::CHECKPOINT_BYTES];
        let n = f.save(&mut buf).unwrap();
        FullFit::from_checkpoint(&buf[..n]).unwrap()
    });
}

/// The shortest interval of e^u, u ~ N(m, s²), holding `mass`, by a golden-section search over
/// its lower tail probability (an independent route: the width itself is minimised).
fn shortest_interval(m: f64, s: f64, mass: f64) -> (f64, f64) {
    let ends = |a: f64| {
        (
            (m + s * normal_quantile(a)).exp(),
            (m + s * normal_quantile(a + mass)).exp(),
        )
    };
    let width = |a: f64| {
        let (lo, hi) = ends(a);
        hi - lo
    };
    let (mut a, mut b) = (1e-300, 1.0 - mass - 1e-16);
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..300 {
        let (c, d) = (b - r * (b - a), a + r * (b - a));
        if width(c) < width(d) {
            b = d;
        } else {
            a = c;
        }
    }
    ends(0.5 * (a + b))
}

#[test]
fn sigma_hdi_is_the_shortest_interval() {
    let p = 2;
    let (xs, ys, _) = seed_data::<f64, 8>(40, p, 3);
    let mut fit = fit_with::<f64, 8>(p, Config::default(), &xs, &ys);
    fit.solve_exact().unwrap();
    let post = fit.posterior().unwrap();
    let mut loc = [0.0; 4];
    let mut scale = [0.0; 4];
    post.loc(&mut loc);
    post.scale(&mut scale);
    let (m, s) = (loc[p + 1], scale[p + 1]);
    for mass in [0.5, 0.9, 0.94, 0.99] {
        let (lo, hi) = post.sigma_hdi(mass).unwrap();
        let (want_lo, want_hi) = shortest_interval(m, s, mass);
        assert!(
            (lo / want_lo - 1.0).abs() < 1e-6 && (hi / want_hi - 1.0).abs() < 1e-6,
            "mass {mass}: ({lo}, {hi}) vs ({want_lo}, {want_hi})"
        );
        // Shorter than, and left of, the equal-tailed interval of the same mass.
        let q = |q: f64| post.quantile(p + 1, q).unwrap();
        let (et_lo, et_hi) = (q((1.0 - mass) / 2.0), q((1.0 + mass) / 2.0));
        assert!(lo < et_lo && hi < et_hi && hi - lo < et_hi - et_lo);
    }
    // f32 agrees to its precision.
    let (xs32, ys32, _) = seed_data::<f32, 8>(40, p, 3);
    let mut fit32 = fit_with::<f32, 8>(p, Config::default(), &xs32, &ys32);
    fit32.solve_exact().unwrap();
    let post32 = fit32.posterior().unwrap();
    let (lo32, hi32) = post32.sigma_hdi(0.94).unwrap();
    let (mut loc32, mut scale32) = ([0f32; 4], [0f32; 4]);
    post32.loc(&mut loc32);
    post32.scale(&mut scale32);
    let (lo, hi) = shortest_interval(loc32[p + 1].into(), scale32[p + 1].into(), 0.94);
    assert!(
        (f64::from(lo32) / lo - 1.0).abs() < 1e-4 && (f64::from(hi32) / hi - 1.0).abs() < 1e-4,
        "f32: ({lo32}, {hi32}) vs ({lo}, {hi})"
    );
    // Levels outside (0, 1) are refused.
    for bad in [0.0, 1.0, -0.5, 2.0] {
        assert_eq!(post.sigma_hdi(bad), Err(Error::Config));
    }
    assert_eq!(post.sigma_hdi(f64::NAN), Err(Error::NonFinite));
    assert_eq!(post.sigma_hdi(f64::INFINITY), Err(Error::NonFinite));

    // The full-rank fit's interval is that of σ's marginal.
    let mut full: FullFit<f64, 8> = FullFit::new(p, Config::default()).unwrap();
    full.observe_rows(&xs, p, &ys).unwrap();
    full.solve_exact().unwrap();
    let fp = full.posterior().unwrap();
    let mut cov = [0.0; 16];
    fp.covariance_to(&mut cov).unwrap();
    let mut floc = [0.0; 4];
    fp.loc(&mut floc);
    let (lo, hi) = fp.marginals().sigma_hdi(0.94).unwrap();
    let (want_lo, want_hi) = shortest_interval(floc[p + 1], cov[15].sqrt(), 0.94);
    assert!((lo / want_lo - 1.0).abs() < 1e-6 && (hi / want_hi - 1.0).abs() < 1e-6);
}
