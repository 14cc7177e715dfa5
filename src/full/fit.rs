//! The full-rank guide as a variational family ([`Ops`]): what the SVI loop of a
//! [`FullFit`](crate::FullFit) needs of it. The SVI loop, Adam, the iterate average and the
//! divergence rollback are the mean-field fit's (the guide's `tril` entries are parameters like
//! loc and ρ).

#![forbid(unsafe_code)]

use super::elbo::{analytic_loss, analytic_with, mc_with};
use super::{lat, lat_mut, slot_mut, tril_entry, tril_entry_mut, tril_zeros, FullGuide, Tril};
use crate::error::Result;
use crate::estimator::Estimator;
#[cfg(not(vireg_compact))]
use crate::family::zip4_blocks;
use crate::family::{zip_blocks, Family, Ops};
use crate::guide::Guide;
use crate::model::{ModelConsts, Prior};
use crate::rng::{Normal, SeededRng};
use crate::stats::Stats;
use crate::vector::Latent;
use core::mem::size_of;

impl<T: Normal, const P: usize> Family<T, P> for FullGuide<T, P> {}

/// Adam's moments of a full-rank guide. The locations' and scales' first and second moments
/// are latent vectors; those of T's strictly-lower entries share one [`Tril`]. A `Tril` is a
/// (P+2)×(P+1) rectangle of which the triangle fills the slots below the diagonal, (P+2)(P+1)/2
/// of them, and leaves as many free: the first moment of entry (r, c), c < r (rows and
/// columns counted in memory, the u row last whatever p is), is stored at (r, c), and its
/// second moment at (c, r − 1), the free slot the transposed triangle shifted by one column
/// lands on. One `Tril` where two copies of the guide's shape would take two.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct FullMoments<T, const P: usize> {
    m_loc: Latent<T, P>,
    m_rho: Latent<T, P>,
    v_loc: Latent<T, P>,
    v_rho: Latent<T, P>,
    tril: Tril<T, P>,
}

/// The free slot of a [`Tril`] that holds the second value kept for T's entry (r, c), c < r
/// (rows and columns counted in memory): (c, r − 1), where the transposed triangle shifted by
/// one column lands ([`FullMoments`]' second moments, a run's iterate average beside its
/// convergence block: [`Ops::SPARE_BLOCK`]).
#[inline(always)]
const fn spare(r: usize, c: usize) -> (usize, usize) {
    (c, r - 1)
}

/// The memory row of latent `i` for `p` features (`Latent::at`'s mapping: the u row last).
#[inline(always)]
fn mem_row<const P: usize>(i: usize, p: usize) -> usize {
    if i == p + 1 {
        P + 1
    } else {
        i
    }
}

/// Parameter `k` of latent `i` in `x` (k = 0 its location, 1 its ρ, 2 + j T's entry (i, j)):
/// the full-rank `zip4`'s single loop on microcontrollers.
#[cfg(vireg_compact)]
#[inline(never)]
fn param<T, const P: usize>(x: &mut FullGuide<T, P>, k: usize, i: usize, p: usize) -> &mut T {
    match k {
        0 => lat_mut(&mut x.loc, i, p),
        1 => lat_mut(&mut x.rho, i, p),
        _ => tril_entry_mut(&mut x.tril, i, k - 2, p),
    }
}

/// [`param`] of a value read only.
#[cfg(vireg_compact)]
#[inline(never)]
fn param_of<T: Copy, const P: usize>(x: &FullGuide<T, P>, k: usize, i: usize, p: usize) -> T {
    match k {
        0 => lat(&x.loc, i, p),
        1 => lat(&x.rho, i, p),
        _ => tril_entry(&x.tril, i, k - 2, p),
    }
}

/// The first (or, `second`, the second) moment of [`param`] `k` of latent `i`, whose T row is
/// stored in memory row `r`.
#[cfg(vireg_compact)]
#[inline(never)]
fn moment<T, const P: usize>(
    mv: &mut FullMoments<T, P>,
    k: usize,
    i: usize,
    r: usize,
    p: usize,
    second: bool,
) -> &mut T {
    match (k, second) {
        (0, false) => lat_mut(&mut mv.m_loc, i, p),
        (0, true) => lat_mut(&mut mv.v_loc, i, p),
        (1, false) => lat_mut(&mut mv.m_rho, i, p),
        (1, true) => lat_mut(&mut mv.v_rho, i, p),
        (_, false) => slot_mut(&mut mv.tril, r, k - 2),
        (_, true) => {
            let (a, b) = spare(r, k - 2);
            slot_mut(&mut mv.tril, a, b)
        }
    }
}

