//! The full-rank guide's parameters, its covariance and Cholesky factor, draws and the
//! posterior predictive.

#![forbid(unsafe_code)]

use super::{
    cholesky, entry, entry_mut, lat, lat_mut, tril_clear, tril_entry, tril_entry_mut, tril_zeros,
    zeros, Square, Tril,
};
use crate::error::{Error, Result};
use crate::guide::Guide;
use crate::math::softplus::{softplus, softplus_inv};
use crate::model::Prior;
use crate::real::Real;
use crate::vector::Latent;

/// The parameters of Pyro's `AutoMultivariateNormal` over z = (α, β₁ … β_p, u = ln σ):
/// `loc` (m), the unconstrained scales `rho` (`scale` = softplus(ρ)) and `tril` (`scale_tril`,
/// T, unit lower-triangular). The covariance is S = L·Lᵀ with L = diag(scale)·T.
///
/// `tril` holds T's strictly-lower entries (row i > column j), the parameters; its diagonal
/// is 1 and its upper triangle 0, not stored. A gradient is a `FullGuide` too.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct FullGuide<T, const P: usize> {
    /// Location of each latent, in the latent order.
    pub loc: Latent<T, P>,
    /// Unconstrained scale parameter of each latent: scale = softplus(rho).
    pub rho: Latent<T, P>,
    /// The strictly-lower entries of the unit lower-triangular factor T, row by row in the
    /// latent order ([`tril_entry`](super::tril_entry)).
    pub tril: Tril<T, P>,
}

impl<T: Real, const P: usize> FullGuide<T, P> {
    /// Pyro's initialisation: locations at the prior median in unconstrained space (0 for α
    /// and β, ln(τ_σ·0.67449) for u), every scale `init_scale`, T = I.
    pub fn init(prior: &Prior<T>, init_scale: T) -> Result<Self> {
        Ok(Self::from_mean_field(&Guide::init(prior, init_scale)?))
    }

    /// The full-rank guide with the mean-field guide's locations and scales and T = I: the same
    /// distribution.
    pub fn from_mean_field(g: &Guide<T, P>) -> Self {
        FullGuide {
            loc: g.loc,
            rho: g.rho,
            tril: tril_zeros(),
        }
    }

