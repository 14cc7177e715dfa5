//! The exact mean-field optimum by coordinate ascent (DESIGN §6): no learning rate, no noise.
//!
//! Given λ = E_q[e^{−2u}], the coefficients' block has a closed form (a ridge solve done through
//! the Givens factor, never the normal equations); given E = E_q[RSS], the (m_u, s_u) block is a
//! strictly concave 2-variable problem solved by damped Newton on (m_u, ln s_u).

#![forbid(unsafe_code)]

use crate::condition::{condition, ILL_CONDITIONED_LIMIT};
use crate::error::{Error, Result};
use crate::estimator::analytic_loss_grad;
use crate::guide::Guide;
use crate::model::{ModelConsts, Prior};
use crate::real::{softplus_inv, Real};
use crate::stats::Stats;
use crate::vector::Latent;

/// What the exact solver did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExactReport<T> {
    /// Coordinate-ascent sweeps until the ELBO stopped changing.
    pub iterations: u32,
    /// The ELBO at the optimum (exact, analytic).
    pub elbo: T,
}

/// Maximum coordinate-ascent sweeps.
const MAX_SWEEPS: u32 = 1000;

/// f(m, ℓ) = (1−N)m − a·e^{−2m+2s²} − c·e^{2m+2s²} + ℓ with s = e^ℓ; value, gradient, Hessian.
// Not inlined: two call sites, once per Newton step (code size; off the SVI path).
#[inline(never)]
fn u_objective<T: Real>(n: T, a: T, c: T, m: T, l: T) -> (T, [T; 2], [T; 3]) {
    let two = T::c(2.0);
    let s2 = (two * l).exp();
    let aa = a * (two * s2 - two * m).exp();
    let cc = c * (two * s2 + two * m).exp();
    let f = (T::ONE - n) * m - aa - cc + l;
    let sum = aa + cc;
    let g = [
        (T::ONE - n) + two * (aa - cc),
        T::ONE - T::c(4.0) * s2 * sum,
    ];
    let h = [
        -T::c(4.0) * sum,
        T::c(8.0) * s2 * (aa - cc),
        -sum * (T::c(16.0) * s2 * s2 + T::c(8.0) * s2),
    ];
    (f, g, h)
}

/// Maximises the u-block for E = `erss`; returns (m_u, s_u).
fn solve_u<T: Real>(n: T, erss: T, tau: T, m0: T, s0: T) -> Result<(T, T)> {
    let a = T::c(0.5) * erss;
    let c = T::ONE / (T::c(2.0) * tau * tau);
    let (mut m, mut l) = (m0, s0.ln());
    let (mut f, mut g, mut h) = u_objective(n, a, c, m, l);
    for _ in 0..100 {
        // Newton direction: solve H δ = −g (H negative definite).
        let det = h[0] * h[2] - h[1] * h[1];
        let (dm, dl) = if det > T::ZERO && det.is_finite() {
            (
                (-g[0] * h[2] + g[1] * h[1]) / det,
                (-g[1] * h[0] + g[0] * h[1]) / det,
            )
        } else {
            // Fall back to a gradient step scaled by the diagonal.
            (-g[0] / h[0], -g[1] / h[2])
        };
        // Newton decrement: the predicted gain of the full step. Once it is at rounding level the
        // objective can no longer tell better from worse, but the step itself is still accurate
        // (the error left is its square): take it without a line search, and stop.
        if g[0] * dm + g[1] * dl <= T::c(4.0) * T::EPSILON * (f.abs() + T::ONE) {
            let (mn, ln) = (m + dm, l + dl);
            if mn.is_finite() && ln.is_finite() {
                m = mn;
                l = ln;
            }
            break;
        }
        let mut t = T::ONE;
        let mut moved = false;
        for _ in 0..60 {
            let (mn, ln) = (m + t * dm, l + t * dl);
            let (fn_, gn, hn) = u_objective(n, a, c, mn, ln);
            if fn_.is_finite() && fn_ >= f {
                moved = mn != m || ln != l;
                m = mn;
                l = ln;
                f = fn_;
                g = gn;
                h = hn;
                break;
            }
            t *= T::c(0.5);
        }
        let small = T::c(8.0) * T::EPSILON;
        if !moved
            || (dm.abs() <= small * (T::ONE + m.abs()) && dl.abs() <= small * (T::ONE + l.abs()))
        {
            break;
        }
    }
    let s = l.exp();
    if !(m.is_finite() && s.is_finite() && s > T::ZERO) {
        return Err(Error::Overflow);
    }
    Ok((m, s))
}

