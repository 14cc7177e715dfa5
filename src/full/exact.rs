//! The exact full-rank optimum: no learning rate, no noise (docs/full-rank.md, §5).
//!
//! At the optimum, ∂ELBO/∂S = ½E_q[H] + ½S⁻¹ = 0 and E_q[g] = 0. From the exact mean-field
//! optimum, the map S⁺ ← (−E_q[H])⁻¹ (E_q at the current q), m ← m + S⁺·E_q⁺[g] (E_q⁺ at
//! N(m, S⁺)) is iterated, each step damped by halving until the ELBO does not decrease, to
//! rounding level.

#![forbid(unsafe_code)]

use super::elbo::{expected_g_at, moments, rbar, step_at, step_mut, Factor, Mean, Moments};
use super::guide::{chol_into, covariance_into, loc_chol_into};
use super::{cholesky_in_place, entry, entry_mut, lat, lat_mut, zeros, FullGuide, Square};
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

/// The covariance (−E_q[H])⁻¹ for the moments `mo`, through the data summary, into `a` and `d`:
/// the θθ block of the precision, T⁻¹ + λG = λ·(G + T⁻¹/λ), is factored as the summary with the
/// ridge T⁻¹/λ added as weighted rows (no normal equations), then the u row and column enter by
/// their Schur complement. `false` if the precision is not positive definite in this precision
/// or a value leaves the range (`a`'s upper triangle and `d` then hold no covariance).
///
/// The ridge-augmented factor is formed in `f` (the solver's work matrix, free while this
/// runs): R̄_f's strictly-upper entries in its upper triangle, d_f on its diagonal. No copy of
/// the summary on the stack.
///
/// The result goes where the solver keeps it ([`upper`]): S⁺'s strictly-upper entries in `a`'s
/// upper triangle (its lower triangle and diagonal, the current covariance, are not touched),
/// its diagonal in `d`. The upper-triangular factor M (S⁺ = M·Mᵀ) is built there, and S⁺
/// written over it.
#[inline(never)]
fn target_cov<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    mo: &Moments<T, P>,
    a: &mut Square<T, P>,
    d: &mut Latent<T, P>,
    f: &mut Square<T, P>,
) -> bool {
    let p = stats.features();
    let (k, u) = (p + 1, p + 1);
    let lam = mo.lam;
    let two = T::c(2.0);
    for i in 0..k {
        *entry_mut(f, i, i, p) = stats.d[i];
        for c in i + 1..k {
            *entry_mut(f, i, c, p) = rbar(stats, i, c);
        }
    }
    let mut x = Coefs::splat(T::ZERO);
    for j in 0..k {
        ridge_row(f, p, j, mc.prec[j] / lam, &mut x);
    }
    // Q = R̄_f⁻¹·diag(1/√(λ·d_f)), so that (T⁻¹ + λG)⁻¹ = Q·Qᵀ (Q upper-triangular). Columns
    // of R̄_f⁻¹ by back-substitution.
    for j in 0..k {
        let dj = lam * entry(f, j, j, p);
        if !(dj > T::ZERO && dj.is_finite()) {
            return false;
        }
        let sc = T::ONE / dj.sqrt();
        *lat_mut(d, j, p) = sc;
        for i in (0..j).rev() {
            let mut v = T::ZERO;
            for kk in i + 1..=j {
                v -= entry(f, i, kk, p) * upper(a, d, kk, j, p);
            }
            *entry_mut(a, i, j, p) = v;
        }
    }
    // h = the precision's θu block = −E[H]_θu = −2λr; w = (T⁻¹ + λG)⁻¹h = Q·(Qᵀh).
    let mut qh: Latent<T, P> = Latent::splat(T::ZERO);
    for c in 0..k {
        let mut v = T::ZERO;
        for i in 0..=c {
            v += upper(a, d, i, c, p) * (-two * lam * mo.r[i]);
        }
        *lat_mut(&mut qh, c, p) = v;
    }
    let mut w: Latent<T, P> = Latent::splat(T::ZERO);
    let mut hw = T::ZERO;
    for i in 0..k {
        let mut v = T::ZERO;
        for c in i..k {
            v += upper(a, d, i, c, p) * lat(&qh, c, p);
        }
        *lat_mut(&mut w, i, p) = v;
        hw += lat(&qh, i, p) * lat(&qh, i, p);
    }
    // Schur complement of the θθ block: c = −E[H]_uu − hᵀ·(T⁻¹ + λG)⁻¹·h.
    let c = two * mo.kap * mc.inv_ts2 + two * lam * mo.erss - hw;
    if !(c > T::ZERO && c.is_finite()) {
        return false;
    }
    // M = [[Q, −w/√c], [0, 1/√c]], in place.
    let rc = T::ONE / c.sqrt();
    for i in 0..k {
        *entry_mut(a, i, u, p) = -lat(&w, i, p) * rc;
    }
    *lat_mut(d, u, p) = rc;
    // S_ij = Σ_{c ≥ j} M_jc·M_ic (i ≤ j; M_ic = 0 for c < i, terms that add nothing), written
    // over M_ij: row by row, each row from its diagonal on. S_ij reads M's rows i and j at
    // columns ≥ j; M_ij is read only by the S_ij′ (j′ < j) before it in its row and by the
    // S_i′i (i′ < i) of the rows before.
    for i in 0..=u {
        for j in i..=u {
            let mut v = T::ZERO;
            for c in j..=u {
                v += upper(a, d, j, c, p) * upper(a, d, i, c, p);
            }
            *upper_mut(a, d, i, j, p) = v;
        }
    }
    let mut finite = true;
    for i in 0..=u {
        for j in i..=u {
            finite &= upper(a, d, i, j, p).is_finite();
        }
    }
    finite
}

