//! Synthetic data in the seed's recipe, from the seeded generator: α ~ N(42, 10),
//! βⱼ ~ N(0, 10), σ ~ Exponential(1), x ~ N(0, I), y = α + x·β + N(0, σ). Rows are produced
//! one at a time, so a device can build a seed-sized data set without storing it.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::rng::{Normal, SeededRng};
use crate::vector::Coefs;

/// A stream of synthetic rows with known true parameters.
// repr(C): the C ABI zeroes the padding bytes between and after the fields (their offsets
// are then the declaration's), so that every byte of its state is defined.
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub struct Synth<T, const P: usize> {
    pub(crate) p: usize,
    pub(crate) truth: Coefs<T, P>,
    pub(crate) sigma: T,
    pub(crate) rng: SeededRng,
}

impl<T: Normal, const P: usize> Synth<T, P> {
    /// Draws the true parameters for `p` features from `seed`.
    pub fn new(p: usize, seed: u64) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        let mut rng = SeededRng::new(seed);
        let mut truth = Coefs::splat(T::ZERO);
        truth.alpha = T::c(42.0) + T::c(10.0) * T::std_normal(&mut rng);
        for b in truth.beta[..p].iter_mut() {
            *b = T::c(10.0) * T::std_normal(&mut rng);
        }
        let sigma = -T::uniform_open(&mut rng).ln();
        Ok(Synth {
            p,
            truth,
            sigma,
            rng,
        })
    }

    /// The true intercept and coefficients.
    pub fn truth(&self) -> &Coefs<T, P> {
        &self.truth
    }

    /// The true noise sd.
    pub fn sigma(&self) -> T {
        self.sigma
    }

    /// Writes the next row's features into `x[..p]` and returns its response.
    pub fn next_row(&mut self, x: &mut [T]) -> Result<T> {
        if x.len() < self.p {
            return Err(Error::Dimension);
        }
        let mut y = self.truth.alpha;
        for (xj, bj) in x[..self.p].iter_mut().zip(&self.truth.beta) {
            *xj = T::std_normal(&mut self.rng);
            y += *xj * *bj;
        }
        Ok(y + self.sigma * T::std_normal(&mut self.rng))
    }
}
