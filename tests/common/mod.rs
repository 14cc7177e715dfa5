//! Helpers shared by the integration tests.
#![allow(dead_code)]

use vireg::{Config, Fit, Guide, Normal, Synth};

/// Seed-style data: N rows, P features from `vireg::Synth` with `seed`.
pub fn seed_data<T: Normal, const P: usize>(
    n: usize,
    p: usize,
    seed: u64,
) -> (Vec<T>, Vec<T>, Synth<T, P>) {
    let mut s: Synth<T, P> = Synth::new(p, seed).unwrap();
    let truth = s.clone();
    let mut xs = vec![T::c(0.0); n * p];
    let mut ys = vec![T::c(0.0); n];
    for i in 0..n {
        ys[i] = s.next_row(&mut xs[i * p..(i + 1) * p]).unwrap();
    }
    (xs, ys, truth)
}

/// A fit with the rows folded in.
pub fn fit_with<T: Normal, const P: usize>(
    p: usize,
    cfg: Config<T>,
    xs: &[T],
    ys: &[T],
) -> Fit<T, P> {
    let mut f = Fit::new(p, cfg).unwrap();
    f.observe_rows(xs, p, ys).unwrap();
    f
}

/// Worst |Δmean|/sd_exact and worst |sd/sd_exact − 1| between two posteriors (latent space).
pub fn distance<T: Normal, const P: usize>(a: &Fit<T, P>, exact: &Fit<T, P>) -> (f64, f64) {
    let p = a.features();
    let (pa, pe) = (a.posterior().unwrap(), exact.posterior().unwrap());
    let (mut dm, mut ds) = (0.0f64, 0.0f64);
    for i in 0..p + 2 {
        let (ma, me) = (
            pa.loc_latent().get(i, p).to_f64(),
            pe.loc_latent().get(i, p).to_f64(),
        );
        let (sa, se) = (
            pa.scale_latent().get(i, p).to_f64(),
            pe.scale_latent().get(i, p).to_f64(),
        );
        dm = dm.max((ma - me).abs() / se);
        ds = ds.max((sa / se - 1.0).abs());
    }
    (dm, ds)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic stream for test data, so that a
/// data set is given by its seed and large ones need not be stored.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Uniform with mean 0 and sd 1, for data whose scale matters and shape does not.
    pub fn uniform_sd1(&mut self) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (u - 0.5) * 12f64.sqrt()
    }
}

/// The mean-field noise block's optimum (m_u, s_u) for `n` ≥ 2 rows, E[RSS] = `erss` and the
/// noise prior's sd `tau_s`, in plain f64, an independent reference for the solver's: the
/// block maximises (1−N)m − a·q·e^{−2m} − c·q·e^{2m} + ln s (q = e^{2s²}, a = E/2,
/// c = 1/(2τ_σ²)); ∂/∂m = 0 is 2c·q·z² + (N−1)·z − 2a·q = 0 in z = e^{2m} (its stable positive
/// root), ∂/∂s = 0 is 4s²·(a·q/z + c·q·z) = 1, solved for s² by bisection on ln s² (the left
/// side grows from 0 to ∞ with s²).
pub fn noise_block_reference(n: f64, erss: f64, tau_s: f64) -> (f64, f64) {
    let n1 = n - 1.0;
    let (a, c) = (0.5 * erss, 0.5 / (tau_s * tau_s));
    let z_of = |q: f64| 4.0 * a * q / (n1 + (n1 * n1 + 16.0 * a * c * q * q).sqrt());
    let f = |s2: f64| {
        let q = (2.0 * s2).exp();
        let z = z_of(q);
        4.0 * s2 * (a * q / z + c * q * z) - 1.0
    };
    // s² ≤ 1/(2(N − 1)) ≤ 1/2 at the root, so [e⁻⁷⁰⁰, e⁵] brackets it.
    let (mut l0, mut l1) = (-700.0f64, 5.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (l0 + l1);
        if mid == l0 || mid == l1 {
            break;
        }
        if f(mid.exp()) < 0.0 {
            l0 = mid;
        } else {
            l1 = mid;
        }
    }
    let s2 = (0.5 * (l0 + l1)).exp();
    (0.5 * z_of((2.0 * s2).exp()).ln(), s2.sqrt())
}

/// The exact posterior's table ("NAME mean M sd S" per latent, six decimals) of `n` rows of the
/// seed's synthetic data with `p` features and `seed`, through the Rust API: what the C
/// programs that fit the same rows print.
pub fn synth_posterior_table<const P: usize>(p: usize, n: usize, seed: u64) -> String {
    use std::fmt::Write as _;
    let mut synth: Synth<f64, P> = Synth::new(p, seed).unwrap();
    let mut fit: Fit<f64, P> = Fit::new(p, Config::default()).unwrap();
    let mut x = [0.0; P];
    for _ in 0..n {
        let y = synth.next_row(&mut x[..p]).unwrap();
        fit.observe(&x[..p], y).unwrap();
    }
    fit.solve_exact().unwrap();
    let post = fit.posterior().unwrap();
    let mut s = String::new();
    for i in 0..p + 2 {
        let sm = post.summary(i).unwrap();
        let name = match i {
            0 => "alpha".to_string(),
            i if i <= p => format!("beta[{}]", i - 1),
            _ => "sigma".to_string(),
        };
        writeln!(s, "{name:<8} mean {:.6} sd {:.6}", sm.mean, sm.sd).unwrap();
    }
    s
}

/// Checks d loss/d(param) of `loss_grad` at the fit's guide against central differences (step
/// 1e-5) of the same deterministic loss, every location and scale parameter: relative error
/// below 1e-5. For Monte Carlo each evaluation starts from a clone, so the same ε are drawn.
pub fn assert_gradient_matches_fd<const P: usize>(f: &Fit<f64, P>, what: &str) {
    let p = f.features();
    let mut g = *f.guide();
    let _ = f.clone().loss_grad(&mut g);
    let loss_at = |gd: Guide<f64, P>| {
        let mut c = f.clone();
        c.set_guide(gd).unwrap();
        let mut scratch = gd;
        c.loss_grad(&mut scratch)
    };
    for which in 0..2 {
        for i in 0..p + 2 {
            let h = 1e-5;
            let (mut a, mut b) = (*f.guide(), *f.guide());
            let (pa, pb) = if which == 0 {
                (a.loc.get_mut(i, p), b.loc.get_mut(i, p))
            } else {
                (a.rho.get_mut(i, p), b.rho.get_mut(i, p))
            };
            *pa += h;
            *pb -= h;
            let fd = (loss_at(a) - loss_at(b)) / (2.0 * h);
            let an = if which == 0 {
                g.loc.get(i, p)
            } else {
                g.rho.get(i, p)
            };
            let err = (fd - an).abs() / (1.0 + an.abs());
            assert!(
                err < 1e-5,
                "{what} {} {i}: fd {fd} analytic {an}",
                ["loc", "rho"][which]
            );
        }
    }
}
