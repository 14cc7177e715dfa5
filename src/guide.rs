//! The variational family: a mean-field Gaussian on z = (α, β, u) with scales s = softplus(ρ),
//! as Pyro's `AutoDiagonalNormal`.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::math::softplus::{softplus, softplus_inv};
use crate::model::Prior;
use crate::real::Real;
use crate::vector::Latent;

/// Pyro's default `init_scale`.
pub const INIT_SCALE: f64 = 0.1;

/// The guide's parameters: `loc` (m) and the unconstrained scales `rho` (s = softplus(ρ)).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Guide<T, const P: usize> {
    /// Location of each latent, in the latent order (α, β₁ … β_p, u = ln σ).
    pub loc: Latent<T, P>,
    /// Unconstrained scale parameter of each latent: scale = softplus(rho).
    pub rho: Latent<T, P>,
}

impl<T: Real, const P: usize> Guide<T, P> {
    /// Pyro's initialisation: every scale `init_scale`, locations at the prior median in
    /// unconstrained space (0 for α and β, ln(τ_σ·0.67449) for u).
    pub fn init(prior: &Prior<T>, init_scale: T) -> Result<Self> {
        if !init_scale.is_finite() {
            return Err(Error::NonFinite);
        }
        if init_scale <= T::ZERO {
            return Err(Error::Config);
        }
        let mut loc = Latent::splat(T::ZERO);
        loc.u = prior.median_u();
        Ok(Guide {
            loc,
            rho: Latent::splat(softplus_inv(init_scale)),
        })
    }

    /// A guide with the given locations and scales (scales > 0), both in the latent order,
    /// length p + 2.
    pub fn from_loc_scale(p: usize, loc: &[T], scale: &[T]) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        if loc.len() != p + 2 || scale.len() != p + 2 {
            return Err(Error::Dimension);
        }
        if !loc.iter().chain(scale).all(|v| v.is_finite()) {
            return Err(Error::NonFinite);
        }
        if scale.iter().any(|s| *s <= T::ZERO) {
            return Err(Error::Config);
        }
        let mut g = Guide {
            loc: Latent::splat(T::ZERO),
            rho: Latent::splat(T::ZERO),
        };
        for i in 0..p + 2 {
            *g.loc.get_mut(i, p) = loc[i];
            let r = softplus_inv(scale[i]);
            if !r.is_finite() {
                return Err(Error::Config);
            }
            *g.rho.get_mut(i, p) = r;
        }
        Ok(g)
    }

    /// The scales s = softplus(ρ).
    pub fn scale(&self, p: usize) -> Latent<T, P> {
        let mut s = self.rho;
        for i in 0..p + 2 {
            let r = s.get_mut(i, p);
            *r = softplus(*r);
        }
        s
    }

    /// Whether every meaningful parameter is finite.
    pub fn all_finite(&self, p: usize) -> bool {
        self.loc.all_finite(p) && self.rho.all_finite(p)
    }
}