    /// The guide with location `loc` and the covariance whose lower Cholesky factor is `chol`
    /// (its lower triangle read, every diagonal entry > 0), for `p` features. [`Error::Config`]
    /// if a diagonal entry is not positive or its softplus inverse is not finite,
    /// [`Error::NonFinite`] if an entry is not finite.
    pub fn from_loc_chol(p: usize, loc: &Latent<T, P>, chol: &Square<T, P>) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        let mut g = FullGuide {
            loc: *loc,
            rho: Latent::splat(T::ZERO),
            tril: tril_zeros(),
        };
        loc_chol_into(p, loc, chol, &mut g)?;
        Ok(g)
    }

    /// The guide with location `loc` and covariance `cov` (symmetric positive definite; its
    /// lower triangle read). [`Error::Config`] if `cov` is not positive definite in this
    /// precision.
    pub fn from_loc_cov(p: usize, loc: &Latent<T, P>, cov: &Square<T, P>) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        let c = cholesky(cov, p).ok_or(Error::Config)?;
        Self::from_loc_chol(p, loc, &c)
    }

    /// The scales s = softplus(ρ) (Pyro's `scale`).
    pub fn scale(&self, p: usize) -> Latent<T, P> {
        let mut s = self.rho;
        for i in 0..p + 2 {
            let r = lat_mut(&mut s, i, p);
            *r = softplus(*r);
        }
        s
    }

    /// The Cholesky factor of the covariance, L = diag(scale)·T (lower-triangular, zeros above
    /// the diagonal; Pyro's `scale_tril` property of the distribution).
    pub fn cholesky(&self, p: usize) -> Square<T, P> {
        let mut l = zeros::<T, P>();
        self.cholesky_into(p, &mut l);
        l
    }

    /// [`FullGuide::cholesky`] into `l` (its lower triangle over the p + 2 meaningful rows and
    /// columns; the rest left as they are).
    pub(crate) fn cholesky_into(&self, p: usize, l: &mut Square<T, P>) {
        chol_into(&self.rho, Some(&self.tril), p, l);
    }

    /// The covariance S = L·Lᵀ of the latent vector (symmetric, both triangles written).
    pub fn covariance(&self, p: usize) -> Square<T, P> {
        covariance_of(&self.cholesky(p), p)
    }

    /// Whether every parameter (the strictly-lower entries of `tril` included) is finite.
    pub fn all_finite(&self, p: usize) -> bool {
        #[cfg(not(vireg_compact))]
        let mut ok = self.loc.all_finite(p) && self.rho.all_finite(p);
        #[cfg(vireg_compact)]
        let mut ok = true;
        for i in 0..p + 2 {
            // On microcontrollers the locations and scales in this pass too, through the
            // out-of-line accessors: less flash than the vectors' own checks.
            #[cfg(vireg_compact)]
            {
                ok &= lat(&self.loc, i, p).is_finite() & lat(&self.rho, i, p).is_finite();
            }
            for j in 0..i {
                ok &= tril_entry(&self.tril, i, j, p).is_finite();
            }
        }
        ok
    }

    /// The draw m + L·ε of the latent vector for the standard-normal vector `eps`
    /// (unconstrained: the last entry is u = ln σ).
    pub fn draw_latent(&self, p: usize, eps: &Latent<T, P>) -> Latent<T, P> {
        draw_with(&self.loc, &self.cholesky(p), p, eps)
    }

    /// The marginal sd of latent `i` (0 = α, 1..=p = β, p + 1 = u): √S_ii.
    pub fn marginal_sd(&self, p: usize, i: usize) -> T {
        let l = self.cholesky(p);
        let row = l.at(i, p);
        let mut v = T::ZERO;
        for j in 0..=i {
            let x = *row.at(j, p);
            v += x * x;
        }
        v.sqrt()
    }
}

/// L = diag(softplus ρ)·T of the scale parameters `rho` and the unit lower-triangular factor's
/// entries `tril` (`None`: T = I, a mean-field guide's) into `l`'s lower triangle over the
/// p + 2 meaningful rows and columns (the rest left as they are): [`FullGuide::cholesky`]'s
/// values, and the exact solver's start without a guide's copy on its stack.
pub(crate) fn chol_into<T: Real, const P: usize>(
    rho: &Latent<T, P>,
    tril: Option<&Tril<T, P>>,
    p: usize,
    l: &mut Square<T, P>,
) {
    for i in 0..p + 2 {
        let si = softplus(lat(rho, i, p));
        *entry_mut(l, i, i, p) = si;
        for j in 0..i {
            let t = match tril {
                Some(t) => tril_entry(t, i, j, p),
                None => T::ZERO,
            };
            *entry_mut(l, i, j, p) = si * t;
        }
    }
}

/// [`FullGuide::from_loc_chol`] for 1 ≤ p ≤ P into `out`, which is untouched on error: a first
/// pass makes every check, the second (the same loop: the same values again) writes, so that
/// `out` may be the state the result is for (no guide on the stack, none copied).
pub(crate) fn loc_chol_into<T: Real, const P: usize>(
    p: usize,
    loc: &Latent<T, P>,
    chol: &Square<T, P>,
    out: &mut FullGuide<T, P>,
) -> Result<()> {
    loc_chol_pass(p, loc, chol, out, false)?;
    loc_chol_pass(p, loc, chol, out, true)
}

