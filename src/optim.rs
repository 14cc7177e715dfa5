//! Adam with `torch.optim.Adam` semantics, plus Pyro `ClippedAdam`'s element-wise gradient clamp
//! and per-step learning-rate decay.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::family::Family;
#[cfg(not(vireg_compact))]
use crate::family::Pair;
use crate::guide::Guide;
use crate::real::Real;
use crate::rng::Normal;
#[cfg(not(vireg_compact))]
use crate::vector::width;

/// Optimiser settings.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct AdamConfig<T> {
    /// Learning rate (default 1e-2, as in the seed).
    pub lr: T,
    /// β₁ (default 0.9).
    pub beta1: T,
    /// β₂ (default 0.999).
    pub beta2: T,
    /// ε (default 1e-8), added to √ν̂ as torch does.
    pub eps: T,
    /// Each gradient element is clamped to ±clip (ClippedAdam's `clip_norm`); +∞ disables (default).
    pub clip: T,
    /// The learning rate is multiplied by `lrd` before every step (ClippedAdam); 1 disables (default).
    pub lrd: T,
}

impl<T: Real> Default for AdamConfig<T> {
    fn default() -> Self {
        AdamConfig {
            lr: T::c(1e-2),
            beta1: T::c(0.9),
            beta2: T::c(0.999),
            eps: T::c(1e-8),
            clip: T::INFINITY,
            lrd: T::ONE,
        }
    }
}

impl<T: Real> AdamConfig<T> {
    /// Checks ranges: lr > 0 finite, 0 ≤ β < 1, ε ≥ 0 finite, clip > 0 (may be +∞), 0 < lrd ≤ 1.
    pub fn validate(&self) -> Result<()> {
        for v in [self.lr, self.beta1, self.beta2, self.eps, self.lrd] {
            if !v.is_finite() {
                return Err(Error::NonFinite);
            }
        }
        if self.clip.is_nan_value() {
            return Err(Error::NonFinite);
        }
        let ok = self.lr > T::ZERO
            && self.beta1 >= T::ZERO
            && self.beta1 < T::ONE
            && self.beta2 >= T::ZERO
            && self.beta2 < T::ONE
            && self.eps >= T::ZERO
            && self.clip > T::ZERO
            && self.lrd > T::ZERO
            && self.lrd <= T::ONE;
        if ok {
            Ok(())
        } else {
            Err(Error::Config)
        }
    }
}

/// Adam's running state (first and second moments of each parameter's gradient), for the
/// parameters of a guide of family `G` (mean-field by default), the moments in the family's
/// own layout.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Adam<T: Normal, const P: usize, G: Family<T, P> = Guide<T, P>> {
    pub(crate) step: u64,
    pub(crate) lr: T,
    pub(crate) b1t: T,
    pub(crate) b2t: T,
    /// Zero: makes the scalars before the moments even in number, so that neither precision
    /// pads the struct (every byte of a fit is defined; see `Fit`).
    pub(crate) pad: T,
    pub(crate) mv: G::Moments,
}

impl<T: Normal, const P: usize, G: Family<T, P>> Adam<T, P, G> {
    /// Fresh state with the configured learning rate.
    pub fn new(cfg: &AdamConfig<T>) -> Self {
        Adam {
            step: 0,
            lr: cfg.lr,
            b1t: T::ONE,
            b2t: T::ONE,
            pad: T::ZERO,
            mv: G::moments_zeros(),
        }
    }

    /// Number of updates done.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The learning rate that the next step will use (after decay).
    pub fn lr(&self) -> T {
        self.lr
    }

