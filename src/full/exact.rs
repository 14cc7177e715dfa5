//! The exact full-rank optimum: no learning rate, no noise (docs/full-rank.md, §5).
//!
//! At the optimum, ∂ELBO/∂S = ½E_q[H] + ½S⁻¹ = 0 and E_q[g] = 0. From the exact mean-field
//! optimum, the map S⁺ ← (−E_q[H])⁻¹ (E_q at the current q), m ← m + S⁺·E_q⁺[g] (E_q⁺ at
//! N(m, S⁺)) is iterated, each step damped by halving until the ELBO does not decrease, to
//! rounding level.

#![forbid(unsafe_code)]

use super::elbo::{expected_g, moments, rbar, Moments, Stored};
use super::guide::covariance_of;
use super::{cholesky, entry, entry_mut, zeros, FullGuide, Square};
use crate::error::{Error, Result};
use crate::guide::Guide;
use crate::model::{ModelConsts, Prior};
use crate::real::Real;
use crate::stats::Stats;
use crate::vector::{Coefs, Latent};

/// What the exact full-rank solver did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FullReport<T> {
    /// Iterations of the fixed-point map (after the mean-field solve).
    pub iterations: u32,
    /// The ELBO at the full-rank optimum (exact, analytic).
    pub elbo: T,
    /// The ELBO at the mean-field optimum it started from.
    pub mean_field_elbo: T,
}

/// Upper bound on the fixed-point iterations.
const MAX_ITERS: u32 = 200;

/// Upper bound on the halvings of one step.
const MAX_HALVINGS: u32 = 60;

/// The covariance (−E_q[H])⁻¹ for the moments `mo`, through the data summary: the θθ block
/// of the precision, T⁻¹ + λG = λ·(G + T⁻¹/λ), is factored as the summary with the ridge
/// T⁻¹/λ added as weighted rows (no normal equations), then the u row and column enter by
/// their Schur complement. `None` if the precision is not positive definite in this precision
/// or a value leaves the range.
fn target_cov<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    mo: &Moments<T, P>,
) -> Option<Square<T, P>> {
    let p = stats.features();
    let (k, u) = (p + 1, p + 1);
    let lam = mo.lam;
    let two = T::c(2.0);
    let mut ridge = Coefs::splat(T::ZERO);
    for j in 0..k {
        ridge[j] = mc.prec[j] / lam;
    }
    let mut f = *stats;
    f.add_ridge(&ridge);
    // Q = R̄_f⁻¹·diag(1/√(λ·d_f)), so that (T⁻¹ + λG)⁻¹ = Q·Qᵀ (Q upper-triangular). Columns
    // of R̄_f⁻¹ by back-substitution.
    let mut q = zeros::<T, P>();
    for j in 0..k {
        let dj = lam * f.d[j];
        if !(dj > T::ZERO && dj.is_finite()) {
            return None;
        }
        let sc = T::ONE / dj.sqrt();
        *entry_mut(&mut q, j, j, p) = sc;
        for i in (0..j).rev() {
            let mut v = T::ZERO;
            for kk in i + 1..=j {
                v -= rbar(&f, i, kk) * entry(&q, kk, j, p);
            }
            *entry_mut(&mut q, i, j, p) = v;
        }
    }
    // h = the precision's θu block = −E[H]_θu = −2λr; w = (T⁻¹ + λG)⁻¹h = Q·(Qᵀh).
    let mut qh: Latent<T, P> = Latent::splat(T::ZERO);
    for c in 0..k {
        let mut v = T::ZERO;
        for i in 0..=c {
            v += entry(&q, i, c, p) * (-two * lam * mo.r[i]);
        }
        *qh.get_mut(c, p) = v;
    }
    let mut w: Latent<T, P> = Latent::splat(T::ZERO);
    let mut hw = T::ZERO;
    for i in 0..k {
        let mut v = T::ZERO;
        for c in i..k {
            v += entry(&q, i, c, p) * *qh.at(c, p);
        }
        *w.get_mut(i, p) = v;
        hw += *qh.at(i, p) * *qh.at(i, p);
    }
    // Schur complement of the θθ block: c = −E[H]_uu − hᵀ·(T⁻¹ + λG)⁻¹·h.
    let c = two * mo.kap * mc.inv_ts2 + two * lam * mo.erss - hw;
    if !(c > T::ZERO && c.is_finite()) {
        return None;
    }
    // S = M·Mᵀ with M = [[Q, −w/√c], [0, 1/√c]].
    let rc = T::ONE / c.sqrt();
    let mut mm = q;
    for i in 0..k {
        *entry_mut(&mut mm, i, u, p) = -*w.at(i, p) * rc;
    }
    *entry_mut(&mut mm, u, u, p) = rc;
    let mut s = zeros::<T, P>();
    for i in 0..=u {
        for j in 0..=i {
            let mut v = T::ZERO;
            for c in i.min(j)..=u {
                v += entry(&mm, i, c, p) * entry(&mm, j, c, p);
            }
            *entry_mut(&mut s, i, j, p) = v;
            *entry_mut(&mut s, j, i, p) = v;
        }
    }
    (0..=u)
        .all(|i| (0..=u).all(|j| entry(&s, i, j, p).is_finite()))
        .then_some(s)
}

