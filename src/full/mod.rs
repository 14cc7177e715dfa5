//! The full-rank Gaussian guide (Pyro's `AutoMultivariateNormal`): q(z) = N(m, S) over the whole
//! latent vector z = (α, β₁ … β_p, u), S = L·Lᵀ, L = diag(softplus ρ)·T with T unit
//! lower-triangular (docs/full-rank.md).
//!
//! * [`FullGuide`]: the parameters, the covariance and its Cholesky factor, draws;
//! * [`FullFit`](crate::FullFit): the guide in a fit (SVI, the exact solve, checkpoints), and
//!   [`FullPosterior`]: marginals, covariance, draws and the posterior predictive;
//! * [`analytic_loss_grad`] and [`mc_loss_grad`]: the loss (−ELBO), exact or Pyro's sampled
//!   one, and its gradient with respect to (m, ρ, T's strictly-lower entries);
//! * [`solve`] and [`solve_from`]: the exact full-rank optimum, from the exact mean-field
//!   optimum (or a given mean-field guide), with no learning rate.
//!
//! Matrices are [`Square`]s: a [`Latent`] of rows, each a [`Latent`], so that rows and columns
//! follow the latent order of the vectors they multiply (the u row and column are the last of
//! the p + 2 meaningful ones whatever the capacity P). T's free entries are a [`Tril`], the
//! strictly-lower triangle alone.

#![forbid(unsafe_code)]

mod elbo;
mod exact;
mod fit;
mod guide;
mod posterior;

pub use elbo::{analytic_loss_grad, mc_loss_grad};
pub(crate) use exact::solve_into;
pub use exact::{solve, solve_from, FullReport};
pub use guide::FullGuide;
pub use posterior::FullPosterior;

use crate::real::Real;
use crate::vector::{Coefs, Latent};

/// A (P+2)×(P+2) matrix indexed in the latent order on both sides: row `i` is the `Latent`
/// at latent index `i`, entry (i, j) is that row's latent entry `j` ([`entry`]). Const
/// generics cannot name P + 2 as an array length; this nests the latent vector's own layout
/// (`repr(C)`, (P+2)² contiguous entries, row-major, with the rows and columns of unused
/// features between β_p and u when p < P).
pub type Square<T, const P: usize> = Latent<Latent<T, P>, P>;

/// The strictly-lower triangle of a (P+2)×(P+2) matrix in the latent order (the unit
/// lower-triangular factor's free entries): row `i` is the [`Coefs`] at latent index `i`, its
/// entry `j` the matrix's entry (i, j) for j < i ([`tril_entry`]). The columns below the
/// diagonal are coefficient indices (u is the last latent, so no entry of its column lies
/// below the diagonal), so each row is a `Coefs`: (P+2)·(P+1) entries, an even number, where a
/// [`Square`] holds (P+2)². The entries j ≥ i of row i are not part of the triangle.
pub type Tril<T, const P: usize> = Latent<Coefs<T, P>, P>;

/// Entry (i, j), j < i ≤ p + 1, of a [`Tril`] for `p` features.
///
/// Out of line on microcontrollers, as [`entry`].
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub fn tril_entry<T: Copy, const P: usize>(t: &Tril<T, P>, i: usize, j: usize, p: usize) -> T {
    t.at(i, p)[j]
}

/// Mutable entry (i, j), j < i ≤ p + 1, of a [`Tril`] (see [`tril_entry`]; out of line on
/// microcontrollers too).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub fn tril_entry_mut<T, const P: usize>(
    t: &mut Tril<T, P>,
    i: usize,
    j: usize,
    p: usize,
) -> &mut T {
    &mut t.get_mut(i, p)[j]
}

/// Entry `i` (latent order, `p` features) of a latent vector: `*v.at(i, p)`, out of line on
/// microcontrollers (as [`entry`]: the latent-order mapping costs code at each call site).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(crate) fn lat<T: Copy, const P: usize>(v: &Latent<T, P>, i: usize, p: usize) -> T {
    *v.at(i, p)
}

