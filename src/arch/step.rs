//! One SVI step's Adam pass on hosts: the per-step coefficients ([`Step`]) and the mean-field
//! guide's pass over fixed-length arrays, which the compiler turns into vector instructions
//! (SSE2 on x86_64, NEON on aarch64) without `unsafe` or intrinsics. Microcontrollers keep the
//! scalar pass of `Adam::update`.

#![forbid(unsafe_code)]

use crate::guide::Guide;
use crate::real::Real;
use crate::vector::width;

/// Adam's coefficients of one step, the same for every parameter ([`Adam::advance`](crate::optim::Adam::advance)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step<T> {
    /// β₁ and β₂.
    pub(crate) b1: T,
    pub(crate) b2: T,
    /// 1 − β₁ and 1 − β₂.
    pub(crate) c1: T,
    pub(crate) c2: T,
    /// 1/√(1 − β₂ᵗ).
    pub(crate) inv_sqrt_bc2: T,
    /// lr · scale / (1 − β₁ᵗ).
    pub(crate) step_size: T,
    pub(crate) eps: T,
    pub(crate) clip: T,
    /// Whether `clip` is finite (the gradient is then clamped to ±clip).
    pub(crate) clamp: bool,
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

/// Adam's per-parameter pass with the point before it kept (the step's restore
/// point) and the result checked, for the mean-field guide on hosts: `x` down `g` with the
/// moments `m` and `v`, the values before the step into `prev_x`, `pm` and `pv`. `None` (nothing
/// written) if a gradient entry of the `p` features is not finite; else whether every updated
/// parameter is finite and every ρ at least [`Real::RHO_MIN`]. Entries past `p` are left as
/// they were.
///
/// Over the first [`width`] coefficients and the four scalars (both blocks' intercept and u)
/// as fixed-length arrays: the compiler turns the square roots and divisions into vector
/// instructions, four (f32) or two (f64) at once. The arithmetic per parameter is
/// [`Step::apply`]'s, so the values are those of the scalar pass.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn mean_field_step<T: Real, const P: usize>(
    c: &Step<T>,
    x: &mut Guide<T, P>,
    g: &Guide<T, P>,
    m: &mut Guide<T, P>,
    v: &mut Guide<T, P>,
    prev_x: &mut Guide<T, P>,
    pm: &mut Guide<T, P>,
    pv: &mut Guide<T, P>,
    p: usize,
) -> Option<bool> {
    match width::<P>(p) {
        4 => step_width::<T, P, 4>(c, x, g, m, v, prev_x, pm, pv, p),
        8 => step_width::<T, P, 8>(c, x, g, m, v, prev_x, pm, pv, p),
        16 => step_width::<T, P, 16>(c, x, g, m, v, prev_x, pm, pv, p),
        32 => step_width::<T, P, 32>(c, x, g, m, v, prev_x, pm, pv, p),
        _ => step_width::<T, P, P>(c, x, g, m, v, prev_x, pm, pv, p),
    }
}

/// The first `Q` entries of an array; `None` if Q > P, which no width is ([`width`] is at most
/// the capacity): the caller then leaves everything as it was.
#[inline(always)]
fn head<T, const P: usize, const Q: usize>(a: &mut [T; P]) -> Option<&mut [T; Q]> {
    a.first_chunk_mut::<Q>()
}

/// [`head`] of a shared array.
#[inline(always)]
fn head_ref<T, const P: usize, const Q: usize>(a: &[T; P]) -> Option<&[T; Q]> {
    a.first_chunk::<Q>()
}

/// [`mean_field_step`] over the first `Q` coefficients.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn step_width<T: Real, const P: usize, const Q: usize>(
    c: &Step<T>,
    x: &mut Guide<T, P>,
    g: &Guide<T, P>,
    m: &mut Guide<T, P>,
    v: &mut Guide<T, P>,
    prev_x: &mut Guide<T, P>,
    pm: &mut Guide<T, P>,
    pv: &mut Guide<T, P>,
    p: usize,
) -> Option<bool> {
    let p = p.min(Q);
    // The gradient's entries of the p features, finite (a whole-width pass, no early exit).
    let (gl, gr) = (&g.loc, &g.rho);
    let (Some(gbl), Some(gbr)) = (
        head_ref::<T, P, Q>(&gl.theta.beta),
        head_ref::<T, P, Q>(&gr.theta.beta),
    ) else {
        return None;
    };
    // Both blocks' intercept and u as four lanes: (loc α, loc u, ρ α, ρ u).
    let g4 = [gl.theta.alpha, gl.u, gr.theta.alpha, gr.u];
    let good = if p >= Q {
        // v·0 is ±0 for a finite v and NaN otherwise, and a sum of such terms is ±0 or NaN in
        // any order: the test in floating-point operations over whole vectors (a per-entry
        // `abs() < ∞` becomes 64-bit integer compares, which SSE2 lacks, emulated in f64).
        let zero = T::ZERO;
        let mut acc: [T; 4] = core::array::from_fn(|l| g4[l] * zero);
        for j in 0..Q {
            acc[j % 4] += gbl[j] * zero + gbr[j] * zero;
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) == zero
    } else {
        let fin = |v: T| v.abs() < T::INFINITY;
        let mut good = g4.iter().fold(true, |a, v| a & fin(*v));
        for j in 0..Q {
            good &= (j >= p) | (fin(gbl[j]) & fin(gbr[j]));
        }
        good
    };
    if !good {
        return None;
    }
    // The coefficients' blocks, taken before anything is written.
    let (Some(xl), Some(ml), Some(vl), Some(pxl), Some(pml), Some(pvl)) = (
        head(&mut x.loc.theta.beta),
        head(&mut m.loc.theta.beta),
        head(&mut v.loc.theta.beta),
        head(&mut prev_x.loc.theta.beta),
        head(&mut pm.loc.theta.beta),
        head(&mut pv.loc.theta.beta),
    ) else {
        return None;
    };
    let (Some(xr), Some(mr), Some(vr), Some(pxr), Some(pmr), Some(pvr)) = (
        head(&mut x.rho.theta.beta),
        head(&mut m.rho.theta.beta),
        head(&mut v.rho.theta.beta),
        head(&mut prev_x.rho.theta.beta),
        head(&mut pm.rho.theta.beta),
        head(&mut pv.rho.theta.beta),
    ) else {
        return None;
    };
    let lo = T::RHO_MIN;
    let mut x4 = [x.loc.theta.alpha, x.loc.u, x.rho.theta.alpha, x.rho.u];
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
    ok &= lanes::<T, Q>(c, xl, gbl, ml, vl, pxl, pml, pvl, p, &[-T::INFINITY; Q]);
    ok &= lanes::<T, Q>(c, xr, gbr, mr, vr, pxr, pmr, pvr, p, &[lo; Q]);
    Some(ok)
}

/// One step's update of `N` parameters, the first `live` of them used (the others are kept):
/// their values before it into `px`, `pm`, `pv`; whether every used one is finite and at least
/// its `floor` afterwards.
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
