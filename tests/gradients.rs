//! Every gradient against central finite differences, and the Monte Carlo gradient's mean over
//! many particles against the analytic one.

#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{Config, Estimator, Fit, Guide, Normal};

/// Small data with a moderate posterior so finite differences are well scaled.
fn small_fit<T: Normal>(est: Estimator) -> Fit<T, 4> {
    // The data are drawn in f64 and rounded, so f32 and f64 fits see the same rows.
    let (xs, ys, _) = seed_data::<f64, 4>(40, 3, 5);
    let xs: Vec<T> = xs.iter().map(|v| T::c(*v)).collect();
    let ys: Vec<T> = ys.iter().map(|v| T::c(*v)).collect();
    let mut f: Fit<T, 4> = fit_with(
        3,
        Config {
            estimator: est,
            ..Config::default()
        },
        &xs,
        &ys,
    );
    // Move away from the initialisation, towards a realistic point.
    let loc = [T::c(40.0), T::c(3.0), T::c(-2.0), T::c(5.0), T::c(1.5)];
    let scale = [T::c(0.3), T::c(0.2), T::c(0.25), T::c(0.2), T::c(0.1)];
    f.set_guide(Guide::from_loc_scale(3, &loc, &scale).unwrap())
        .unwrap();
    f
}

/// `loss_grad` against central differences of the same loss (tests/common).
fn fd_check(est: Estimator) {
    assert_gradient_matches_fd(&small_fit::<f64>(est), &format!("{est:?}"));
}

#[test]
fn analytic_gradient_matches_finite_differences() {
    fd_check(Estimator::Analytic);
}

#[test]
fn monte_carlo_gradient_matches_finite_differences() {
    fd_check(Estimator::MonteCarlo { particles: 1 });
    fd_check(Estimator::MonteCarlo { particles: 7 });
}

#[test]
fn analytic_loss_is_the_elbo() {
    let mut f = small_fit::<f64>(Estimator::Analytic);
    let mut g = *f.guide();
    let loss = f.loss_grad(&mut g);
    assert!((loss + f.elbo()).abs() < 1e-9 * loss.abs());
}

/// The mean of many particles' gradient converges to the analytic gradient (and the mean MC loss
/// to the analytic loss, since E[−log q] is the entropy): 10 independent batches of 40 000
/// particles give a mean and a standard error; the analytic value must lie within 5 of them.
#[test]
fn monte_carlo_mean_converges_to_analytic() {
    let batches = 10;
    let mut an = small_fit::<f64>(Estimator::Analytic);
    let mut ga = *an.guide();
    let la = an.loss_grad(&mut ga);
    let mut mc = small_fit::<f64>(Estimator::MonteCarlo { particles: 40_000 });
    let p = 3;
    let mut samples = vec![Vec::new(); 2 * (p + 2) + 1];
    for _ in 0..batches {
        let mut g = *mc.guide();
        let l = mc.loss_grad(&mut g); // advances the generator: batches are independent
        for i in 0..p + 2 {
            samples[i].push(g.loc.get(i, p));
            samples[p + 2 + i].push(g.rho.get(i, p));
        }
        samples[2 * (p + 2)].push(l);
    }
    let want: Vec<f64> = (0..p + 2)
        .map(|i| ga.loc.get(i, p))
        .chain((0..p + 2).map(|i| ga.rho.get(i, p)))
        .chain([la])
        .collect();
    for (k, s) in samples.iter().enumerate() {
        let n = s.len() as f64;
        let mean = s.iter().sum::<f64>() / n;
        let se = (s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        let z = (mean - want[k]).abs() / se;
        println!(
            "component {k}: MC {mean:.6} ± {se:.2e}, analytic {:.6}, z = {z:.2}",
            want[k]
        );
        assert!(
            z < 5.0,
            "component {k}: MC mean {mean} ± {se} vs analytic {}",
            want[k]
        );
    }
}

#[test]
fn f32_gradients_agree_with_f64() {
    let mut a = small_fit::<f64>(Estimator::Analytic);
    let mut b = small_fit::<f32>(Estimator::Analytic);
    let (mut ga, mut gb) = (*a.guide(), *b.guide());
    let la = a.loss_grad(&mut ga);
    let lb = b.loss_grad(&mut gb);
    assert!((la - lb as f64).abs() < 1e-4 * la.abs());
    for i in 0..5 {
        let (x, y) = (ga.loc.get(i, 3), gb.loc.get(i, 3) as f64);
        assert!(
            (x - y).abs() < 1e-3 * (1.0 + x.abs()),
            "loc {i}: {x} vs {y}"
        );
        let (x, y) = (ga.rho.get(i, 3), gb.rho.get(i, 3) as f64);
        assert!(
            (x - y).abs() < 1e-3 * (1.0 + x.abs()),
            "rho {i}: {x} vs {y}"
        );
    }
}