/// Mutable entry `i` of a latent vector (see [`lat`]; out of line on microcontrollers too).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(crate) fn lat_mut<T, const P: usize>(v: &mut Latent<T, P>, i: usize, p: usize) -> &mut T {
    v.get_mut(i, p)
}

/// Slot (r, c) of a [`Tril`] as stored (r in 0..P + 2, the u row last whatever p is; c in
/// 0..P + 1): the triangle's entries for c < r, the free room for c ≥ r. Out of line on
/// microcontrollers, as [`entry`].
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(crate) fn slot_mut<T, const P: usize>(t: &mut Tril<T, P>, r: usize, c: usize) -> &mut T {
    &mut t.get_mut(r, P)[c]
}

/// The zero triangle.
#[inline]
pub(crate) fn tril_zeros<T: Real, const P: usize>() -> Tril<T, P> {
    Latent::splat(Coefs::splat(T::ZERO))
}

/// Every slot of `t` zero, in place (no (P+2)·(P+1) temporary on the stack).
#[inline]
pub(crate) fn tril_clear<T: Real, const P: usize>(t: &mut Tril<T, P>) {
    for r in 0..P + 2 {
        for c in 0..P + 1 {
            *slot_mut(t, r, c) = T::ZERO;
        }
    }
}

/// Entry (i, j) of a [`Square`] for `p` features: i, j in 0..p + 2, the latent order (0 = α,
/// 1..=p = β, p + 1 = u).
///
/// Out of line on microcontrollers (the `vireg_compact` cfg): the two latent-order mappings cost
/// tens of bytes of code at each of the solver's many call sites, a call a few.
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub fn entry<T: Copy, const P: usize>(m: &Square<T, P>, i: usize, j: usize, p: usize) -> T {
    *(m.at(i, p)).at(j, p)
}

/// Mutable entry (i, j) of a [`Square`] (see [`entry`]; out of line on microcontrollers too).
#[cfg_attr(vireg_compact, inline(never))]
#[cfg_attr(not(vireg_compact), inline)]
pub(crate) fn entry_mut<T, const P: usize>(
    m: &mut Square<T, P>,
    i: usize,
    j: usize,
    p: usize,
) -> &mut T {
    (m.get_mut(i, p)).get_mut(j, p)
}

/// The zero matrix.
#[inline]
pub(crate) fn zeros<T: Real, const P: usize>() -> Square<T, P> {
    Latent::splat(Latent::splat(T::ZERO))
}

/// The lower Cholesky factor C of the symmetric matrix `a` (C·Cᵀ = a, lower triangle read),
/// over the p + 2 meaningful rows and columns; `None` unless `a` is positive definite in this
/// precision.
pub(crate) fn cholesky<T: Real, const P: usize>(
    a: &Square<T, P>,
    p: usize,
) -> Option<Square<T, P>> {
    let mut c = *a;
    if !cholesky_in_place(&mut c, p) {
        return None;
    }
    for i in 0..p + 2 {
        for j in i + 1..p + 2 {
            *entry_mut(&mut c, i, j, p) = T::ZERO;
        }
    }
    Some(c)
}

/// [`cholesky`] in place: the lower triangle of `a` (diagonal included) becomes C, column by
/// column (column j of C needs a's column j and C's columns before it, nothing else); the
/// entries above the diagonal are left as they are. `false` (with `a` partly overwritten)
/// unless `a` is positive definite in this precision.
pub(crate) fn cholesky_in_place<T: Real, const P: usize>(a: &mut Square<T, P>, p: usize) -> bool {
    let d = p + 2;
    for j in 0..d {
        let mut v = entry(a, j, j, p);
        for k in 0..j {
            let x = entry(a, j, k, p);
            v -= x * x;
        }
        if !(v > T::ZERO && v.is_finite()) {
            return false;
        }
        let cjj = v.sqrt();
        *entry_mut(a, j, j, p) = cjj;
        for i in j + 1..d {
            let mut v = entry(a, i, j, p);
            for k in 0..j {
                v -= entry(a, i, k, p) * entry(a, j, k, p);
            }
            *entry_mut(a, i, j, p) = v / cjj;
        }
    }
    true
}