/// The ELBO of q = N(m, L·Lᵀ).
fn elbo_at<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    m: &Latent<T, P>,
    l: &Square<T, P>,
) -> (T, Moments<T, P>) {
    let p = stats.features();
    let mo = moments(stats, mc, m, &Stored(l, p));
    let mut lns = T::ZERO;
    for i in 0..p + 2 {
        lns += entry(l, i, i, p).ln();
    }
    (mo.elbo_no_lns + lns, mo)
}

/// The exact full-rank optimum for the summary `stats` and the priors `prior`: the global
/// mean-field optimum (refused as [`Fit::solve_exact`](crate::Fit::solve_exact) refuses it:
/// [`Error::IllConditioned`] on data too ill-conditioned for this precision), then the
/// fixed-point map of docs/full-rank.md §5 to rounding level. [`Error::NotConverged`] if the
/// iterations run out or a step cannot be taken, [`Error::Overflow`] if a quantity leaves the
/// precision's range, [`Error::Features`] for an empty summary's feature count.
pub fn solve<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
) -> Result<(FullGuide<T, P>, FullReport<T>)> {
    prior.validate()?;
    let p = stats.features();
    if p == 0 {
        return Err(Error::Features);
    }
    let mut g = Guide {
        loc: Latent::splat(T::ZERO),
        rho: Latent::splat(T::ZERO),
    };
    let mf = crate::exact::solve(stats, prior, &mut g)?;
    let (guide, mut rep) = solve_from(stats, prior, &g)?;
    rep.mean_field_elbo = mf.elbo;
    Ok((guide, rep))
}