    /// Advances the step count, the learning rate's decay and β's powers by one step, and
    /// returns the coefficients [`Step::apply`] uses for every parameter in that step, with the
    /// learning rate scaled by `lr_scale` (1 for plain Adam; the SVI loop uses it for its
    /// final-stretch schedule).
    #[inline(always)]
    pub(crate) fn advance(&mut self, cfg: &AdamConfig<T>, lr_scale: T) -> Step<T> {
        self.step += 1;
        self.lr *= cfg.lrd;
        self.b1t *= cfg.beta1;
        self.b2t *= cfg.beta2;
        let bc1 = T::ONE - self.b1t;
        let inv_sqrt_bc2 = T::ONE / (T::ONE - self.b2t).sqrt();
        let step_size = self.lr * lr_scale / bc1;
        let (b1, b2) = (cfg.beta1, cfg.beta2);
        Step {
            b1,
            b2,
            c1: T::ONE - b1,
            c2: T::ONE - b2,
            inv_sqrt_bc2,
            step_size,
            eps: cfg.eps,
            clip: cfg.clip,
            clamp: cfg.clip < T::INFINITY,
        }
    }

    /// One update of `params` down the loss gradient `grad`, with the learning rate scaled by
    /// `lr_scale` (see [`Adam::advance`]). Microcontrollers; hosts fold it into the step's
    /// checks (`Ops::adam_step`).
    #[cfg(vireg_compact)]
    pub(crate) fn update(
        &mut self,
        cfg: &AdamConfig<T>,
        params: &mut G,
        grad: &G,
        p: usize,
        lr_scale: T,
    ) {
        let c = self.advance(cfg, lr_scale);
        G::zip4(params, grad, &mut self.mv, p, |x, g, m, v| {
            c.apply(x, g, m, v)
        });
    }
}

/// Adam's coefficients of one step, the same for every parameter ([`Adam::advance`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step<T> {
    b1: T,
    b2: T,
    c1: T,
    c2: T,
    inv_sqrt_bc2: T,
    step_size: T,
    eps: T,
    clip: T,
    clamp: bool,
}

impl<T: Real> Step<T> {
    /// One parameter's update: `x` down its gradient `g`, with its moments `m` and `v`
    /// (`torch.optim.Adam`'s arithmetic, the gradient first clamped to ±clip if finite).
    #[inline(always)]
    pub(crate) fn apply(&self, x: &mut T, g: T, m: &mut T, v: &mut T) {
        let g = if self.clamp {
            g.max(-self.clip).min(self.clip)
        } else {
            g
        };
        *m = self.b1 * *m + self.c1 * g;
        *v = self.b2 * *v + self.c2 * g * g;
        let denom = v.sqrt() * self.inv_sqrt_bc2 + self.eps;
        *x -= self.step_size * *m / denom;
    }
}

/// [`Adam::update`]'s per-parameter pass with the point before it kept (the step's restore
/// point) and the result checked, for the mean-field guide on hosts: `x` down `g` with the
/// moments `mv`, the values before the step into `prev_x` and `prev_mv`. `None` (nothing
/// written) if a gradient entry of the `p` features is not finite; else whether every updated
/// parameter is finite and every ρ at least [`Real::RHO_MIN`]. Entries past `p` are left as
/// they were.
///
/// Over the first [`width`] coefficients and the four scalars (both blocks' intercept and u)
/// as fixed-length arrays: the compiler turns the square roots and divisions into vector
/// instructions, four (f32) or two (f64) at once. The arithmetic per parameter is
/// [`Step::apply`]'s, so the values are those of the scalar pass.
#[cfg(not(vireg_compact))]
#[inline(always)]
pub(crate) fn mean_field_step<T: Normal, const P: usize>(
    c: &Step<T>,
    x: &mut Guide<T, P>,
    g: &Guide<T, P>,
    mv: &mut Pair<Guide<T, P>>,
    prev_x: &mut Guide<T, P>,
    prev_mv: &mut Pair<Guide<T, P>>,
    p: usize,
) -> Option<bool> {
    match width::<P>(p) {
        4 => step_width::<T, P, 4>(c, x, g, mv, prev_x, prev_mv, p),
        8 => step_width::<T, P, 8>(c, x, g, mv, prev_x, prev_mv, p),
        16 => step_width::<T, P, 16>(c, x, g, mv, prev_x, prev_mv, p),
        32 => step_width::<T, P, 32>(c, x, g, mv, prev_x, prev_mv, p),
        _ => step_width::<T, P, P>(c, x, g, mv, prev_x, prev_mv, p),
    }
}