/// A pass of [`loc_chol_into`]: every check, and with `write` every value written to `out`
/// (untouched without). Not inlined: one copy of the loop serves both passes.
#[inline(never)]
fn loc_chol_pass<T: Real, const P: usize>(
    p: usize,
    loc: &Latent<T, P>,
    chol: &Square<T, P>,
    out: &mut FullGuide<T, P>,
    write: bool,
) -> Result<()> {
    let mut finite = loc.all_finite(p);
    if write {
        out.loc = *loc;
        out.rho = Latent::splat(T::ZERO);
        tril_clear(&mut out.tril);
    }
    for i in 0..p + 2 {
        let s = entry(chol, i, i, p);
        if !s.is_finite() {
            return Err(Error::NonFinite);
        }
        let r = softplus_inv(s);
        if s <= T::ZERO || !r.is_finite() {
            return Err(Error::Config);
        }
        if write {
            *lat_mut(&mut out.rho, i, p) = r;
        }
        for j in 0..i {
            let t = entry(chol, i, j, p) / s;
            finite &= t.is_finite();
            if write {
                *tril_entry_mut(&mut out.tril, i, j, p) = t;
            }
        }
    }
    if finite {
        Ok(())
    } else {
        Err(Error::NonFinite)
    }
}

/// L·Lᵀ for the lower-triangular `l` (both triangles written).
pub(crate) fn covariance_of<T: Real, const P: usize>(l: &Square<T, P>, p: usize) -> Square<T, P> {
    let mut s = zeros::<T, P>();
    covariance_into(l, p, &mut s);
    s
}

/// [`covariance_of`] into `s` (its p + 2 meaningful rows and columns; the rest left as they
/// are).
pub(crate) fn covariance_into<T: Real, const P: usize>(
    l: &Square<T, P>,
    p: usize,
    s: &mut Square<T, P>,
) {
    for i in 0..p + 2 {
        for j in 0..=i {
            let mut v = T::ZERO;
            for k in 0..=j {
                v += entry(l, i, k, p) * entry(l, j, k, p);
            }
            *entry_mut(s, i, j, p) = v;
            *entry_mut(s, j, i, p) = v;
        }
    }
}

/// m + L·ε for the lower-triangular `l`.
pub(crate) fn draw_with<T: Real, const P: usize>(
    m: &Latent<T, P>,
    l: &Square<T, P>,
    p: usize,
    eps: &Latent<T, P>,
) -> Latent<T, P> {
    let mut z = *m;
    for i in 0..p + 2 {
        let row = l.at(i, p);
        let mut v = *m.at(i, p);
        for j in 0..=i {
            v += *row.at(j, p) * *eps.at(j, p);
        }
        *z.get_mut(i, p) = v;
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    /// T = I gives the mean-field guide's distribution: covariance diag(s²).
    #[test]
    fn identity_tril_is_the_mean_field_covariance() {
        let prior = Prior::<f64>::default();
        let g: FullGuide<f64, 3> = FullGuide::init(&prior, 0.3).unwrap();
        let p = 2;
        let s = g.covariance(p);
        for i in 0..p + 2 {
            for j in 0..p + 2 {
                let want = if i == j { 0.09 } else { 0.0 };
                assert!((entry(&s, i, j, p) - want).abs() < 1e-15, "({i}, {j})");
            }
        }
        let row: Latent<f64, 3> = Latent::splat(1.0);
        assert_eq!(row.u, 1.0);
    }

    /// from_loc_cov inverts covariance(): the same matrix back to rounding.
    #[test]
    fn covariance_round_trip() {
        let p = 2;
        let mut g: FullGuide<f64, 4> = FullGuide::init(&Prior::default(), 0.5).unwrap();
        *tril_entry_mut(&mut g.tril, 1, 0, p) = 0.7;
        *tril_entry_mut(&mut g.tril, 3, 1, p) = -1.3;
        *tril_entry_mut(&mut g.tril, 3, 2, p) = 0.4;
        let s = g.covariance(p);
        let h = FullGuide::from_loc_cov(p, &g.loc, &s).unwrap();
        for i in 0..p + 2 {
            for j in 0..i {
                let (a, b) = (tril_entry(&g.tril, i, j, p), tril_entry(&h.tril, i, j, p));
                assert!((a - b).abs() < 1e-12, "({i}, {j}): {a} vs {b}");
            }
            let (a, b) = (*g.rho.at(i, p), *h.rho.at(i, p));
            assert!((a - b).abs() < 1e-12);
        }
    }
}
