//! The full-rank guide's loss (−ELBO) and its gradient: exact under q (closed form, from the
//! data summary) or Pyro's sampled loss for given standard-normal draws (docs/full-rank.md,
//! §2–4).

#![forbid(unsafe_code)]

use super::{
    entry, entry_mut, lat, lat_mut, tril_clear, tril_entry, tril_entry_mut, tril_zeros, zeros,
    FullGuide, Square, Tril,
};
use crate::math::softplus::softplus_sigmoid;
use crate::model::{log_joint_grad, ModelConsts, Prior};
use crate::real::{Real, LN_2PI};
use crate::stats::Stats;
use crate::vector::{Coefs, Latent};

/// Entry (i, j) of the summary's unit upper-triangular R̄, 0 ≤ i, j ≤ p.
#[inline]
pub(crate) fn rbar<T: Real, const P: usize>(st: &Stats<T, P>, i: usize, j: usize) -> T {
    if i == j {
        T::ONE
    } else if i < j {
        st.rbar[i][j - 1]
    } else {
        T::ZERO
    }
}

/// A lower-triangular factor L read entry by entry (i ≥ j, latent order): a stored matrix
/// ([`Factor::Stored`]), or the guide's diag(s)·T computed on the fly ([`OfGuide`]), which
/// keeps the gradient's passes free of (P+2)² temporaries on the stack.
pub(crate) trait Lower<T> {
    /// L_ij for j ≤ i.
    fn l(&self, i: usize, j: usize) -> T;
}

/// The factor [`moments`] reads: a stored lower-triangular matrix (`p` features; the exact
/// solver's), or the guide's diag(s)·T (SVI's). One type, not a type parameter: one copy of
/// `moments` serves both (flash).
pub(crate) enum Factor<'a, T, const P: usize> {
    /// A stored lower-triangular matrix, `p` features.
    Stored(&'a Square<T, P>, usize),
    /// The guide's factor, read on the fly.
    Guide(&'a OfGuide<'a, T, P>),
}

impl<T: Real, const P: usize> Lower<T> for Factor<'_, T, P> {
    /// Out of line on microcontrollers (as [`entry`]): `moments` reads L at many sites.
    #[cfg_attr(vireg_compact, inline(never))]
    #[cfg_attr(not(vireg_compact), inline)]
    fn l(&self, i: usize, j: usize) -> T {
        match self {
            Factor::Stored(m, p) => entry(m, i, j, *p),
            Factor::Guide(g) => g.l(i, j),
        }
    }
}

/// The guide's factor L = diag(s)·T: s = softplus(ρ) kept, T read from the guide.
pub(crate) struct OfGuide<'a, T, const P: usize> {
    pub s: Latent<T, P>,
    pub tril: &'a Tril<T, P>,
    pub p: usize,
}

impl<T: Real, const P: usize> Lower<T> for OfGuide<'_, T, P> {
    #[inline]
    fn l(&self, i: usize, j: usize) -> T {
        let si = lat(&self.s, i, self.p);
        if i == j {
            si
        } else {
            si * tril_entry(self.tril, i, j, self.p)
        }
    }
}

/// The mean of q for [`moments`]: a vector, or the exact solver's trial point m + t·Δm, each
/// entry formed where it is read (no trial vector on the solver's stack), Δm read where the
/// solver keeps it, in the upper triangle of its work matrix ([`step_at`]).
pub(crate) enum Mean<'a, T, const P: usize> {
    /// The vector itself.
    At(&'a Latent<T, P>),
    /// m + t·Δm: m, the matrix holding Δm, t.
    Step(&'a Latent<T, P>, &'a Square<T, P>, T),
}

impl<T: Real, const P: usize> Mean<'_, T, P> {
    /// The vector m (the trial point's base).
    fn base(&self) -> &Latent<T, P> {
        match self {
            Mean::At(m) | Mean::Step(m, _, _) => m,
        }
    }

    /// Entry `i` (latent order, `p` features).
    #[cfg_attr(vireg_compact, inline(never))]
    #[cfg_attr(not(vireg_compact), inline)]
    fn at(&self, i: usize, p: usize) -> T {
        match self {
            Mean::At(m) => lat(m, i, p),
            Mean::Step(m, w, t) => lat(m, i, p) + *t * step_at(w, i, p),
        }
    }
}