/// Folds the ridge row √`weight`·e_j into the factor held in `f` (R̄'s strictly-upper entries
/// above the diagonal, d on it): the operations of `Stats::add_ridge` on that row
/// (`Stats::include` with y = 0; the response's column, which the covariance does not read,
/// left out), so the same values. `x` is scratch for the row.
fn ridge_row<T: Real, const P: usize>(
    f: &mut Square<T, P>,
    p: usize,
    j: usize,
    weight: T,
    x: &mut Coefs<T, P>,
) {
    *x = Coefs::splat(T::ZERO);
    x[j] = T::ONE;
    let mut w = weight;
    for i in j..=p {
        let xi = x[i];
        if xi == T::ZERO {
            continue;
        }
        let di = entry(f, i, i, p);
        let wxi = w * xi;
        let dpi = di + wxi * xi;
        if cfg!(feature = "weights") && dpi == T::ZERO {
            continue;
        }
        let cbar = di / dpi;
        let sbar = wxi / dpi;
        w = cbar * w;
        *entry_mut(f, i, i, p) = dpi;
        for c in i + 1..=p {
            let x0 = x[c];
            let r = entry(f, i, c, p);
            x[c] = x0 - xi * r;
            *entry_mut(f, i, c, p) = cbar * r + sbar * x0;
        }
        if w == T::ZERO {
            return;
        }
    }
}

/// The current point's factor into `w`: the last accepted covariance's, formed again from `s`
/// by the operations that factored it when it was accepted (the same values), or, before any
/// step was taken (`moved` false), the start's. `false` if it does not factor.
fn current_factor<T: Real, const P: usize>(
    rho: &Latent<T, P>,
    s: &Square<T, P>,
    moved: bool,
    w: &mut Square<T, P>,
    p: usize,
) -> bool {
    if moved {
        *w = *s;
        cholesky_in_place(w, p)
    } else {
        // The start's factor: `FullGuide::from_mean_field(g).cholesky(p)`'s values (T = I),
        // without the guide's copy on the stack.
        chol_into(rho, None, p, w);
        true
    }
}

/// Entry (i, j), i ≤ j, of the map's target S⁺ (symmetric), kept beside the current covariance
/// S in one square `a`: S in its lower triangle and diagonal, S⁺'s strictly-upper entries in its
/// upper triangle (S⁺_ji = S⁺_ij), S⁺'s diagonal in `d`. Two matrices in the room of one and a
/// vector. Out of line on microcontrollers, as [`entry`].
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
fn upper<T: Real, const P: usize>(
    a: &Square<T, P>,
    d: &Latent<T, P>,
    i: usize,
    j: usize,
    p: usize,
) -> T {
    if i == j {
        lat(d, i, p)
    } else {
        entry(a, i, j, p)
    }
}

/// Mutable entry (i, j), i ≤ j, of the target S⁺ (see [`upper`]).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
fn upper_mut<'a, T: Real, const P: usize>(
    a: &'a mut Square<T, P>,
    d: &'a mut Latent<T, P>,
    i: usize,
    j: usize,
    p: usize,
) -> &'a mut T {
    if i == j {
        lat_mut(d, i, p)
    } else {
        entry_mut(a, i, j, p)
    }
}

