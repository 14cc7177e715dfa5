//! The full-rank fit: a [`Fit`] whose guide is a [`FullGuide`]. The SVI loop, Adam, the
//! iterate average and the divergence rollback are the mean-field fit's (the guide's `tril`
//! entries are parameters like loc and ρ); the exact solve, the posterior and the draws are
//! the full-rank ones.

#![forbid(unsafe_code)]

use super::elbo::{analytic_with, mc_with};
use super::exact::{solve, FullReport};
use super::posterior::FullPosterior;
use super::{tril_entry, tril_entry_mut, tril_zeros, FullGuide};
use crate::error::{Error, Result};
use crate::estimator::Estimator;
use crate::family::{zip4_blocks, zip_blocks, Family, Ops};
use crate::fit::Fit;
use crate::guide::Guide;
use crate::model::{ModelConsts, Prior};
use crate::rng::{Normal, SeededRng};
use crate::stats::Stats;
use crate::vector::Latent;
use core::mem::size_of;

/// A fit with the full-rank guide (Pyro's `AutoMultivariateNormal`): every method of [`Fit`],
/// with [`Fit::solve_exact`] giving the exact full-rank optimum and [`Fit::posterior`] a
/// [`FullPosterior`] (the whole covariance).
///
/// ```
/// use vireg::{Config, FullFit};
///
/// let mut fit: FullFit<f64, 8> = FullFit::new(2, Config::default()).unwrap();
/// for i in 0..100 {
///     let t = 25.0 + (i % 13) as f64 * 0.5; // an uncentred feature (a temperature)
///     let x = [t, 0.3 * t + (i % 5) as f64];
///     fit.observe(&x, 1.0 + 0.2 * x[0] - 0.1 * x[1] + 0.05 * ((i * 37 % 11) as f64 - 5.0))
///         .unwrap();
/// }
/// fit.solve_exact().unwrap(); // or fit.run(30_000, 0, |_, _| true) for SVI
/// let post = fit.posterior().unwrap();
/// let cov = post.covariance(); // (p+2)×(p+2), latent order α, β…, ln σ
/// let mut flat = [0.0; 16];
/// post.covariance_to(&mut flat).unwrap(); // the same, row-major
/// let (mean, sd) = post.predict(&[26.0, 9.0]).unwrap(); // uses the correlations
/// assert!((post.beta(0).unwrap().mean - 0.2).abs() < 0.05 && sd > 0.0 && mean.is_finite());
/// assert!(vireg::full::entry(&cov, 0, 1, 2) < 0.0); // α and β₁ anticorrelated (x₁ ≈ 28)
/// ```
pub type FullFit<T, const P: usize> = Fit<T, P, FullGuide<T, P>>;

impl<T: Normal, const P: usize> Family<T, P> for FullGuide<T, P> {}

#[allow(private_interfaces)]
impl<T: Normal, const P: usize> Ops<T, P> for FullGuide<T, P> {
    const FIELDS: usize = (2 * (P + 2) + (P + 2) * (P + 1)) * size_of::<T>();

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

    fn rho(&self) -> &Latent<T, P> {
        &self.rho
    }

    fn all_finite(&self, p: usize) -> bool {
        FullGuide::all_finite(self, p)
    }

    fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        x: &mut Self,
        g: &Self,
        m: &mut Self,
        v: &mut Self,
        p: usize,
        f: F,
    ) {
        let mut f = zip4_blocks(
            [
                (&mut x.loc, &g.loc, &mut m.loc, &mut v.loc),
                (&mut x.rho, &g.rho, &mut m.rho, &mut v.rho),
            ],
            p,
            f,
        );
        // T's strictly-lower entries, row by row.
        for i in 1..p + 2 {
            for j in 0..i {
                f(
                    tril_entry_mut(&mut x.tril, i, j, p),
                    tril_entry(&g.tril, i, j, p),
                    tril_entry_mut(&mut m.tril, i, j, p),
                    tril_entry_mut(&mut v.tril, i, j, p),
                );
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
}

impl<T: Normal, const P: usize> Fit<T, P, FullGuide<T, P>> {
    /// The posterior: the averaged iterates of the last run, or the current iterate, with the
    /// whole covariance. [`Error::NotFitted`] before any fit (see [`Fit::is_fitted`]).
    pub fn posterior(&self) -> Result<FullPosterior<T, P>> {
        if !self.is_fitted() {
            return Err(Error::NotFitted);
        }
        Ok(FullPosterior::from_guide(self.reported(), self.features()))
    }

    /// Sets the guide to the exact full-rank optimum (docs/full-rank.md §5: from the best
    /// mean-field optimum, the fixed point of the optimum's conditions, to rounding level) and
    /// resets the optimiser. The fit is unchanged on error: the mean-field solve's errors
    /// ([`Error::IllConditioned`], [`Error::NotConverged`]), [`Error::Overflow`] if the
    /// covariance leaves the precision's range, [`Error::NotConverged`] if the iterations do
    /// not settle.
    pub fn solve_exact(&mut self) -> Result<FullReport<T>> {
        let (g, rep) = solve(&self.stats, &self.cfg.prior)?;
        self.set_solved(g);
        Ok(rep)
    }

    /// The condition estimate of the data (see the mean-field fit's `condition`): a property
    /// of the summary and the prior, the same for both guides.
    pub fn condition(&self) -> Result<T> {
        let mut g = Guide {
            loc: self.guide.loc,
            rho: self.guide.rho,
        };
        let (cond, _) = crate::exact::optimum(self.stats(), &self.config().prior, &mut g)?;
        Ok(cond)
    }

    /// One posterior draw of (α, β₁ … β_p, σ) into `out[..p + 2]` (z = m + L·ε, ε from the
    /// fit's generator). [`Error::NotFitted`] (the stream not advanced) before any fit.
    pub fn draw(&mut self, out: &mut [T]) -> Result<()> {
        let post = self.posterior()?;
        post.draw(&mut self.rng, out)
    }

    /// `out.len() / (p + 2)` posterior draws, one after the other (the values of as many calls
    /// of [`Fit::draw`]); returns how many. [`Error::Dimension`] (nothing drawn) if `out.len()`
    /// is not a multiple of p + 2, [`Error::NotFitted`] before any fit.
    pub fn draws(&mut self, out: &mut [T]) -> Result<usize> {
        self.draws_with(out, Self::posterior, |q, rng, row| q.draw(rng, row))
    }
}