/// Entry `i` (latent order, `p` ≥ 1 features) of the step Δm, kept in the strictly-upper
/// triangle of the work matrix `w`, which holds Cholesky factors in its lower one: entries
/// 0..=p at (0, i + 1), entry p + 1 at (1, 2). Out of line on microcontrollers, as [`entry`].
/// Here, beside [`Mean`], which reads it: the solver (`exact`) writes it.
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(super) fn step_at<T: Real, const P: usize>(w: &Square<T, P>, i: usize, p: usize) -> T {
    if i <= p {
        entry(w, 0, i + 1, p)
    } else {
        entry(w, 1, 2, p)
    }
}

/// Mutable entry `i` of the step Δm (see [`step_at`]).
pub(super) fn step_mut<T: Real, const P: usize>(
    w: &mut Square<T, P>,
    i: usize,
    p: usize,
) -> &mut T {
    if i <= p {
        entry_mut(w, 0, i + 1, p)
    } else {
        entry_mut(w, 1, 2, p)
    }
}

/// The expectations under q = N(m, L·Lᵀ) that the ELBO, its gradient and the exact solver
/// need.
#[derive(Clone, Copy)]
pub(crate) struct Moments<T, const P: usize> {
    /// λ = E[e^{−2u}] = e^{−2m_u + 2S_uu}.
    pub lam: T,
    /// κ = E[e^{2u}] = e^{2m_u + 2S_uu}.
    pub kap: T,
    /// r = G·m̃ − b at the tilted mean m̃ = m_θ − 2S_θu.
    pub r: Coefs<T, P>,
    /// RSS(m̃) + tr(G·S_θθ).
    pub erss: T,
    /// The ELBO without the entropy's Σ ln s.
    pub elbo_no_lns: T,
}

impl<T: Real, const P: usize> Moments<T, P> {
    /// Zeros, a slot for [`moments`] to fill.
    pub(crate) fn zeroed() -> Self {
        Moments {
            lam: T::ZERO,
            kap: T::ZERO,
            r: Coefs::splat(T::ZERO),
            erss: T::ZERO,
            elbo_no_lns: T::ZERO,
        }
    }
}

/// The moments of q = N(m, L·Lᵀ) for the lower-triangular `l` into `out` (the caller's slot,
/// r written there by the residual's gradient: no second r on this frame), and R̄·L_θ (rows
/// and columns 0..=p) into `rl` when given (the analytic gradient's; the exact solver's ELBO
/// evaluations do without the (P+2)² matrix on its stack).
pub(crate) fn moments<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    m: &Mean<'_, T, P>,
    l: &Factor<'_, T, P>,
    mut rl: Option<&mut Square<T, P>>,
    out: &mut Moments<T, P>,
) {
    let p = stats.features();
    let (k, u) = (p + 1, p + 1);
    let mut suu = T::ZERO;
    for j in 0..=u {
        let x = l.l(u, j);
        suu += x * x;
    }
    // m̃ = m_θ − 2S_θu, S_θu,i = Σ_{j ≤ i} L_ij·L_uj; the prior's quadratic with S_ii.
    let two = T::c(2.0);
    let half = T::c(0.5);
    // Entries past p are m's, never read.
    let mut mt = m.base().theta;
    let mut quad = T::ZERO;
    for i in 0..k {
        let (mut sui, mut sii) = (T::ZERO, T::ZERO);
        for j in 0..=i {
            let lij = l.l(i, j);
            sui += lij * l.l(u, j);
            sii += lij * lij;
        }
        let mi = m.at(i, p);
        mt[i] = mi - two * sui;
        quad += (mi * mi + sii) * mc.prec[i];
    }
    // On microcontrollers the triangle's loops in this frame (`Stats::rss_grad`'s body there,
    // inlined): one frame less below the exact solver's matrices.
    #[cfg(vireg_compact)]
    let rss = stats.rss_grad_tri(&mt, &mut out.r);
    #[cfg(not(vireg_compact))]
    let rss = stats.rss_grad(&mt, &mut out.r);
    // tr(G·S_θθ) = Σ_i d_i·‖(R̄·L_θ)_i‖², no G formed.
    let mut tr = T::ZERO;
    for i in 0..k {
        let mut row = T::ZERO;
        for c in 0..k {
            let mut v = T::ZERO;
            for j in i.max(c)..k {
                v += rbar(stats, i, j) * l.l(j, c);
            }
            if let Some(rl) = rl.as_deref_mut() {
                *entry_mut(rl, i, c, p) = v;
            }
            row += v * v;
        }
        tr += stats.d[i] * row;
    }
    let erss = rss + tr;
    let mu = m.at(u, p);
    let lam = (two * suu - two * mu).exp();
    let kap = (two * suu + two * mu).exp();
    let d = T::from_i32(p as i32 + 2);
    out.elbo_no_lns =
        mc.log_norm - half * quad - half * kap * mc.inv_ts2 + mu - mc.n * mu - half * lam * erss
            + d * T::c(0.5 * (LN_2PI + 1.0));
    out.lam = lam;
    out.kap = kap;
    out.erss = erss;
}