/// S ← S + t·(S⁺ − S) over the lower triangle of `a` (S and S⁺ as [`upper`] keeps them, S⁺'s
/// diagonal in `d`; the upper triangle, S⁺'s, is left as it is).
fn toward<T: Real, const P: usize>(a: &mut Square<T, P>, d: &Latent<T, P>, t: T, p: usize) {
    for i in 0..p + 2 {
        for j in 0..=i {
            let x = entry(a, i, j, p);
            let b = upper(a, d, j, i, p);
            *entry_mut(a, i, j, p) = x + t * (b - x);
        }
    }
}

/// The lower triangle and diagonal of `w` ← S⁺ (kept as [`upper`] describes).
fn target_lower<T: Real, const P: usize>(
    w: &mut Square<T, P>,
    a: &Square<T, P>,
    d: &Latent<T, P>,
    p: usize,
) {
    for i in 0..p + 2 {
        for j in 0..=i {
            *entry_mut(w, i, j, p) = upper(a, d, j, i, p);
        }
    }
}

/// The lower triangle and diagonal of `w` ← S + t·(S⁺ − S) (S and S⁺ as [`upper`] keeps them
/// in `a` and `d`): [`toward`]'s values, formed in `w`, its upper triangle left as it is.
fn toward_into<T: Real, const P: usize>(
    w: &mut Square<T, P>,
    a: &Square<T, P>,
    d: &Latent<T, P>,
    t: T,
    p: usize,
) {
    for i in 0..p + 2 {
        for j in 0..=i {
            let x = entry(a, i, j, p);
            let b = upper(a, d, j, i, p);
            *entry_mut(w, i, j, p) = x + t * (b - x);
        }
    }
}

/// The ELBO of q = N(m, L·Lᵀ), its moments into `mo` (the caller's slot: no moments
/// returned by value through this frame).
#[inline(always)]
fn elbo_at<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    m: &Mean<'_, T, P>,
    l: &Square<T, P>,
    mo: &mut Moments<T, P>,
) -> T {
    let p = stats.features();
    moments(stats, mc, m, &Factor::Stored(l, p), None, mo);
    let mut lns = T::ZERO;
    for i in 0..p + 2 {
        lns += entry(l, i, i, p).ln();
    }
    mo.elbo_no_lns + lns
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
    let mut guide = FullGuide::from_mean_field(&Guide {
        loc: Latent::splat(T::ZERO),
        rho: Latent::splat(T::ZERO),
    });
    let rep = solve_into(stats, prior, &mut guide)?;
    Ok((guide, rep))
}

/// [`solve`] with the optimum written to `out`, which is untouched on error (a fit's own guide:
/// no guide returned on the stack).
pub(crate) fn solve_into<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    out: &mut FullGuide<T, P>,
) -> Result<FullReport<T>> {
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
    let mut rep = solve_from_into(stats, prior, &mut g, out)?;
    rep.mean_field_elbo = mf.elbo;
    Ok(rep)
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
    let mut guide = FullGuide::from_mean_field(start);
    let rep = solve_from_into(stats, prior, &mut start.clone(), &mut guide)?;
    Ok((guide, rep))
}