/// The fixed point of docs/full-rank.md §5 from the mean-field guide `start` (its locations
/// and scales, no correlation) rather than from the global mean-field optimum: a warm start,
/// or another basin. The report's `mean_field_elbo` is the ELBO of `start`. Errors as
/// [`solve`]'s after its mean-field solve; [`Error::NonFinite`] for a non-finite `start`.
pub fn solve_from<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    start: &Guide<T, P>,
) -> Result<(FullGuide<T, P>, FullReport<T>)> {
    prior.validate()?;
    let p = stats.features();
    if p == 0 {
        return Err(Error::Features);
    }
    if !start.all_finite(p) {
        return Err(Error::NonFinite);
    }
    let g = start;
    let mc = ModelConsts::new(stats, prior);
    let mut m = g.loc;
    let mut l = FullGuide::from_mean_field(g).cholesky(p);
    let mut s = covariance_of(&l, p);
    let (mut elbo, mut mo) = elbo_at(stats, &mc, &m, &l);
    if !elbo.is_finite() {
        return Err(Error::Overflow);
    }
    let start_elbo = elbo;
    let eps = T::EPSILON;
    let mut prev_delta = T::INFINITY;
    // The relaxation of the map: halved whenever its residual grows (on little data
    // the undamped map can oscillate with a growing amplitude about its fixed point), and the
    // iterations near the rounding floor that did not shrink it.
    let mut omega = T::ONE;
    let mut stalls = 0;
    for it in 1..=MAX_ITERS {
        let s_new = target_cov(stats, &mc, &mo).ok_or(Error::Overflow)?;
        // Newton's step in m at the new covariance rather than the current one: E[g] depends
        // on S through λ = E[e^{−2u}], and taking it at the old S couples the two updates into a
        // slow, oscillating iteration on little data (docs/full-rank.md §5). Should S⁺ not
        // factor or its ELBO not be finite in this precision, the current moments serve, and
        // the damped step below decides.
        let eg = match cholesky(&s_new, p).map(|l_new| elbo_at(stats, &mc, &m, &l_new)) {
            Some((e, mo_new)) if e.is_finite() => expected_g(stats, &mc, &m, &mo_new),
            _ => expected_g(stats, &mc, &m, &mo),
        };
        // Δm = S_new·E[g].
        let mut dm: Latent<T, P> = Latent::splat(T::ZERO);
        for i in 0..p + 2 {
            let mut v = T::ZERO;
            for j in 0..p + 2 {
                v += entry(&s_new, i, j, p) * *eg.at(j, p);
            }
            *dm.get_mut(i, p) = v;
        }
        // The step's size in posterior sds: every |Δm_i|/√S_ii and |ΔS_ij|/√(S_ii·S_jj).
        let mut delta = T::ZERO;
        for i in 0..p + 2 {
            let sii = entry(&s_new, i, i, p);
            delta = delta.max(dm.at(i, p).abs() / sii.sqrt());
            for j in 0..=i {
                let ds = entry(&s_new, i, j, p) - entry(&s, i, j, p);
                delta = delta.max(ds.abs() / (sii * entry(&s_new, j, j, p)).sqrt());
            }
        }
        if !delta.is_finite() {
            return Err(Error::Overflow);
        }
        // Damped step: the largest t = 2^-k whose ELBO is not below the current one (to
        // rounding level).
        let tol = T::c(16.0) * eps * elbo.abs().max(T::ONE);
        let mut t = omega;
        let mut taken = false;
        for _ in 0..MAX_HALVINGS {
            let mut mt = m;
            let mut st = zeros::<T, P>();
            for i in 0..p + 2 {
                *mt.get_mut(i, p) += t * *dm.at(i, p);
                for j in 0..p + 2 {
                    let (a, b) = (entry(&s, i, j, p), entry(&s_new, i, j, p));
                    *entry_mut(&mut st, i, j, p) = a + t * (b - a);
                }
            }
            if let Some(lt) = cholesky(&st, p) {
                let (et, mot) = elbo_at(stats, &mc, &mt, &lt);
                if et.is_finite() && et >= elbo - tol {
                    (m, l, s, elbo, mo) = (mt, lt, st, et, mot);
                    taken = true;
                    break;
                }
            }
            t *= T::c(0.5);
        }
        // Converged: a residual at rounding level, or one that stopped shrinking below √ε
        // (rounding in the moments sets the floor; ill-conditioned data put it above ε) after
        // the relaxation had its chances to damp an oscillation.
        let floor = eps.sqrt();
        if !taken && delta > floor {
            return Err(Error::NotConverged);
        }
        let shrinking = delta <= T::c(0.5) * prev_delta;
        if !shrinking && delta <= floor {
            stalls += 1;
        }
        if delta > prev_delta && omega > T::c(1.0 / 64.0) {
            omega *= T::c(0.5);
        }
        let done = !taken || delta <= T::c(64.0) * eps || stalls >= 4;
        if done {
            let guide = FullGuide::from_loc_chol(p, &m, &l)?;
            return Ok((
                guide,
                FullReport {
                    iterations: it,
                    elbo,
                    mean_field_elbo: start_elbo,
                },
            ));
        }
        prev_delta = delta;
    }
    Err(Error::NotConverged)
}