/// Entry `i` (latent order, `p` features) of E_q[g], g = ∇_z log p(y, z): −T⁻¹m_θ − λr for θ,
/// −κ/τ_σ² + 1 − N + λ·E for u. Read entry by entry where it is needed (the exact solver's
/// step, the analytic gradient): no vector of them on the stack. Out of line on
/// microcontrollers (each call site would hold the two branches).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(crate) fn expected_g_at<T: Real, const P: usize>(
    mc: &ModelConsts<T, P>,
    m: &Latent<T, P>,
    mo: &Moments<T, P>,
    i: usize,
    p: usize,
) -> T {
    if i <= p {
        -mc.prec[i] * m.theta[i] - mo.lam * mo.r[i]
    } else {
        -mo.kap * mc.inv_ts2 + T::ONE - mc.n + mo.lam * mo.erss
    }
}

/// The loss's gradient into `grad` from the ELBO's: with respect to m, −E_q[g]; with respect
/// to L's lower triangle, −(E_q[H]·L) (H the Hessian of log p; the entropy's 1/s added on the
/// diagonal), taken through L = diag(s)·T to ρ and T's strictly-lower entries (`to_params`).
/// E_q[H]·L is formed row by row and used at once: no (P+2)² temporary.
#[allow(clippy::too_many_arguments)]
fn analytic_grad<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    loc: &Latent<T, P>,
    rho: &Latent<T, P>,
    tril: &Tril<T, P>,
    l: &OfGuide<'_, T, P>,
    mo: &Moments<T, P>,
    rl: &Square<T, P>,
    grad: &mut FullGuide<T, P>,
) {
    let p = stats.features();
    let (k, u) = (p + 1, p + 1);
    let two = T::c(2.0);
    let huu = -two * mo.kap * mc.inv_ts2 - two * mo.lam * mo.erss;
    // Read through `Factor`: its reader is out of line on microcontrollers.
    let l = Factor::Guide(l);
    tril_clear(&mut grad.tril);
    for j in 0..=u {
        // Row j of E_q[H]·L, entries c ≤ j (the lower triangle is all the chain rule needs):
        // θ rows −T⁻¹L_θ − λ·G·L_θ + 2λ·r·L_u with G·L_θ = R̄ᵀ·(d ⊙ R̄·L_θ); the u row
        // 2λ·rᵀL_θ + H_uu·L_u. Kept where `to_params` reads it, in `grad`'s row j: no row
        // on this frame.
        for c in 0..=j {
            let h = if j < k {
                let mut gl = T::ZERO;
                for i in 0..=j {
                    gl += rbar(stats, i, j) * stats.d[i] * entry(rl, i, c, p);
                }
                -mc.prec[j] * l.l(j, c) - mo.lam * gl + two * mo.lam * mo.r[j] * l.l(u, c)
            } else {
                let mut v = T::ZERO;
                for i in c.min(k)..k {
                    v += mo.r[i] * l.l(i, c);
                }
                two * mo.lam * v + huu * l.l(u, c)
            };
            *row_mut(grad, j, c, p) = h;
        }
        *lat_mut(&mut grad.loc, j, p) = -expected_g_at(mc, loc, mo, j, p);
        to_params(rho, tril, p, j, T::ONE, grad);
    }
}