/// [`solve_from`] with the optimum written to `out`, which is untouched on error. `start`'s
/// locations are the iterate's storage (no copy of them on this frame): they are changed.
// Not inlined into `solve_into`: the mean-field solve then does not run on top of this frame's
// matrices.
#[inline(never)]
pub(crate) fn solve_from_into<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    start: &mut Guide<T, P>,
    out: &mut FullGuide<T, P>,
) -> Result<FullReport<T>> {
    prior.validate()?;
    let p = stats.features();
    if p == 0 {
        return Err(Error::Features);
    }
    if !start.all_finite(p) {
        return Err(Error::NonFinite);
    }
    let (m, rho) = (&mut start.loc, &start.rho);
    let mc = ModelConsts::new(stats, prior);
    // Two matrices on the stack: `s`, the current covariance (lower triangle) with the map's
    // target S⁺ (upper triangle, its diagonal in `d`; see `upper`), and `w`, where each
    // Cholesky factor is formed in place when needed (an accepted point's factor is formed
    // again from S at the end: the same operations on the same values), and the target's
    // ridge-augmented summary while it is formed.
    let mut s = zeros::<T, P>();
    let mut d: Latent<T, P> = Latent::splat(T::ZERO);
    let mut work = zeros::<T, P>();
    let w = &mut work;
    chol_into(rho, None, p, w); // the start's factor (T = I), as in `current_factor`
    covariance_into(w, p, &mut s);
    // The current point's moments, until a candidate's (S⁺'s, then each trial point's) are
    // written over them: no second set on the stack. The map's next target reads the current
    // point's; they are formed again where a candidate's replaced them and are read after
    // (see below).
    let mut mo = Moments::zeroed();
    let mut elbo = elbo_at(stats, &mc, &Mean::At(m), w, &mut mo);
    if !elbo.is_finite() {
        return Err(Error::Overflow);
    }
    let start_elbo = elbo;
    let mut moved = false;
    let eps = T::EPSILON;
    let mut prev_delta = T::INFINITY;
    // The relaxation of the map: halved whenever its residual grows (on little data
    // the undamped map can oscillate with a growing amplitude about its fixed point), and the
    // iterations near the rounding floor that did not shrink it.
    let mut omega = T::ONE;
    let mut stalls = 0;
    for it in 1..=MAX_ITERS {
        if !target_cov(stats, &mc, &mo, &mut s, &mut d, w) {
            return Err(Error::Overflow);
        }
        // Newton's step in m at the new covariance rather than the current one: E[g] depends
        // on S through λ = E[e^{−2u}], and taking it at the old S couples the two updates into a
        // slow, oscillating iteration on little data (docs/full-rank.md §5). Should S⁺ not
        // factor or its ELBO not be finite in this precision, the current moments serve, and
        // the damped step below decides.
        target_lower(w, &s, &d, p);
        // The current point's moments again (its factor formed again as at the end: the same
        // values) where S⁺'s ELBO is not finite; they serve for E[g] then.
        if cholesky_in_place(w, p) && !elbo_at(stats, &mc, &Mean::At(m), w, &mut mo).is_finite() {
            if !current_factor(rho, &s, moved, w, p) {
                return Err(Error::Overflow);
            }
            elbo_at(stats, &mc, &Mean::At(m), w, &mut mo);
        }
        // Δm = S_new·E[g], E[g]'s entries read where they are needed, Δm kept in the work
        // matrix's upper triangle (`step_at`), free until the solve's end: the trial points'
        // factors fill its lower one.
        for i in 0..p + 2 {
            let mut v = T::ZERO;
            for j in 0..p + 2 {
                v += upper(&s, &d, i.min(j), i.max(j), p) * expected_g_at(&mc, m, &mo, j, p);
            }
            *step_mut(w, i, p) = v;
        }
        // The step's size in posterior sds: every |Δm_i|/√S_ii and |ΔS_ij|/√(S_ii·S_jj).
        let mut delta = T::ZERO;
        for i in 0..p + 2 {
            let sii = lat(&d, i, p);
            delta = delta.max(step_at(w, i, p).abs() / sii.sqrt());
            for j in 0..=i {
                let ds = upper(&s, &d, j, i, p) - entry(&s, i, j, p);
                delta = delta.max(ds.abs() / (sii * lat(&d, j, p)).sqrt());
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
            toward_into(w, &s, &d, t, p);
            if cholesky_in_place(w, p) {
                // A rejected trial's moments are never read: a later trial's replace them, or
                // none is taken and the solve ends. The trial point m + t·Δm is formed entry by
                // entry where it is read.
                let et = elbo_at(stats, &mc, &Mean::Step(m, w, t), w, &mut mo);
                if et.is_finite() && et >= elbo - tol {
                    // S = S + t·(S⁺ − S), the matrix just factored, formed again in place.
                    toward(&mut s, &d, t, p);
                    for i in 0..p + 2 {
                        *lat_mut(m, i, p) += t * step_at(w, i, p);
                    }
                    elbo = et;
                    taken = true;
                    moved = true;
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
            if !current_factor(rho, &s, moved, w, p) {
                return Err(Error::Overflow);
            }
            loc_chol_into(p, m, w, out)?;
            return Ok(FullReport {
                iterations: it,
                elbo,
                mean_field_elbo: start_elbo,
            });
        }
        prev_delta = delta;
    }
    Err(Error::NotConverged)
}
