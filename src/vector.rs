//! Fixed-capacity vectors indexed like the regression coefficients and the latent vector.
//!
//! The const parameter `P` is the *feature capacity*; the actual number of features `p ≤ P`
//! is chosen at run time and stored by the containers that use these types.

#![forbid(unsafe_code)]

use crate::real::Real;
use core::ops::{Index, IndexMut};

/// A value for each coefficient θ = (α, β₁ … β_P): index 0 is the intercept, index j ≥ 1 is
/// feature j. Only the first `p + 1` entries are meaningful for a fit with `p` features.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Coefs<T, const P: usize> {
    /// The intercept's entry (index 0).
    pub alpha: T,
    /// The features' entries (indices 1 … P).
    pub beta: [T; P],
}

impl<T: Real, const P: usize> Coefs<T, P> {
    /// Every entry equal to `v`.
    #[inline]
    pub fn splat(v: T) -> Self {
        Coefs {
            alpha: v,
            beta: [v; P],
        }
    }

    /// Whether the first `p + 1` entries are all finite.
    #[inline]
    pub fn all_finite(&self, p: usize) -> bool {
        self.alpha.is_finite() && self.beta[..p].iter().all(|v| v.is_finite())
    }
}

impl<T, const P: usize> Index<usize> for Coefs<T, P> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        if i == 0 {
            &self.alpha
        } else {
            &self.beta[i - 1]
        }
    }
}

impl<T, const P: usize> IndexMut<usize> for Coefs<T, P> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        if i == 0 {
            &mut self.alpha
        } else {
            &mut self.beta[i - 1]
        }
    }
}

/// A value for each latent variable z = (α, β₁ … β_p, u), u = ln σ, in Pyro's site order.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Latent<T, const P: usize> {
    /// The coefficients' entries (α, β).
    pub theta: Coefs<T, P>,
    /// The entry of u = ln σ.
    pub u: T,
}

impl<T: Real, const P: usize> Latent<T, P> {
    /// Every entry equal to `v`.
    #[inline]
    pub fn splat(v: T) -> Self {
        Latent {
            theta: Coefs::splat(v),
            u: v,
        }
    }

    /// Entry `i` of the flattened vector of a fit with `p` features (`i ≤ p + 1`; `i = p + 1` is u).
    #[inline]
    pub fn get(&self, i: usize, p: usize) -> T {
        if i == p + 1 {
            self.u
        } else {
            self.theta[i]
        }
    }

    /// Mutable entry `i` of the flattened vector (see [`Latent::get`]).
    #[inline]
    pub fn get_mut(&mut self, i: usize, p: usize) -> &mut T {
        if i == p + 1 {
            &mut self.u
        } else {
            &mut self.theta[i]
        }
    }

    /// Whether the `p + 2` meaningful entries are finite.
    #[inline]
    pub fn all_finite(&self, p: usize) -> bool {
        self.theta.all_finite(p) && self.u.is_finite()
    }

    /// Applies `f` to the `p + 2` meaningful entries of `self` (mutably) and of `o`, in order,
    /// without a branch per element.
    #[inline(always)]
    pub(crate) fn zip_mut<F: FnMut(&mut T, T)>(&mut self, o: &Self, p: usize, mut f: F) {
        f(&mut self.theta.alpha, o.theta.alpha);
        for (a, b) in self.theta.beta[..p].iter_mut().zip(&o.theta.beta[..p]) {
            f(a, *b);
        }
        f(&mut self.u, o.u);
    }

    /// Applies `f` element-wise to four latent vectors' `p + 2` meaningful entries.
    #[inline(always)]
    pub(crate) fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        a: &mut Self,
        b: &Self,
        c: &mut Self,
        d: &mut Self,
        p: usize,
        mut f: F,
    ) {
        // On bare metal, one loop over the flattened index: `f` is compiled once, not three
        // times (intercept, coefficients, u): less flash, a few more instructions.
        #[cfg(target_os = "none")]
        for i in 0..p + 2 {
            f(
                a.get_mut(i, p),
                b.get(i, p),
                c.get_mut(i, p),
                d.get_mut(i, p),
            );
        }
        // Elsewhere, no branch per element.
        #[cfg(not(target_os = "none"))]
        {
            f(
                &mut a.theta.alpha,
                b.theta.alpha,
                &mut c.theta.alpha,
                &mut d.theta.alpha,
            );
            let it = a.theta.beta[..p]
                .iter_mut()
                .zip(&b.theta.beta[..p])
                .zip(&mut c.theta.beta[..p])
                .zip(&mut d.theta.beta[..p]);
            for (((x, y), z), w) in it {
                f(x, *y, z, w);
            }
            f(&mut a.u, b.u, &mut c.u, &mut d.u);
        }
    }

    /// [`Latent::zip4`] over the whole coefficient arrays (a loop of known length, which the
    /// compiler turns into vector instructions; hosts): `f` also gets whether the entry is one
    /// of the `p + 2` (it must leave the others as they were, or as harmless).
    #[cfg(not(target_os = "none"))]
    #[inline(always)]
    pub(crate) fn zip4_whole<F: FnMut(&mut T, T, &mut T, &mut T, bool)>(
        a: &mut Self,
        b: &Self,
        c: &mut Self,
        d: &mut Self,
        p: usize,
        mut f: F,
    ) {
        f(
            &mut a.theta.alpha,
            b.theta.alpha,
            &mut c.theta.alpha,
            &mut d.theta.alpha,
            true,
        );
        for j in 0..P {
            f(
                &mut a.theta.beta[j],
                b.theta.beta[j],
                &mut c.theta.beta[j],
                &mut d.theta.beta[j],
                j < p,
            );
        }
        f(&mut a.u, b.u, &mut c.u, &mut d.u, true);
    }

    /// Copies the `p + 2` entries, in the latent order, into `out`; returns how many were written.
    pub fn copy_to(&self, p: usize, out: &mut [T]) -> usize {
        let n = (p + 2).min(out.len());
        for (i, o) in out.iter_mut().enumerate().take(n) {
            *o = self.get(i, p);
        }
        n
    }
}

/// Σ a[c]·b[c] over the whole arrays, in four interleaved partial sums added pairwise at the
/// end: a fixed order of operations (the same result on every call) that vectorises.
#[cfg(any(test, not(target_os = "none")))]
#[inline(always)]
pub(crate) fn dot4<T: Real, const P: usize>(a: &[T; P], b: &[T; P]) -> T {
    let mut acc = [T::ZERO; 4];
    let (mut ca, mut cb) = (a.chunks_exact(4), b.chunks_exact(4));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ca.remainder().iter().zip(cb.remainder()).enumerate() {
        acc[l] += *x * *y;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}
