//! The full-rank fit (`FullFit`): SVI against the exact full-rank optimum, the Monte Carlo
//! estimator against the mean-field one where the two guides coincide (T = I), draws against
//! the posterior covariance, the divergence rollback, and refusals that leave the fit as it was.

#![allow(clippy::needless_range_loop)]

mod common;
use common::SplitMix64;
use vireg::full::entry;
use vireg::{AdamConfig, Config, Error, Estimator, Fit, FullFit, FullGuide, Guide, Normal};

const P: usize = 4;

/// Correlated rows: x₁ standard normal, x₂ = 0.8x₁ + 0.6·noise + `offset`, x₃ = −0.5x₁ +
/// 0.87·noise; y = 1 + 0.5x₁ − 0.7x₂ + 0.3x₃ + 0.8·noise.
fn rows(n: usize, seed: u64, offset: f64) -> (Vec<[f64; 3]>, Vec<f64>) {
    let mut r = SplitMix64(seed);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let z = r.normal();
        let x = [
            z,
            0.8 * z + 0.6 * r.normal() + offset,
            -0.5 * z + 0.87 * r.normal(),
        ];
        ys.push(1.0 + 0.5 * x[0] - 0.7 * x[1] + 0.3 * x[2] + 0.8 * r.normal());
        xs.push(x);
    }
    (xs, ys)
}

fn fit_of<T: Normal>(cfg: Config<T>, xs: &[[f64; 3]], ys: &[f64]) -> FullFit<T, P> {
    let mut f = FullFit::new(3, cfg).unwrap();
    for (x, y) in xs.iter().zip(ys) {
        let x: Vec<T> = x.iter().map(|v| T::c(*v)).collect();
        f.observe(&x, T::c(*y)).unwrap();
    }
    f
}

/// SVI with Pyro's settings (1 particle, lr 1e-2, 30 000 steps) ends within 0.1 sd of the
/// exact full-rank optimum in every mean, and within 0.05·sdᵢ·sdⱼ in every covariance entry.
#[test]
fn svi_reaches_the_exact_full_rank_optimum() {
    for (seed, offset) in [(1, 0.0), (2, 0.0), (3, 2.0)] {
        let (xs, ys) = rows(300, seed, offset);
        let mut exact = fit_of::<f64>(Config::default(), &xs, &ys);
        exact.solve_exact().unwrap();
        let e = exact.posterior().unwrap();
        let mut svi = fit_of::<f64>(Config::default(), &xs, &ys);
        svi.run(30_000, 0, |_, _| true).unwrap();
        let s = svi.posterior().unwrap();
        let (ce, cs) = (e.covariance(), s.covariance());
        let p = 3;
        let (mut worst_m, mut worst_c) = (0.0f64, 0.0f64);
        for i in 0..p + 2 {
            let sdi = entry(&ce, i, i, p).sqrt();
            let dm = (s.marginals().loc_latent().get(i, p) - e.marginals().loc_latent().get(i, p))
                .abs()
                / sdi;
            worst_m = worst_m.max(dm);
            for j in 0..p + 2 {
                let sdj = entry(&ce, j, j, p).sqrt();
                let dc = (entry(&cs, i, j, p) - entry(&ce, i, j, p)).abs() / (sdi * sdj);
                worst_c = worst_c.max(dc);
            }
        }
        println!("seed {seed} offset {offset}: means {worst_m:.4} sd, covariance {worst_c:.4}");
        assert!(worst_m < 0.1, "means {worst_m} sd off");
        assert!(worst_c < 0.05, "covariance {worst_c}·sd_i·sd_j off");
    }
}

