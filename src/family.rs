//! What the SVI loop needs of a variational family: its parameters as one value, Pyro's
//! initialisation, element-wise passes over every parameter (Adam, the iterate average), and
//! the loss with its gradient by the configured estimator.
//!
//! Two families implement it: the mean-field [`Guide`] (Pyro's `AutoDiagonalNormal`) here, and
//! the full-rank [`FullGuide`](crate::FullGuide) (`AutoMultivariateNormal`) in `full/`. A
//! [`Fit`](crate::Fit) is generic over the family, so both share the loop, the optimiser, the
//! averaging, the divergence rollback and the checkpointed state; a program pays only for the
//! family it uses.

#![forbid(unsafe_code)]

#[cfg(not(vireg_compact))]
use crate::arch::step::{mean_field_step, Step};
use crate::error::Result;
use crate::estimator::{analytic_loss_grad, mc_loss_grad, Estimator};
use crate::guide::Guide;
use crate::model::{ModelConsts, Prior};
use crate::rng::{Normal, SeededRng};
use crate::stats::Stats;
use crate::vector::Latent;
use core::fmt::Debug;

/// A variational family's parameters, as a [`Fit`](crate::Fit) stores, optimises and averages
/// them: [`Guide`] (mean-field) or [`FullGuide`](crate::FullGuide) (full-rank). Sealed: the
/// fit's layout checks and checkpoints know only these two.
pub trait Family<T: Normal, const P: usize>: Ops<T, P> {}

impl<T: Normal, const P: usize> Family<T, P> for Guide<T, P> {}

/// The operations behind [`Family`]. Nameable only inside the crate (a `pub` trait in a private
/// module: the sealed-trait pattern), so the crate-private types in its signatures never reach
/// a user; the lint cannot see that.
#[allow(private_interfaces)]
pub trait Ops<T: Normal, const P: usize>: Copy + PartialEq + Debug {
    /// Bytes of the value's fields, summed: its size when it has no padding (checked at
    /// compile time for every fit built).
    const FIELDS: usize;

    /// Pyro's initialisation: locations at the prior median in unconstrained space, every
    /// scale `init_scale` (and, full-rank, no correlation).
    fn init(prior: &Prior<T>, init_scale: T) -> Result<Self>;

    /// Adam's first and second moments of every parameter, as the fit stores them:
    /// [`Pair`] of two values of the family's shape (mean-field), or a layout that shares the
    /// room the family's shape leaves unused (full-rank: `FullMoments`).
    type Moments: Copy + PartialEq + Debug;

    /// Bytes of the moments' fields, summed (their size: no padding, checked with
    /// [`Ops::FIELDS`]).
    const MOMENT_FIELDS: usize;

    /// Every parameter zero (an empty average).
    fn zeros() -> Self;

    /// Every moment zero (a fresh optimiser).
    fn moments_zeros() -> Self::Moments;

    /// The moments as two values of the family's shape, (m, v), every slot written (a
    /// checkpoint's form).
    fn split(mv: &Self::Moments) -> (Self, Self);

    /// The moments of [`Ops::split`]'s form, or `None` when `m` or `v` has a non-zero slot
    /// that no parameter uses and the stored layout has no room for.
    fn join(m: &Self, v: &Self) -> Option<Self::Moments>;

    /// The unconstrained scales ρ (scale = softplus ρ), in the latent order.
    fn rho(&self) -> &Latent<T, P>;

    /// Whether every parameter of `p` features is finite.
    fn all_finite(&self, p: usize) -> bool;

