//! The full-rank posterior: the latent vector z = (α, β₁ … β_p, u = ln σ) is N(m, S) with
//! S = L·Lᵀ (docs/full-rank.md, §6). Marginal summaries and quantiles are those of each
//! latent's normal marginal N(mᵢ, Sᵢᵢ) (σ = e^u log-normal), as the mean-field posterior's;
//! draws and predictions use the whole covariance.

#![forbid(unsafe_code)]

use super::guide::{covariance_of, draw_with};
use super::{entry, lat_mut, FullGuide, Square};
use crate::error::{Error, Result};
use crate::posterior::{Posterior, Summary};
use crate::rng::Normal;
use crate::vector::Latent;
use rand_core::Rng;

/// A fitted full-rank posterior: the location m and the Cholesky factor L of the covariance
/// of the latent vector (α, β₁ … β_p, u = ln σ).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FullPosterior<T, const P: usize> {
    p: usize,
    chol: Square<T, P>,
    /// The marginals: m and √diag(S).
    marginal: Posterior<T, P>,
}

impl<T: Normal, const P: usize> FullPosterior<T, P> {
    /// The posterior that the guide `g` for `p` features (1 ≤ p ≤ P) describes.
    /// [`Error::Features`] for another `p`.
    pub fn of(g: &FullGuide<T, P>, p: usize) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        Ok(Self::from_guide(g, p))
    }

    pub(crate) fn from_guide(g: &FullGuide<T, P>, p: usize) -> Self {
        let chol = g.cholesky(p);
        let mut sd = Latent::splat(T::ZERO);
        for i in 0..p + 2 {
            let mut v = T::ZERO;
            for j in 0..=i {
                let x = entry(&chol, i, j, p);
                v += x * x;
            }
            *lat_mut(&mut sd, i, p) = v.sqrt();
        }
        FullPosterior {
            p,
            chol,
            marginal: Posterior {
                p,
                loc: g.loc,
                scale: sd,
            },
        }
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.p
    }

    /// The latent locations m in the latent order (length p + 2 written).
    pub fn loc(&self, out: &mut [T]) -> usize {
        self.marginal.loc(out)
    }

    /// The latent marginal sds √Sᵢᵢ in the latent order (length p + 2 written).
    pub fn sd(&self, out: &mut [T]) -> usize {
        self.marginal.scale(out)
    }

    /// The marginal posterior of each latent alone (a mean-field posterior with the full-rank
    /// locations and marginal sds): its summaries, quantiles and intervals are this one's.
    /// Its draws and predictions ignore the correlations; use this posterior's for those.
    pub fn marginals(&self) -> &Posterior<T, P> {
        &self.marginal
    }

    /// The Cholesky factor L of the latent covariance (lower-triangular, zeros above the
    /// diagonal; Pyro's `scale_tril` of the guide's distribution).
    pub fn cholesky(&self) -> &Square<T, P> {
        &self.chol
    }

    /// The latent covariance S = L·Lᵀ (both triangles).
    pub fn covariance(&self) -> Square<T, P> {
        covariance_of(&self.chol, self.p)
    }

    /// Writes S row by row, (p+2)×(p+2) in the latent order (α, β₁ … β_p, u), into
    /// `out[..(p+2)²]`; returns how many were written. [`Error::Dimension`] (nothing written)
    /// if `out` is shorter.
    pub fn covariance_to(&self, out: &mut [T]) -> Result<usize> {
        let d = self.p + 2;
        let out = out.get_mut(..d * d).ok_or(Error::Dimension)?;
        let s = self.covariance();
        for (i, row) in out.chunks_exact_mut(d).enumerate() {
            for (j, o) in row.iter_mut().enumerate() {
                *o = entry(&s, i, j, self.p);
            }
        }
        Ok(d * d)
    }

    /// The intercept α.
    pub fn alpha(&self) -> Summary<T> {
        self.marginal.alpha()
    }

    /// Coefficient βⱼ, j in 0..p (zero-based). `None` past the last feature.
    pub fn beta(&self, j: usize) -> Option<Summary<T>> {
        self.marginal.beta(j)
    }

    /// The noise sd σ (log-normal marginal).
    pub fn sigma(&self) -> Summary<T> {
        self.marginal.sigma()
    }

    /// Summary of constrained parameter `i` in the latent order (0 = α, 1..=p = β, p+1 = σ).
    pub fn summary(&self, i: usize) -> Option<Summary<T>> {
        self.marginal.summary(i)
    }

    /// Quantile `q` ∈ (0, 1) of constrained parameter `i`'s marginal (latent order; σ is
    /// log-normal).
    pub fn quantile(&self, i: usize, q: T) -> Result<T> {
        self.marginal.quantile(i, q)
    }

    /// One draw of the constrained parameters (α, β₁ … β_p, σ) into `out[..p + 2]`: z = m + L·ε
    /// with ε standard normal from `rng` in the latent order, σ = e^u.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [T]) -> Result<()> {
        // Clamped (p ≤ P always): the compiler then sees that `out[p + 1]` cannot overflow,
        // and the C ABI's draw has no panic path.
        let p = self.p.min(P);
        if out.len() < p + 2 {
            return Err(Error::Dimension);
        }
        let mut eps = Latent::splat(T::ZERO);
        for i in 0..p + 2 {
            *eps.get_mut(i, p) = T::std_normal(rng);
        }
        let z = draw_with(&self.marginal.loc, &self.chol, p, &eps);
        z.copy_to(p, out);
        out[p + 1] = out[p + 1].exp();
        Ok(())
    }

    /// Posterior predictive mean and sd of y at a new row `x` (length p): with a = (1, x),
    /// mean a·m_θ and variance aᵀ·S_θθ·a + E\[σ²\] = ‖L_θᵀa‖² + e^{2m_u + 2S_uu}.
    /// [`Error::Dimension`] for a row of the wrong length, [`Error::NonFinite`] for a NaN or
    /// infinite entry, [`Error::Overflow`] if the variance leaves the range.
    pub fn predict(&self, x: &[T]) -> Result<(T, T)> {
        let p = self.p;
        if x.len() != p {
            return Err(Error::Dimension);
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite);
        }
        let l = &self.chol;
        let loc = &self.marginal.loc;
        let a = |i: usize| if i == 0 { T::ONE } else { x[i - 1] };
        let mut mean = T::ZERO;
        for i in 0..=p {
            mean += a(i) * *loc.at(i, p);
        }
        // (L_θᵀ a)_k = Σ_{k ≤ i ≤ p} a_i·L_ik.
        let mut var = T::ZERO;
        for k in 0..=p {
            let mut v = T::ZERO;
            for i in k..=p {
                v += a(i) * entry(l, i, k, p);
            }
            var += v * v;
        }
        let u = p + 1;
        let mut suu = T::ZERO;
        for k in 0..=u {
            let x = entry(l, u, k, p);
            suu += x * x;
        }
        var += (T::c(2.0) * (loc.u + suu)).exp();
        let sd = var.sqrt();
        if !(mean.is_finite() && sd.is_finite()) {
            return Err(Error::Overflow);
        }
        Ok((mean, sd))
    }
}
