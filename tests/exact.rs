//! The exact coordinate-ascent optimum: zero gradient, an ELBO no perturbation improves, the
//! same point SVI with the analytic estimator converges to, recovery of the true parameters on
//! synthetic data, and f32 against f64 on the same data.

#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{Config, Estimator, Fit, Guide, Normal};

fn solved<T: Normal>(n: usize, p: usize, seed: u64) -> (Fit<T, 8>, vireg::Synth<f64, 8>) {
    let (xs, ys, truth) = seed_data::<f64, 8>(n, p, seed);
    let xs: Vec<T> = xs.iter().map(|v| T::c(*v)).collect();
    let ys: Vec<T> = ys.iter().map(|v| T::c(*v)).collect();
    let mut f: Fit<T, 8> = fit_with(
        p,
        Config {
            estimator: Estimator::Analytic,
            ..Config::default()
        },
        &xs,
        &ys,
    );
    f.solve_exact().unwrap();
    (f, truth)
}

#[test]
fn exact_optimum_has_zero_gradient() {
    for (n, p, seed) in [(2500, 8, 42), (30, 5, 1), (3, 6, 2), (1, 2, 3)] {
        let (mut f, _) = solved::<f64>(n, p, seed);
        let mut g = *f.guide();
        f.loss_grad(&mut g);
        // Scale-free check: gradient × parameter scale (the ELBO's change per posterior sd).
        let post = f.posterior().unwrap();
        for i in 0..p + 2 {
            let s = post.scale_latent().get(i, p);
            let gm = g.loc.get(i, p) * s;
            let gr = g.rho.get(i, p);
            assert!(gm.abs() < 1e-6, "n {n} p {p}: d loss/d loc[{i}] · s = {gm}");
            assert!(gr.abs() < 1e-6, "n {n} p {p}: d loss/d rho[{i}] = {gr}");
        }
    }
}

#[test]
fn exact_optimum_beats_every_perturbation() {
    let (f, _) = solved::<f64>(500, 4, 9);
    let best = f.elbo();
    let p = 4;
    let post = f.posterior().unwrap();
    for i in 0..p + 2 {
        for sign in [-1.0, 1.0] {
            for (which, h) in [(0, 0.1 * post.scale_latent().get(i, p)), (1, 0.05)] {
                let mut g: Guide<f64, 8> = *f.guide();
                if which == 0 {
                    *g.loc.get_mut(i, p) += sign * h;
                } else {
                    *g.rho.get_mut(i, p) += sign * h;
                }
                assert!(
                    f.elbo_of(&g) < best,
                    "perturbing {i} ({which}) improved the ELBO"
                );
            }
        }
    }
}

#[test]
fn analytic_svi_converges_to_the_exact_optimum() {
    let (exact, _) = solved::<f64>(2500, 8, 42);
    let (xs, ys, _) = seed_data::<f64, 8>(2500, 8, 42);
    let cfg = Config {
        estimator: Estimator::Analytic,
        final_lr_scale: 1e-3,
        ..Config::default()
    };
    let mut svi: Fit<f64, 8> = fit_with(8, cfg, &xs, &ys);
    svi.run(30_000, 0, |_, _| true).unwrap();
    let (dm, ds) = distance(&svi, &exact);
    println!("analytic SVI vs exact: {dm:.2e} sd, {ds:.2e} relative sd");
    assert!(dm < 0.01 && ds < 0.005, "{dm} {ds}");
    assert!((svi.elbo() - exact.elbo()).abs() < 1e-3);
}

#[test]
fn recovers_true_parameters() {
    for seed in [42u64, 3, 8] {
        let (f, truth) = solved::<f64>(5000, 8, seed);
        let post = f.posterior().unwrap();
        let mut want = vec![truth.truth().alpha];
        want.extend_from_slice(&truth.truth().beta);
        for (i, w) in want.iter().enumerate() {
            let s = post.summary(i).unwrap();
            assert!(
                (s.mean - w).abs() < 5.0 * s.sd,
                "seed {seed} coef {i}: {} ± {} vs {w}",
                s.mean,
                s.sd
            );
        }
        let sg = post.sigma();
        assert!(
            (sg.mean - truth.sigma()).abs() < 5.0 * sg.sd,
            "sigma {} ± {} vs {}",
            sg.mean,
            sg.sd,
            truth.sigma()
        );
    }
}

#[test]
fn f32_matches_f64_on_the_same_data() {
    let (a, _) = solved::<f64>(2500, 8, 42);
    let (b, _) = solved::<f32>(2500, 8, 42);
    let (pa, pb) = (a.posterior().unwrap(), b.posterior().unwrap());
    for i in 0..10 {
        let (ma, mb) = (pa.loc_latent().get(i, 8), pb.loc_latent().get(i, 8) as f64);
        let (sa, sb) = (
            pa.scale_latent().get(i, 8),
            pb.scale_latent().get(i, 8) as f64,
        );
        assert!(
            (ma - mb).abs() < 0.01 * sa,
            "mean {i}: {ma} vs {mb} (sd {sa})"
        );
        assert!((sa / sb - 1.0).abs() < 1e-3, "sd {i}: {sa} vs {sb}");
    }
}

#[test]
fn no_data_gives_the_prior() {
    let mut f: Fit<f64, 8> = Fit::new(2, Config::default()).unwrap();
    f.solve_exact().unwrap();
    let post = f.posterior().unwrap();
    assert!(post.alpha().mean.abs() < 1e-12 && (post.alpha().sd - 100.0).abs() < 1e-9);
    assert!((post.beta(1).unwrap().sd - 10.0).abs() < 1e-9);
}