/// Where [`to_params`] reads ∂ELBO/∂L_ij (j ≤ i) before it writes row i of the gradient over
/// it: T's entry (i, j) of `grad` below the diagonal, ρ_i on it.
fn row_mut<T: Real, const P: usize>(
    grad: &mut FullGuide<T, P>,
    i: usize,
    j: usize,
    p: usize,
) -> &mut T {
    if j < i {
        tril_entry_mut(&mut grad.tril, i, j, p)
    } else {
        lat_mut(&mut grad.rho, i, p)
    }
}

/// Row i of the chain rule through L = diag(s)·T: from ∂ELBO/∂L_ij (j ≤ i; the entropy's 1/s_i
/// not included), `scale` times what [`row_mut`] finds in `grad`, to the loss's gradient with
/// respect to ρ_i and T_ij (j < i), written over it (each entry once read). Out of line on
/// microcontrollers (two call sites).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
fn to_params<T: Real, const P: usize>(
    rho: &Latent<T, P>,
    tril: &Tril<T, P>,
    p: usize,
    i: usize,
    scale: T,
    grad: &mut FullGuide<T, P>,
) {
    let (s, sig) = softplus_sigmoid(lat(rho, i, p));
    // ∂/∂s_i = Σ_{j ≤ i} ∂/∂L_ij·T_ij + 1/s_i; ∂/∂T_ij = ∂/∂L_ij·s_i (j < i).
    let mut ds = lat(&grad.rho, i, p) * scale + T::ONE / s;
    for j in 0..i {
        let gij = tril_entry_mut(&mut grad.tril, i, j, p);
        let g = *gij * scale;
        ds += g * tril_entry(tril, i, j, p);
        *gij = -g * s;
    }
    *lat_mut(&mut grad.rho, i, p) = -ds * sig;
}

/// Σ ln s_d over the p + 2 scales `s`.
fn sum_ln_scale<T: Real, const P: usize>(s: &Latent<T, P>, p: usize) -> T {
    let mut lns = T::ZERO;
    for i in 0..p + 2 {
        lns += lat(s, i, p).ln();
    }
    lns
}

/// The factor L of a guide of scale parameters `rho` and unit lower-triangular entries
/// `tril`, read on the fly.
fn of_guide<'a, T: Real, const P: usize>(
    rho: &Latent<T, P>,
    tril: &'a Tril<T, P>,
    p: usize,
) -> OfGuide<'a, T, P> {
    let mut s = *rho;
    for i in 0..p + 2 {
        let r = lat_mut(&mut s, i, p);
        *r = softplus_sigmoid(*r).0;
    }
    OfGuide { s, tril, p }
}

/// The exact loss (−ELBO) of the full-rank guide, from the data summary (docs/full-rank.md,
/// §2), and its gradient with respect to (loc, rho, tril's strictly-lower entries) into `grad`
/// when given (zeros on and above tril's diagonal).
pub fn analytic_loss_grad<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &FullGuide<T, P>,
    grad: Option<&mut FullGuide<T, P>>,
) -> T {
    let mc = ModelConsts::new(stats, prior);
    analytic_with(stats, &mc, guide, grad)
}

/// [`analytic_loss_grad`] with the model's constants computed once by the caller.
pub(crate) fn analytic_with<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    guide: &FullGuide<T, P>,
    grad: Option<&mut FullGuide<T, P>>,
) -> T {
    analytic_loss(stats, mc, &guide.loc, &guide.rho, &guide.tril, grad)
}