    /// Applies `f(x, g, m, v)` to each parameter of `p` features of a value `x`, a gradient
    /// `g` and the parameter's two moments in `mv`, in a fixed order: (loc, ρ, then the
    /// family's other parameters).
    fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        x: &mut Self,
        g: &Self,
        mv: &mut Self::Moments,
        p: usize,
        f: F,
    );

    /// Applies `f(a, b)` to each parameter of `p` features of two values, in [`Family::zip4`]'s
    /// order.
    fn zip_mut<F: FnMut(&mut T, T)>(a: &mut Self, b: &Self, p: usize, f: F);

    /// One SVI step's Adam pass (hosts): `x` down the gradient `g` by `c`
    /// ([`Step::apply`] on each parameter of `p` features, as [`Ops::zip4`] with the moments
    /// `mv`), the values before it kept in `prev_x` and `prev_mv`. `None` (nothing written) if
    /// a gradient entry is not finite; else whether the new point is acceptable: every
    /// parameter finite, every ρ at least [`Real::RHO_MIN`](crate::real::Real::RHO_MIN).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn adam_step(
        x: &mut Self,
        g: &Self,
        mv: &mut Self::Moments,
        prev_x: &mut Self,
        prev_mv: &mut Self::Moments,
        c: &Step<T>,
        p: usize,
    ) -> Option<bool> {
        if !g.all_finite(p) {
            return None;
        }
        *prev_x = *x;
        *prev_mv = *mv;
        Self::zip4(x, g, mv, p, |x, g, m, v| c.apply(x, g, m, v));
        Some(x.acceptable(p))
    }

    /// Whether a step may end at this point: every parameter of `p` features finite, every ρ
    /// at least [`Real::RHO_MIN`](crate::real::Real::RHO_MIN) (below it the scale's
    /// softplus, its logarithm and their derivatives leave the range they are computed in).
    /// The hosts' mean-field Adam pass folds the same test into its vector loop.
    #[inline(always)]
    fn acceptable(&self, p: usize) -> bool {
        let mut ok = self.all_finite(p);
        let lo = T::RHO_MIN;
        let mut rho_ok = |r: T| ok &= r >= lo;
        let rho = self.rho();
        rho_ok(rho.theta.alpha);
        rho.theta.beta[..p].iter().for_each(|r| rho_ok(*r));
        rho_ok(rho.u);
        ok
    }

    /// The loss (−ELBO) at `self` and its gradient into `grad`, by `estimator`; Monte Carlo
    /// draws come from `rng`. Without `want_loss` the value returned may lack a term that is
    /// finite for every accepted guide: only its finiteness counts then.
    #[allow(clippy::too_many_arguments)]
    fn loss_grad(
        &self,
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        estimator: Estimator,
        rng: &mut SeededRng,
        grad: &mut Self,
        want_loss: bool,
    ) -> T;

    /// The exact loss (−ELBO) at `self` (analytic expectation, no sampling).
    fn loss(&self, stats: &Stats<T, P>, mc: &ModelConsts<T, P>) -> T;

    /// Whether a run keeps its two running means (the iterate average and the convergence
    /// block's) with [`Ops::mean_add`] (full-rank), rather than as whole values by `Average`
    /// (mean-field: `false`, and the functions below unused).
    const SPARE_BLOCK: bool = false;

    /// Adds `x` to a running mean over `count` iterates (counted here; a mean of none starts
    /// from zeros, whatever its slots hold), the iterate average's in `avg`, or with `block` the
    /// convergence block's: its locations and scales in `block`, the rest in `avg`'s unused
    /// room.
    fn mean_add(
        _count: &mut u64,
        _avg: &mut Self,
        _block: Option<&mut Guide<T, P>>,
        _x: &Self,
        _p: usize,
    ) {
    }

    /// The exact loss of the convergence block's mean kept by [`Ops::mean_add`].
    fn block_loss(
        _block: &Guide<T, P>,
        _avg: &Self,
        _stats: &Stats<T, P>,
        _mc: &ModelConsts<T, P>,
    ) -> T {
        T::ZERO
    }

    /// `avg` as the iterate average, after a run: its own entries where a value keeps them,
    /// the unused room zero.
    fn mean_finish(_avg: &mut Self) {}
}

#[allow(private_interfaces)]
impl<T: Normal, const P: usize> Ops<T, P> for Guide<T, P> {
    const FIELDS: usize = 2 * (P + 2) * core::mem::size_of::<T>();

    type Moments = Pair<Self>;

    const MOMENT_FIELDS: usize = 2 * Self::FIELDS;

    fn init(prior: &Prior<T>, init_scale: T) -> Result<Self> {
        Guide::init(prior, init_scale)
    }

    #[inline]
    fn zeros() -> Self {
        let z = Latent::splat(T::ZERO);
        Guide { loc: z, rho: z }
    }