/// The analytic estimator's SVI reaches the same optimum.
#[test]
fn analytic_svi_reaches_the_exact_optimum() {
    let (xs, ys) = rows(200, 7, 0.0);
    let mut exact = fit_of::<f64>(Config::default(), &xs, &ys);
    let rep = exact.solve_exact().unwrap();
    let cfg = Config {
        estimator: Estimator::Analytic,
        ..Config::default()
    };
    let mut svi = fit_of::<f64>(cfg, &xs, &ys);
    let run = svi.run(20_000, 0, |_, _| true).unwrap();
    assert!(run.elbo <= rep.elbo + 1e-9 * rep.elbo.abs());
    assert!(rep.elbo - run.elbo < 1e-3, "{} vs {}", run.elbo, rep.elbo);
    assert!(rep.elbo >= rep.mean_field_elbo);
}

/// At T = I the full-rank guide is the mean-field one: from the same state, one Monte Carlo
/// loss and its (loc, ρ) gradient agree with the mean-field estimator's (the same ε stream,
/// a different formula), and the tril gradient is the g·εᵀ term's lower triangle.
#[test]
fn identity_tril_matches_the_mean_field_estimator() {
    let (xs, ys) = rows(50, 3, 1.0);
    for particles in [1, 5] {
        let cfg = Config {
            estimator: Estimator::MonteCarlo { particles },
            ..Config::default()
        };
        let mut mf: Fit<f64, P> = Fit::new(3, cfg).unwrap();
        for (x, y) in xs.iter().zip(&ys) {
            mf.observe(x, *y).unwrap();
        }
        mf.solve_exact().unwrap();
        let g = *mf.guide();
        let mut full = fit_of::<f64>(cfg, &xs, &ys);
        full.set_guide(FullGuide::from_mean_field(&g)).unwrap();
        let mut gm = g;
        let lm = mf.loss_grad(&mut gm);
        let mut gf = *full.guide();
        let lf = full.loss_grad(&mut gf);
        assert!((lm - lf).abs() < 1e-9 * lm.abs(), "{lm} vs {lf}");
        for i in 0..5 {
            let (a, b) = (gm.loc.get(i, 3), gf.loc.get(i, 3));
            assert!(
                (a - b).abs() < 1e-7 * (1.0 + a.abs()),
                "loc {i}: {a} vs {b}"
            );
            let (a, b) = (gm.rho.get(i, 3), gf.rho.get(i, 3));
            assert!(
                (a - b).abs() < 1e-7 * (1.0 + a.abs()),
                "rho {i}: {a} vs {b}"
            );
        }
        assert_eq!(mf.rng(), full.rng(), "both drew as many normals");
    }
}

/// The draws' sample covariance converges to the posterior covariance, and their means to m
/// (σ's log-normal draws through ln).
#[test]
fn draws_follow_the_covariance() {
    let (xs, ys) = rows(40, 5, 3.0);
    let mut f = fit_of::<f64>(Config::default(), &xs, &ys);
    f.solve_exact().unwrap();
    let post = f.posterior().unwrap();
    let s = post.covariance();
    let d = 5;
    let k = 100_000;
    let mut out = vec![0.0; d * k];
    assert_eq!(f.draws(&mut out).unwrap(), k);
    let mut mean = [0.0; 5];
    for row in out.chunks_exact_mut(d) {
        row[d - 1] = row[d - 1].ln();
        for i in 0..d {
            mean[i] += row[i] / k as f64;
        }
    }
    let mut loc = [0.0; 5];
    post.loc(&mut loc);
    for i in 0..d {
        let sd = entry(&s, i, i, 3).sqrt();
        assert!((mean[i] - loc[i]).abs() < 0.02 * sd, "mean {i}");
        for j in 0..d {
            let c: f64 = out
                .chunks_exact(d)
                .map(|r| (r[i] - mean[i]) * (r[j] - mean[j]))
                .sum::<f64>()
                / (k - 1) as f64;
            let sdj = entry(&s, j, j, 3).sqrt();
            assert!(
                (c - entry(&s, i, j, 3)).abs() < 0.02 * sd * sdj,
                "cov ({i},{j}): {c} vs {}",
                entry(&s, i, j, 3)
            );
        }
    }
}