/// The first `Q` (≤ P) entries of an array.
#[cfg(not(vireg_compact))]
#[inline(always)]
fn head<T, const P: usize, const Q: usize>(a: &mut [T; P]) -> &mut [T; Q] {
    a.first_chunk_mut::<Q>()
        .expect("a width is at most the capacity")
}

/// [`head`] of a shared array.
#[cfg(not(vireg_compact))]
#[inline(always)]
fn head_ref<T, const P: usize, const Q: usize>(a: &[T; P]) -> &[T; Q] {
    a.first_chunk::<Q>()
        .expect("a width is at most the capacity")
}

/// [`mean_field_step`] over the first `Q` coefficients.
#[cfg(not(vireg_compact))]
#[inline(always)]
fn step_width<T: Normal, const P: usize, const Q: usize>(
    c: &Step<T>,
    x: &mut Guide<T, P>,
    g: &Guide<T, P>,
    mv: &mut Pair<Guide<T, P>>,
    prev_x: &mut Guide<T, P>,
    prev_mv: &mut Pair<Guide<T, P>>,
    p: usize,
) -> Option<bool> {
    let p = p.min(Q);
    // The gradient's entries of the p features, finite (a whole-width pass, no early exit).
    let fin = |v: T| v.abs() < T::INFINITY;
    let (gl, gr) = (&g.loc, &g.rho);
    let mut good = fin(gl.theta.alpha) & fin(gl.u) & fin(gr.theta.alpha) & fin(gr.u);
    let (gbl, gbr) = (
        head_ref::<T, P, Q>(&gl.theta.beta),
        head_ref::<T, P, Q>(&gr.theta.beta),
    );
    if p >= Q {
        for j in 0..Q {
            good &= fin(gbl[j]) & fin(gbr[j]);
        }
    } else {
        for j in 0..Q {
            good &= (j >= p) | (fin(gbl[j]) & fin(gbr[j]));
        }
    }
    if !good {
        return None;
    }
    let lo = T::RHO_MIN;
    let Pair { m, v } = mv;
    let Pair { m: pm, v: pv } = prev_mv;
    // Both blocks' intercept and u as four lanes: (loc α, loc u, ρ α, ρ u).
    let mut x4 = [x.loc.theta.alpha, x.loc.u, x.rho.theta.alpha, x.rho.u];
    let g4 = [gl.theta.alpha, gl.u, gr.theta.alpha, gr.u];
    let mut m4 = [m.loc.theta.alpha, m.loc.u, m.rho.theta.alpha, m.rho.u];
    let mut v4 = [v.loc.theta.alpha, v.loc.u, v.rho.theta.alpha, v.rho.u];
    let (mut px4, mut pm4, mut pv4) = ([T::ZERO; 4], [T::ZERO; 4], [T::ZERO; 4]);
    let floor4 = [-T::INFINITY, -T::INFINITY, lo, lo];
    let mut ok = lanes(
        c, &mut x4, &g4, &mut m4, &mut v4, &mut px4, &mut pm4, &mut pv4, 4, &floor4,
    );
    [x.loc.theta.alpha, x.loc.u, x.rho.theta.alpha, x.rho.u] = x4;
    [m.loc.theta.alpha, m.loc.u, m.rho.theta.alpha, m.rho.u] = m4;
    [v.loc.theta.alpha, v.loc.u, v.rho.theta.alpha, v.rho.u] = v4;
    [
        prev_x.loc.theta.alpha,
        prev_x.loc.u,
        prev_x.rho.theta.alpha,
        prev_x.rho.u,
    ] = px4;
    [pm.loc.theta.alpha, pm.loc.u, pm.rho.theta.alpha, pm.rho.u] = pm4;
    [pv.loc.theta.alpha, pv.loc.u, pv.rho.theta.alpha, pv.rho.u] = pv4;
    ok &= lanes::<T, Q>(
        c,
        head(&mut x.loc.theta.beta),
        gbl,
        head(&mut m.loc.theta.beta),
        head(&mut v.loc.theta.beta),
        head(&mut prev_x.loc.theta.beta),
        head(&mut pm.loc.theta.beta),
        head(&mut pv.loc.theta.beta),
        p,
        &[-T::INFINITY; Q],
    );
    ok &= lanes::<T, Q>(
        c,
        head(&mut x.rho.theta.beta),
        gbr,
        head(&mut m.rho.theta.beta),
        head(&mut v.rho.theta.beta),
        head(&mut prev_x.rho.theta.beta),
        head(&mut pm.rho.theta.beta),
        head(&mut pv.rho.theta.beta),
        p,
        &[lo; Q],
    );
    Some(ok)
}