    #[inline]
    fn moments_zeros() -> Pair<Self> {
        let z = Self::zeros();
        Pair { m: z, v: z }
    }

    fn split(mv: &Pair<Self>) -> (Self, Self) {
        (mv.m, mv.v)
    }

    fn join(m: &Self, v: &Self) -> Option<Pair<Self>> {
        Some(Pair { m: *m, v: *v })
    }

    #[inline]
    fn rho(&self) -> &Latent<T, P> {
        &self.rho
    }

    #[inline]
    fn all_finite(&self, p: usize) -> bool {
        Guide::all_finite(self, p)
    }

    #[inline(always)]
    fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        x: &mut Self,
        g: &Self,
        mv: &mut Pair<Self>,
        p: usize,
        f: F,
    ) {
        let Pair { m, v } = mv;
        zip4_blocks(
            [
                (&mut x.loc, &g.loc, &mut m.loc, &mut v.loc),
                (&mut x.rho, &g.rho, &mut m.rho, &mut v.rho),
            ],
            p,
            f,
        );
    }

    #[inline(always)]
    fn zip_mut<F: FnMut(&mut T, T)>(a: &mut Self, b: &Self, p: usize, f: F) {
        zip_blocks([(&mut a.loc, &b.loc), (&mut a.rho, &b.rho)], p, f);
    }

    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn adam_step(
        x: &mut Self,
        g: &Self,
        mv: &mut Pair<Self>,
        prev_x: &mut Self,
        prev_mv: &mut Pair<Self>,
        c: &Step<T>,
        p: usize,
    ) -> Option<bool> {
        let (Pair { m, v }, Pair { m: pm, v: pv }) = (mv, prev_mv);
        mean_field_step(c, x, g, m, v, prev_x, pm, pv, p)
    }

    #[inline(always)]
    fn loss_grad(
        &self,
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        estimator: Estimator,
        rng: &mut SeededRng,
        grad: &mut Self,
        want_loss: bool,
    ) -> T {
        match estimator {
            Estimator::MonteCarlo { particles } => {
                mc_loss_grad(stats, mc, self, particles, rng, grad, want_loss)
            }
            Estimator::Analytic => {
                let gd = stats.gram_diag();
                analytic_loss_grad(stats, mc, &gd, self, Some(grad))
            }
        }
    }

    #[inline]
    fn loss(&self, stats: &Stats<T, P>, mc: &ModelConsts<T, P>) -> T {
        let gd = stats.gram_diag();
        analytic_loss_grad(stats, mc, &gd, self, None)
    }
}

/// Adam's moments of a family whose values have no unused room: two values of its shape, the
/// first moments `m` then the second moments `v`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Pair<G> {
    pub(crate) m: G,
    pub(crate) v: G,
}

/// Four latent vectors of one parameter block (x, g, m, v) for [`zip4_blocks`].
pub(crate) type Block4<'a, T, const P: usize> = (
    &'a mut Latent<T, P>,
    &'a Latent<T, P>,
    &'a mut Latent<T, P>,
    &'a mut Latent<T, P>,
);

/// [`Ops::zip4`] over the locations, then the ρs, of four guides, by one loop: `f` is compiled
/// once (code size). Shared by both families (the full-rank one goes on to its `tril` with the
/// `f` returned).
#[inline(always)]
pub(crate) fn zip4_blocks<T: Normal, const P: usize, F: FnMut(&mut T, T, &mut T, &mut T)>(
    blocks: [Block4<'_, T, P>; 2],
    p: usize,
    mut f: F,
) -> F {
    for (x, g, m, v) in blocks {
        Latent::zip4(x, g, m, v, p, &mut f);
    }
    f
}

/// [`Ops::zip_mut`] over the locations, then the ρs, of two guides; returns `f`.
#[inline(always)]
pub(crate) fn zip_blocks<T: Normal, const P: usize, F: FnMut(&mut T, T)>(
    blocks: [(&mut Latent<T, P>, &Latent<T, P>); 2],
    p: usize,
    mut f: F,
) -> F {
    for (a, b) in blocks {
        a.zip_mut(b, p, &mut f);
    }
    f
}
