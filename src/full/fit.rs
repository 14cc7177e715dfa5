//! The full-rank guide as a variational family ([`Ops`]): what the SVI loop of a
//! [`FullFit`](crate::FullFit) needs of it. The SVI loop, Adam, the iterate average and the
//! divergence rollback are the mean-field fit's (the guide's `tril` entries are parameters like
//! loc and ρ).

#![forbid(unsafe_code)]

use super::elbo::{analytic_with, mc_with};
use super::{tril_entry, tril_entry_mut, tril_zeros, FullGuide};
use crate::error::Result;
use crate::estimator::Estimator;
use crate::family::{zip4_blocks, zip_blocks, Family, Ops};
use crate::model::{ModelConsts, Prior};
use crate::rng::{Normal, SeededRng};
use crate::stats::Stats;
use crate::vector::Latent;
use core::mem::size_of;

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