/// The marginal summaries are those of N(mᵢ, Sᵢᵢ), σ log-normal.
#[test]
fn marginal_summaries() {
    let (xs, ys) = rows(60, 9, 0.5);
    let mut f = fit_of::<f64>(Config::default(), &xs, &ys);
    assert_eq!(f.posterior().unwrap_err(), Error::NotFitted);
    f.solve_exact().unwrap();
    let post = f.posterior().unwrap();
    let s = post.covariance();
    let mut loc = [0.0; 5];
    post.loc(&mut loc);
    let b1 = post.beta(1).unwrap();
    assert_eq!(b1.mean, loc[2]);
    assert!((b1.sd - entry(&s, 2, 2, 3).sqrt()).abs() < 1e-15 * b1.sd.max(1.0));
    let su2 = entry(&s, 4, 4, 3);
    let sig = post.sigma();
    assert!((sig.median - loc[4].exp()).abs() < 1e-12);
    assert!((sig.mean - (loc[4] + su2 / 2.0).exp()).abs() < 1e-12);
    let q = post.quantile(2, 0.975).unwrap();
    assert!((q - (loc[2] + 1.959963984540054 * b1.sd)).abs() < 1e-9);
    let mut flat = [0.0; 25];
    assert_eq!(post.covariance_to(&mut flat).unwrap(), 25);
    assert_eq!(flat[2 * 5 + 1], entry(&s, 2, 1, 3));
    assert_eq!(flat[5 + 2], flat[2 * 5 + 1]);
    assert_eq!(post.covariance_to(&mut [0.0; 24]), Err(Error::Dimension));
}

/// A step whose update leaves the range returns `Diverged` with the guide and optimiser
/// those of the last point whose loss was finite, bit for bit; a refused `set_guide` changes
/// nothing.
#[test]
fn divergence_rolls_back_and_refusals_change_nothing() {
    let (xs, ys) = rows(100, 11, 0.0);
    let cfg = Config {
        adam: AdamConfig {
            lr: 1e6,
            ..AdamConfig::default()
        },
        ..Config::default()
    };
    let mut f = fit_of::<f64>(cfg, &xs, &ys);
    let mut diverged = false;
    for _ in 0..200 {
        let before = f.clone();
        match f.step() {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e, Error::Diverged);
                assert!(f.guide().all_finite(3));
                // Either this step's update was undone (the fit is as before the call, the
                // generator aside), or the previous step's point, whose loss is not finite,
                // was replaced by the one before it.
                if f.guide() == before.guide() {
                    assert_eq!(f.adam(), before.adam());
                }
                diverged = true;
                break;
            }
        }
    }
    assert!(diverged, "lr 1e6 should diverge");
    let before = f.clone();
    let mut bad = *f.guide();
    *vireg::full::tril_entry_mut(&mut bad.tril, 4, 1, 3) = f64::NAN;
    assert_eq!(f.set_guide(bad), Err(Error::NonFinite));
    assert_eq!(f, before);
}

/// f32 reaches the f64 optimum to f32's accuracy (exact and SVI).
#[test]
fn f32_agrees_with_f64() {
    let (xs, ys) = rows(200, 13, 0.0);
    let mut a = fit_of::<f64>(Config::default(), &xs, &ys);
    let mut b = fit_of::<f32>(Config::default(), &xs, &ys);
    a.solve_exact().unwrap();
    b.solve_exact().unwrap();
    let (pa, pb) = (a.posterior().unwrap(), b.posterior().unwrap());
    let (sa, sb) = (pa.covariance(), pb.covariance());
    for i in 0..5 {
        let sd = entry(&sa, i, i, 3).sqrt();
        let dm = (pa.marginals().loc_latent().get(i, 3)
            - pb.marginals().loc_latent().get(i, 3) as f64)
            .abs();
        assert!(dm < 1e-3 * sd, "loc {i}: {dm}");
        for j in 0..5 {
            let dc = (entry(&sa, i, j, 3) - entry(&sb, i, j, 3) as f64).abs();
            assert!(dc < 1e-3 * sd * entry(&sa, j, j, 3).sqrt(), "cov {i},{j}");
        }
    }
    b.run(30_000, 0, |_, _| true).unwrap();
    let ps = b.posterior().unwrap();
    for i in 0..5 {
        let sd = entry(&sa, i, i, 3).sqrt();
        let dm = (pa.marginals().loc_latent().get(i, 3)
            - ps.marginals().loc_latent().get(i, 3) as f64)
            .abs();
        assert!(dm < 0.1 * sd, "f32 SVI loc {i}: {dm} ({sd})");
    }
}

