//! The model: α ~ N(0, τ₀), βⱼ ~ N(0, τ_β), σ ~ HalfNormal(τ_σ), y ~ N(α + x·β, σ), with σ
//! sampled on the unconstrained line as u = ln σ (Pyro's `biject_to(positive)` is `exp`).

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::math::exp::exp_pair;
use crate::real::{Real, LN_2PI};
use crate::stats::Stats;
use crate::vector::Coefs;

/// Prior scales (standard deviations), in the units of the data.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Prior<T> {
    /// τ₀: sd of the Normal prior of the intercept α. Default 100.
    pub intercept: T,
    /// τ_β: sd of the Normal prior of each coefficient βⱼ. Default 10.
    pub coef: T,
    /// τ_σ: scale of the HalfNormal prior of the noise sd σ. Default 10.
    pub noise: T,
}

impl<T: Real> Default for Prior<T> {
    /// The seed's priors: N(0, 100), N(0, 10), HalfNormal(10).
    fn default() -> Self {
        Prior {
            intercept: T::c(100.0),
            coef: T::c(10.0),
            noise: T::c(10.0),
        }
    }
}

impl<T: Real> Prior<T> {
    /// Checks that every scale is finite and > 0 (and its square does not overflow).
    pub fn validate(&self) -> Result<()> {
        for s in [self.intercept, self.coef, self.noise] {
            if !s.is_finite() {
                return Err(Error::NonFinite);
            }
            if s <= T::ZERO || !(s * s).is_finite() || (s * s) == T::ZERO {
                return Err(Error::Config);
            }
        }
        Ok(())
    }

    /// 1/τⱼ² for each coefficient.
    #[inline]
    pub(crate) fn precisions<const P: usize>(&self) -> Coefs<T, P> {
        let mut c = Coefs::splat(T::ONE / (self.coef * self.coef));
        c.alpha = T::ONE / (self.intercept * self.intercept);
        c
    }

    /// The prior median of u = ln σ: ln(τ_σ · Φ⁻¹(3/4)).
    #[inline]
    pub fn median_u(&self) -> T {
        (self.noise * T::c(0.674_489_750_196_081_7)).ln()
    }

    /// The constant part of log p(y, z): every term that depends on neither z nor the data's
    /// values, for `p` features and `n` rows (N_w, the effective number, when rows are weighted).
    pub(crate) fn log_norm(&self, p: usize, n: T) -> T {
        let half_ln_2pi = T::c(0.5 * LN_2PI);
        let k = T::from_i32(p as i32 + 1);
        -(k * half_ln_2pi) - self.intercept.ln() - T::from_i32(p as i32) * self.coef.ln()
            + T::c(core::f64::consts::LN_2)
            - half_ln_2pi
            - self.noise.ln()
            - n * half_ln_2pi
    }
}

/// Everything about the model that stays fixed while the guide moves: computed once per call
/// into the SVI loop, so a step spends no logarithm on constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ModelConsts<T, const P: usize> {
    /// 1/τⱼ² for each coefficient.
    pub prec: Coefs<T, P>,
    /// 1/τ_σ².
    pub inv_ts2: T,
    /// The constant part of log p(y, z).
    pub log_norm: T,
    /// Number of rows N (N_w, the effective number, when rows are weighted: docs/weights.md).
    pub n: T,
}

impl<T: Real, const P: usize> ModelConsts<T, P> {
    pub(crate) fn new(stats: &Stats<T, P>, prior: &Prior<T>) -> Self {
        ModelConsts {
            prec: prior.precisions(),
            inv_ts2: T::ONE / (prior.noise * prior.noise),
            log_norm: prior.log_norm(stats.features(), stats.effective_rows()),
            n: stats.effective_rows(),
        }
    }
}

/// log p(y, z) at θ, u, and its gradient (∂/∂θ into `g_theta`, ∂/∂u returned second).
#[inline]
pub(crate) fn log_joint_grad<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    theta: &Coefs<T, P>,
    u: T,
    g_theta: &mut Coefs<T, P>,
) -> (T, T) {
    let p = stats.features();
    let rss = stats.rss_grad(theta, g_theta); // g_theta = Gθ − b
    from_rss(mc, theta, u, rss, g_theta, p)
}

/// The rest of [`log_joint_grad`] once RSS(θ) and Gθ − b (in `g_theta`) are known, for θ of
/// any capacity `Q` (p ≤ Q).
#[inline(always)]
fn from_rss<T: Real, const P: usize, const Q: usize>(
    mc: &ModelConsts<T, P>,
    theta: &Coefs<T, Q>,
    u: T,
    rss: T,
    g_theta: &mut Coefs<T, Q>,
    p: usize,
) -> (T, T) {
    let (e2u, em2u) = exp_pair(u + u);
    let mut quad = T::ZERO;
    let mut f = |th: T, pr: T, g: &mut T| {
        quad += th * th * pr;
        *g = -th * pr - em2u * *g;
    };
    f(theta.alpha, mc.prec.alpha, &mut g_theta.alpha);
    for ((th, pr), g) in theta.beta[..p]
        .iter()
        .zip(&mc.prec.beta[..p])
        .zip(&mut g_theta.beta[..p])
    {
        f(*th, *pr, g);
    }
    let half = T::c(0.5);
    let lp = mc.log_norm - half * quad - half * e2u * mc.inv_ts2 + u - mc.n * u - half * rss * em2u;
    let gu = -e2u * mc.inv_ts2 + T::ONE - mc.n + rss * em2u;
    (lp, gu)
}

/// [`log_joint_grad`] for θ and its gradient of capacity `Q` (p ≤ Q ≤ P; hosts: the SVI step
/// on vectors as long as the features in use need), `p` the summary's number of features
/// given by the caller (a constant Q when every lane is used: loops without selects). The same
/// operations in the same order.
#[cfg(not(vireg_compact))]
#[inline(always)]
pub(crate) fn log_joint_grad_width<T: Real, const P: usize, const Q: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    theta: &Coefs<T, Q>,
    u: T,
    g_theta: &mut Coefs<T, Q>,
    p: usize,
) -> (T, T) {
    let rss = stats.rss_grad_lanes::<Q, Q>(theta, g_theta, p); // g_theta = Gθ − b
    from_rss(mc, theta, u, rss, g_theta, p)
}