/// The exact loss of the guide (`loc`, `rho`, `tril`), and its gradient into `grad` when
/// given. The parts apart: a run's convergence block keeps them apart (`Ops::SPARE_BLOCK`).
/// One function for both (less flash on microcontrollers): R̄·L_θ, which only the gradient
/// reads, is kept there either way; hosts keep it only for the gradient. [`moments`] computes
/// the same loss either way.
#[inline(never)]
pub(crate) fn analytic_loss<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    loc: &Latent<T, P>,
    rho: &Latent<T, P>,
    tril: &Tril<T, P>,
    grad: Option<&mut FullGuide<T, P>>,
) -> T {
    let p = stats.features();
    let l = of_guide(rho, tril, p);
    let keep_rl = cfg!(vireg_compact) || grad.is_some();
    let mut rl = zeros::<T, P>();
    let mut mo = Moments::zeroed();
    moments(
        stats,
        mc,
        &Mean::At(loc),
        &Factor::Guide(&l),
        keep_rl.then_some(&mut rl),
        &mut mo,
    );
    let elbo = mo.elbo_no_lns + sum_ln_scale(&l.s, p);
    if let Some(grad) = grad {
        analytic_grad(stats, mc, loc, rho, tril, &l, &mo, &rl, grad);
    }
    -elbo
}

/// Pyro's `Trace_ELBO` loss with this guide over `particles` draws, and its gradient into
/// `grad` (as [`analytic_loss_grad`]'s): for each particle k, `eps(k, ε)` fills the
/// standard-normal vector ε (its p + 2 latent entries), z = m + L·ε, and the particle's loss
/// is −(log p(y, z) − log q(z)) with log q(z) = −Σ ln s − (p+2)/2·ln 2π − ‖ε‖²/2; the loss
/// and the gradient are the particles' means. `particles` = 0 is taken as 1.
pub fn mc_loss_grad<T: Real, const P: usize, F: FnMut(usize, &mut Latent<T, P>)>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &FullGuide<T, P>,
    particles: usize,
    eps: F,
    grad: &mut FullGuide<T, P>,
) -> T {
    let mc = ModelConsts::new(stats, prior);
    mc_with(stats, &mc, guide, particles, eps, grad)
}

/// [`mc_loss_grad`] with the model's constants computed once by the caller.
pub(crate) fn mc_with<T: Real, const P: usize, F: FnMut(usize, &mut Latent<T, P>)>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    guide: &FullGuide<T, P>,
    particles: usize,
    mut eps: F,
    grad: &mut FullGuide<T, P>,
) -> T {
    let p = stats.features();
    let u = p + 1;
    let l = of_guide(&guide.rho, &guide.tril, p);
    // Read through `Factor`: its reader is out of line on microcontrollers.
    let lf = Factor::Guide(&l);
    let lns = sum_ln_scale(&l.s, p);
    let kk = particles.max(1);
    let half = T::c(0.5);
    // The particles' sums of g and of g·εᵀ accumulate in `grad` itself: no (P+2)² temporary.
    // The strictly-lower triangle in `tril`, the diagonal in `rho` (which the chain rule below
    // writes row by row, each row's after reading its diagonal).
    *grad = FullGuide {
        loc: Latent::splat(T::ZERO),
        rho: Latent::splat(T::ZERO),
        tril: tril_zeros(),
    };
    let mut loss = T::ZERO;
    for k in 0..kk {
        let mut e = Latent::splat(T::ZERO);
        eps(k, &mut e);
        let mut z = guide.loc;
        for i in 0..=u {
            let mut v = lat(&guide.loc, i, p);
            for j in 0..=i {
                v += lf.l(i, j) * lat(&e, j, p);
            }
            *lat_mut(&mut z, i, p) = v;
        }
        let mut gth = Coefs::splat(T::ZERO);
        let (lp, gu) = log_joint_grad(stats, mc, &z.theta, z.u, &mut gth);
        let mut ee = T::ZERO;
        for i in 0..=u {
            let ei = lat(&e, i, p);
            ee += ei * ei;
            let gi = if i == u { gu } else { gth[i] };
            *lat_mut(&mut grad.loc, i, p) += gi;
            for j in 0..i {
                *tril_entry_mut(&mut grad.tril, i, j, p) += gi * lat(&e, j, p);
            }
            *lat_mut(&mut grad.rho, i, p) += gi * ei;
        }
        let log_q = -lns - T::from_i32(p as i32 + 2) * T::c(0.5 * LN_2PI) - half * ee;
        loss -= lp - log_q;
    }
    let inv = T::ONE / T::from_i32(kk as i32);
    for i in 0..=u {
        let gm = lat_mut(&mut grad.loc, i, p);
        *gm = -*gm * inv;
        to_params(&guide.rho, &guide.tril, p, i, inv, grad);
    }
    loss * inv
}