/// A reset restarts from Pyro's initialisation (T = I, scales 0.1), and the exact ELBO of the
/// start is the mean-field start's.
#[test]
fn reset_and_initial_elbo() {
    let (xs, ys) = rows(30, 17, 0.0);
    let mut f = fit_of::<f64>(Config::default(), &xs, &ys);
    let mut mf: Fit<f64, P> = Fit::new(3, Config::default()).unwrap();
    for (x, y) in xs.iter().zip(&ys) {
        mf.observe(x, *y).unwrap();
    }
    assert!((f.elbo() - mf.elbo()).abs() < 1e-9 * mf.elbo().abs());
    f.steps(10).unwrap();
    assert!(f.is_fitted());
    f.reset_guide();
    assert!(!f.is_fitted());
    let init =
        FullGuide::<f64, P>::from_mean_field(&Guide::init(&Default::default(), 0.1).unwrap());
    assert_eq!(f.guide(), &init);
}

/// Every capacity builds and fits in f32, odd ones included (the guide's values hold an even
/// number of scalars, so the fit has no padding), and the state is the mean-field fit's plus
/// five (P+2)·(P+1) triangles: the guide's, the average's, the last good guide's, and one per
/// Adam state for its two moments, which share it.
#[test]
fn odd_capacities_in_f32() {
    fn solve<const Q: usize>() {
        let (xs, ys) = rows(60, 19, 0.0);
        let mut f: FullFit<f32, Q> = FullFit::new(3, Config::default()).unwrap();
        for (x, y) in xs.iter().zip(&ys) {
            let x: Vec<f32> = x.iter().map(|v| *v as f32).collect();
            f.observe(&x, *y as f32).unwrap();
        }
        f.solve_exact().unwrap();
        f.steps(10).unwrap();
        assert!(f.posterior().unwrap().sigma().mean > 0.0);
        let extra = core::mem::size_of::<FullFit<f32, Q>>() - core::mem::size_of::<Fit<f32, Q>>();
        assert_eq!(extra, 5 * 4 * (Q + 2) * (Q + 1));
    }
    solve::<3>();
    solve::<5>();
    solve::<8>();
}

/// A Rust progress hook that panics, caught by the caller, leaves the fit as a hook that stops
/// the run at the same step does: the same reported guide (iterate average included) and
/// posterior, in the guide's layout. Hosts only: microcontrollers (the `compact` variants)
/// abort on a panic, and their run keeps the convergence block's triangle in the average's
/// free half until it returns.
#[cfg(not(feature = "compact"))]
#[test]
fn a_panicking_hook_leaves_the_average_readable() {
    let (xs, ys) = rows(200, 7, 1.0);
    let cfg = Config {
        tol_rel_obj: 1e-12,
        eval_every: 10,
        ..Config::default()
    };
    const AT: u64 = 355;
    let mut stopped = fit_of::<f64>(cfg, &xs, &ys);
    let r = stopped.run(400, 1, |i, _| i < AT).unwrap();
    assert!(r.stopped && r.averaged > 0);
    let mut panicked = fit_of::<f64>(cfg, &xs, &ys);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        panicked.run(400, 1, |i, _| {
            assert!(i < AT, "the hook gives up");
            true
        })
    }));
    assert!(caught.is_err());
    let (a, b) = (stopped.reported_guide(), panicked.reported_guide());
    assert_ne!(
        a,
        *stopped.guide(),
        "the iterate average is what is reported"
    );
    assert_eq!(a, b);
    let (pa, pb) = (stopped.posterior().unwrap(), panicked.posterior().unwrap());
    assert_eq!(pa.covariance(), pb.covariance());
}