#[allow(private_interfaces)]
impl<T: Normal, const P: usize> Ops<T, P> for FullGuide<T, P> {
    const FIELDS: usize = (2 * (P + 2) + (P + 2) * (P + 1)) * size_of::<T>();

    type Moments = FullMoments<T, P>;

    const MOMENT_FIELDS: usize = (4 * (P + 2) + (P + 2) * (P + 1)) * size_of::<T>();

    fn init(prior: &Prior<T>, init_scale: T) -> Result<Self> {
        FullGuide::init(prior, init_scale)
    }

    fn zeros() -> Self {
        let z = Latent::splat(T::ZERO);
        FullGuide {
            loc: z,
            rho: z,
            tril: tril_zeros(),
        }
    }

    fn moments_zeros() -> FullMoments<T, P> {
        let z = Latent::splat(T::ZERO);
        FullMoments {
            m_loc: z,
            m_rho: z,
            v_loc: z,
            v_rho: z,
            tril: tril_zeros(),
        }
    }

    fn split(mv: &FullMoments<T, P>) -> (Self, Self) {
        let (mut m, mut v) = (tril_zeros::<T, P>(), tril_zeros::<T, P>());
        for r in 1..P + 2 {
            for c in 0..r {
                let (a, b) = spare(r, c);
                m.get_mut(r, P)[c] = mv.tril.at(r, P)[c];
                v.get_mut(r, P)[c] = mv.tril.at(a, P)[b];
            }
        }
        (
            FullGuide {
                loc: mv.m_loc,
                rho: mv.m_rho,
                tril: m,
            },
            FullGuide {
                loc: mv.v_loc,
                rho: mv.v_rho,
                tril: v,
            },
        )
    }

    fn join(m: &Self, v: &Self) -> Option<FullMoments<T, P>> {
        let mut t = tril_zeros::<T, P>();
        for r in 0..P + 2 {
            for c in 0..P + 1 {
                let (a, b) = (m.tril.at(r, P)[c], v.tril.at(r, P)[c]);
                if c < r {
                    let (sr, sc) = spare(r, c);
                    t.get_mut(r, P)[c] = a;
                    t.get_mut(sr, P)[sc] = b;
                } else if a != T::ZERO || b != T::ZERO {
                    return None;
                }
            }
        }
        Some(FullMoments {
            m_loc: m.loc,
            m_rho: m.rho,
            v_loc: v.loc,
            v_rho: v.rho,
            tril: t,
        })
    }

    fn rho(&self) -> &Latent<T, P> {
        &self.rho
    }

    fn all_finite(&self, p: usize) -> bool {
        FullGuide::all_finite(self, p)
    }

    fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        x: &mut Self,
        g: &Self,
        mv: &mut FullMoments<T, P>,
        p: usize,
        f: F,
    ) {
        // On microcontrollers one loop over every parameter, latent by latent (its location,
        // its scale, then its row of T), each through out-of-line accessors: `f` once (flash).
        #[cfg(vireg_compact)]
        {
            let mut f = f;
            for i in 0..p + 2 {
                let r = mem_row::<P>(i, p);
                for k in 0..i + 2 {
                    let mut m = *moment(mv, k, i, r, p, false);
                    let mut v = *moment(mv, k, i, r, p, true);
                    f(param(x, k, i, p), param_of(g, k, i, p), &mut m, &mut v);
                    *moment(mv, k, i, r, p, false) = m;
                    *moment(mv, k, i, r, p, true) = v;
                }
            }
        }
        #[cfg(not(vireg_compact))]
        let mut f = zip4_blocks(
            [
                (&mut x.loc, &g.loc, &mut mv.m_loc, &mut mv.v_loc),
                (&mut x.rho, &g.rho, &mut mv.m_rho, &mut mv.v_rho),
            ],
            p,
            f,
        );
        // T's strictly-lower entries, row by row; each entry's two moments from their slots
        // of the shared triangle (see FullMoments) and back.
        #[cfg(not(vireg_compact))]
        for i in 1..p + 2 {
            let r = mem_row::<P>(i, p);
            for j in 0..i {
                let (vr, vc) = spare(r, j);
                let mut m = *slot_mut(&mut mv.tril, r, j);
                let mut v = *slot_mut(&mut mv.tril, vr, vc);
                f(
                    tril_entry_mut(&mut x.tril, i, j, p),
                    tril_entry(&g.tril, i, j, p),
                    &mut m,
                    &mut v,
                );
                *slot_mut(&mut mv.tril, r, j) = m;
                *slot_mut(&mut mv.tril, vr, vc) = v;
            }
        }
    }

    fn zip_mut<F: FnMut(&mut T, T)>(a: &mut Self, b: &Self, p: usize, f: F) {
        let mut f = zip_blocks([(&mut a.loc, &b.loc), (&mut a.rho, &b.rho)], p, f);
        for i in 1..p + 2 {
            for j in 0..i {
                f(
                    tril_entry_mut(&mut a.tril, i, j, p),
                    tril_entry(&b.tril, i, j, p),
                );
            }
        }
    }

    fn loss_grad(
        &self,
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        estimator: Estimator,
        rng: &mut SeededRng,
        grad: &mut Self,
        _want_loss: bool,
    ) -> T {
        match estimator {
            Estimator::MonteCarlo { particles } => {
                let p = stats.features();
                // ε in the latent order, particle after particle: the mean-field estimator's
                // stream (with T = I both draw the same z).
                let eps = |_: usize, e: &mut Latent<T, P>| {
                    for i in 0..p + 2 {
                        *e.get_mut(i, p) = T::std_normal(rng);
                    }
                };
                mc_with(stats, mc, self, particles as usize, eps, grad)
            }
            Estimator::Analytic => analytic_with(stats, mc, self, Some(grad)),
        }
    }

    fn loss(&self, stats: &Stats<T, P>, mc: &ModelConsts<T, P>) -> T {
        analytic_with(stats, mc, self, None)
    }

    /// The run's two running means without a whole second guide on the run's stack (448 bytes
    /// at P = 8, on top of which every step's frame goes): the iterate average in `avg` with
    /// T's strictly-lower entries, for the run, where the second moments of [`FullMoments`] are
    /// kept (entry (r, c), c < r, at [`spare`]`(r, c)`), and the convergence block's mean with its
    /// locations and scales on the run's stack, its T entries in their place in `avg`.
    /// Microcontrollers only: there a panic aborts. On hosts a Rust progress hook may panic and
    /// be caught, which would leave the average in that layout; the stack is no concern there,
    /// and the whole-guide means give the same values.
    const SPARE_BLOCK: bool = cfg!(vireg_compact);

    /// The iterate average's update (`Average::add` in fit.rs): the same operations on the same
    /// values, into the slots [`Ops::SPARE_BLOCK`] describes.
    #[inline(never)]
    fn mean_add(
        count: &mut u64,
        avg: &mut Self,
        block: Option<&mut Guide<T, P>>,
        x: &Self,
        p: usize,
    ) {
        *count += 1;
        let w = T::ONE / T::from_u64(*count);
        // A new mean starts from zeros (what is there is a finished block's).
        let first = *count == 1;
        let is_block = block.is_some();
        let (loc, rho) = match block {
            Some(g) => (&mut g.loc, &mut g.rho),
            None => (&mut avg.loc, &mut avg.rho),
        };
        let f = |a: &mut T, x: T| {
            if first {
                *a = T::ZERO;
            }
            *a += (x - *a) * w
        };
        for i in 0..p + 2 {
            f(lat_mut(loc, i, p), lat(&x.loc, i, p));
            f(lat_mut(rho, i, p), lat(&x.rho, i, p));
            let r = mem_row::<P>(i, p);
            for j in 0..i {
                let (row, col) = if is_block { (r, j) } else { spare(r, j) };
                f(
                    slot_mut(&mut avg.tril, row, col),
                    tril_entry(&x.tril, i, j, p),
                );
            }
        }
    }

    fn block_loss(
        block: &Guide<T, P>,
        avg: &Self,
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
    ) -> T {
        analytic_loss(stats, mc, &block.loc, &block.rho, &avg.tril, None)
    }

    fn mean_finish(avg: &mut Self) {
        for r in 1..P + 2 {
            for c in 0..r {
                let (a, b) = spare(r, c);
                let v = slot_mut(&mut avg.tril, a, b);
                let x = *v;
                *v = T::ZERO;
                *slot_mut(&mut avg.tril, r, c) = x;
            }
        }
    }
}