/// One step's update of `N` parameters, the first `live` of them used (the others are kept):
/// their values before it into `px`, `pm`, `pv`; whether every used one is finite and at least
/// its `floor` afterwards.
#[cfg(not(vireg_compact))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lanes<T: Real, const N: usize>(
    c: &Step<T>,
    x: &mut [T; N],
    g: &[T; N],
    m: &mut [T; N],
    v: &mut [T; N],
    px: &mut [T; N],
    pm: &mut [T; N],
    pv: &mut [T; N],
    live: usize,
    floor: &[T; N],
) -> bool {
    // Every lane used (the seed's case, p at the width): no selects.
    if live >= N {
        lanes_of::<T, N, true>(c, x, g, m, v, px, pm, pv, live, floor)
    } else {
        lanes_of::<T, N, false>(c, x, g, m, v, px, pm, pv, live, floor)
    }
}

/// [`lanes`], knowing whether every lane is used (`ALL`).
#[cfg(not(vireg_compact))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lanes_of<T: Real, const N: usize, const ALL: bool>(
    c: &Step<T>,
    x: &mut [T; N],
    g: &[T; N],
    m: &mut [T; N],
    v: &mut [T; N],
    px: &mut [T; N],
    pm: &mut [T; N],
    pv: &mut [T; N],
    live: usize,
    floor: &[T; N],
) -> bool {
    *px = *x;
    *pm = *m;
    *pv = *v;
    // Step::apply's arithmetic, one operation over all the lanes at a time (straight-line
    // array operations, which the compiler packs into vector instructions).
    let (clip, g) = (c.clip, *g);
    let g: [T; N] = if c.clamp {
        core::array::from_fn(|j| g[j].max(-clip).min(clip))
    } else {
        g
    };
    let mn: [T; N] = core::array::from_fn(|j| c.b1 * m[j] + c.c1 * g[j]);
    let vn: [T; N] = core::array::from_fn(|j| c.b2 * v[j] + c.c2 * g[j] * g[j]);
    let den: [T; N] = core::array::from_fn(|j| vn[j].sqrt() * c.inv_sqrt_bc2 + c.eps);
    let xn: [T; N] = core::array::from_fn(|j| x[j] - c.step_size * mn[j] / den[j]);
    let mut bad = 0u32;
    for j in 0..N {
        let on = ALL || j < live;
        x[j] = if on { xn[j] } else { x[j] };
        m[j] = if on { mn[j] } else { m[j] };
        v[j] = if on { vn[j] } else { v[j] };
        let good = (xn[j].abs() < T::INFINITY) & (xn[j] >= floor[j]);
        bad |= u32::from(on & !good);
    }
    bad == 0
}