/// The exact coordinate-ascent optimum of the ELBO over the mean-field family, refused with
/// `IllConditioned` when the condition estimate at the optimum exceeds the limit (condition.rs).
/// The optimum goes to `guide` (its contents on error are unspecified).
pub(crate) fn solve<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &mut Guide<T, P>,
) -> Result<ExactReport<T>> {
    let (cond, report) = optimum(stats, prior, guide)?;
    // A NaN estimate is refused too.
    if cond.is_nan_value() || cond > T::c(ILL_CONDITIONED_LIMIT) {
        return Err(Error::IllConditioned);
    }
    Ok(report)
}

/// The exact coordinate-ascent optimum (into `guide`, whose contents on error are
/// unspecified: an argument, not a result, so that no copy of it is made on the stack),
/// unchecked, with the condition estimate there.
pub(crate) fn optimum<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &mut Guide<T, P>,
) -> Result<(T, ExactReport<T>)> {
    let p = stats.features();
    let n = T::from_u64(stats.rows());
    let gdiag = stats.gram_diag();
    let mc = ModelConsts::new(stats, prior);
    // The prior's precisions.
    let prec = &mc.prec;
    // Start the u-block near the maximum-likelihood noise level (or the prior median without data).
    let (mut mu, mut su) = if stats.rows() > 1 {
        let v = (stats.sserr() / n).max(T::c(1e-30));
        (T::c(0.5) * v.ln(), (T::ONE / (T::c(2.0) * n)).sqrt())
    } else {
        (prior.median_u(), T::c(0.1))
    };
    guide.loc = Latent::splat(T::ZERO);
    guide.rho = Latent::splat(T::ZERO);
    let mut prev = T::INFINITY;
    let mut prev_dlam = T::INFINITY;
    let tol = T::c(16.0) * T::EPSILON;
    let mut lam = (T::c(2.0) * (su * su - mu)).exp();
    for it in 1..=MAX_SWEEPS {
        if !(lam.is_finite() && lam > T::ZERO) {
            return Err(Error::Overflow);
        }
        let mut ridge = *prec;
        for j in 0..=p {
            ridge[j] = prec[j] / lam;
        }
        let m = stats.ridge_solve(&ridge);
        let mut erss = stats.rss(&m);
        for j in 0..=p {
            let sj2 = T::ONE / (lam * gdiag[j] + prec[j]);
            erss += sj2 * gdiag[j];
            guide.loc.theta[j] = m[j];
            guide.rho.theta[j] = softplus_inv(sj2.sqrt());
        }
        let (m2, s2) = solve_u(n, erss, prior.noise, mu, su)?;
        mu = m2;
        su = s2;
        guide.loc.u = mu;
        guide.rho.u = softplus_inv(su);
        if !guide.all_finite(p) {
            return Err(Error::Overflow);
        }
        let loss = analytic_loss_grad(stats, &mc, &gdiag, guide, None);
        if !loss.is_finite() {
            return Err(Error::Overflow);
        }
        // Stop once λ is still to rounding level, or once the ELBO is still and λ no longer
        // moves closer (its rounding floor). The ELBO alone is not enough: it is flat at the
        // optimum, so it stops changing while the parameters still carry ~√ε relative error.
        let lam_next = (T::c(2.0) * (su * su - mu)).exp();
        let dlam = (lam_next - lam).abs();
        let still = (loss - prev).abs() <= tol * loss.abs().max(T::ONE);
        // A very slow contraction (few rows) may not reach either within the sweep limit; an
        // ELBO that stopped changing then still counts as converged on the last sweep.
        let last = it == MAX_SWEEPS && still;
        if dlam <= T::c(4.0) * T::EPSILON * lam || (still && dlam >= prev_dlam) || last {
            let cond = condition(
                stats,
                prec,
                lam_next,
                &gdiag,
                &guide.loc.theta,
                &guide.rho.theta,
            );
            return Ok((
                cond,
                ExactReport {
                    iterations: it,
                    elbo: -loss,
                },
            ));
        }
        prev = loss;
        prev_dlam = dlam;
        lam = lam_next;
    }
    Err(Error::NotConverged)
}
