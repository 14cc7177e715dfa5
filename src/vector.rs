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

impl<T: Copy, const P: usize> Coefs<T, P> {
    /// Every entry equal to `v`.
    #[inline]
    pub fn splat(v: T) -> Self {
        Coefs {
            alpha: v,
            beta: [v; P],
        }
    }
}

impl<T: Real, const P: usize> Coefs<T, P> {
    /// Whether the first `p + 1` entries are all finite (at most all of them).
    #[inline]
    pub fn all_finite(&self, p: usize) -> bool {
        self.alpha.is_finite() && self.beta[..p.min(P)].iter().all(|v| v.is_finite())
    }
}

/// Entry `i ≤ P`. Index 0 wraps to `usize::MAX`, which no array holds, and lands on α, as would
/// an index past P: the code indexes only up to p ≤ P, but the compiler cannot know that of a
/// `p` read from a state, and a bounds check would link the panic machinery into every
/// firmware (tests/firmware.rs proves the C API has no reachable panic). Debug builds (the
/// test suite's `overflow` profile) assert the index instead.
impl<T, const P: usize> Index<usize> for Coefs<T, P> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        debug_assert!(i <= P, "coefficient index {i} past the capacity {P}");
        self.beta.get(i.wrapping_sub(1)).unwrap_or(&self.alpha)
    }
}

impl<T, const P: usize> IndexMut<usize> for Coefs<T, P> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        debug_assert!(i <= P, "coefficient index {i} past the capacity {P}");
        match self.beta.get_mut(i.wrapping_sub(1)) {
            Some(v) => v,
            None => &mut self.alpha,
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

impl<T, const P: usize> Latent<T, P> {
    /// Entry `i` of the flattened vector of a fit with `p` features (`i ≤ p + 1`; `i = p + 1`
    /// is u), by reference: for any element type (the full-rank guide's matrices are latent
    /// vectors of latent vectors).
    #[inline]
    pub fn at(&self, i: usize, p: usize) -> &T {
        match i.checked_sub(1) {
            None => &self.theta.alpha,
            Some(k) if k < p => self.theta.beta.get(k).unwrap_or(&self.u),
            Some(_) => &self.u,
        }
    }

    /// Mutable entry `i` of the flattened vector (see [`Latent::at`]).
    #[inline]
    pub fn get_mut(&mut self, i: usize, p: usize) -> &mut T {
        match i.checked_sub(1) {
            None => &mut self.theta.alpha,
            Some(k) if k < p => match self.theta.beta.get_mut(k) {
                Some(v) => v,
                None => &mut self.u,
            },
            Some(_) => &mut self.u,
        }
    }
}

impl<T: Copy, const P: usize> Latent<T, P> {
    /// Every entry equal to `v`.
    #[inline]
    pub fn splat(v: T) -> Self {
        Latent {
            theta: Coefs::splat(v),
            u: v,
        }
    }

    /// Entry `i` of the flattened vector of a fit with `p` features (`i ≤ p + 1`; `i = p + 1` is u).
    /// By value, not as `*self.at(i, p)`: the value select compiles to fewer instructions on
    /// the Cortex-M4F's SVI step (8 026 against 8 221 per step, tests/firmware.rs).
    #[inline]
    pub fn get(&self, i: usize, p: usize) -> T {
        match i.checked_sub(1) {
            None => self.theta.alpha,
            Some(k) if k < p => self.theta.beta.get(k).copied().unwrap_or(self.u),
            Some(_) => self.u,
        }
    }
}

impl<T: Real, const P: usize> Latent<T, P> {
    /// The intercept's entry, the first `Q` ≤ P coefficients' and u's, as a latent vector of
    /// capacity Q (hosts' kernels on the features in use).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    pub(crate) fn narrow<const Q: usize>(&self) -> Latent<T, Q> {
        Latent {
            theta: Coefs {
                alpha: self.theta.alpha,
                beta: core::array::from_fn(|j| self.theta.beta[j]),
            },
            u: self.u,
        }
    }

    /// The entries of `s` (capacity `Q` ≤ P) in place of the first Q, and zeros past them.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    pub(crate) fn widen_from<const Q: usize>(&mut self, s: &Latent<T, Q>) {
        self.theta.alpha = s.theta.alpha;
        self.theta.beta[..Q].copy_from_slice(&s.theta.beta);
        self.theta.beta[Q..].fill(T::ZERO);
        self.u = s.u;
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
        let p = p.min(P);
        for (a, b) in self.theta.beta[..p].iter_mut().zip(&o.theta.beta[..p]) {
            f(a, *b);
        }
        f(&mut self.u, o.u);
    }

    /// Applies `f` element-wise to four latent vectors' `p + 2` meaningful entries, in the
    /// latent order (intercept, coefficients, u). The build's variant: [`Latent::zip4_wide`],
    /// or [`Latent::zip4_compact`] with the `vireg_compact` cfg (the same calls in the same
    /// order; tested).
    #[inline(always)]
    pub(crate) fn zip4<F: FnMut(&mut T, T, &mut T, &mut T)>(
        a: &mut Self,
        b: &Self,
        c: &mut Self,
        d: &mut Self,
        p: usize,
        f: F,
    ) {
        #[cfg(vireg_compact)]
        Self::zip4_compact(a, b, c, d, p, f);
        #[cfg(not(vireg_compact))]
        Self::zip4_wide(a, b, c, d, p, f);
    }

    /// [`Latent::zip4`] as one loop over the flattened index: `f` is compiled once, not three
    /// times (intercept, coefficients, u): less flash, a few more instructions.
    #[cfg(any(test, vireg_compact))]
    #[inline(always)]
    pub(crate) fn zip4_compact<F: FnMut(&mut T, T, &mut T, &mut T)>(
        a: &mut Self,
        b: &Self,
        c: &mut Self,
        d: &mut Self,
        p: usize,
        mut f: F,
    ) {
        for i in 0..p + 2 {
            f(
                a.get_mut(i, p),
                b.get(i, p),
                c.get_mut(i, p),
                d.get_mut(i, p),
            );
        }
    }

    /// [`Latent::zip4`] without a branch per element.
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(always)]
    pub(crate) fn zip4_wide<F: FnMut(&mut T, T, &mut T, &mut T)>(
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
        );
        let it = a
            .theta
            .beta
            .iter_mut()
            .zip(&b.theta.beta)
            .zip(&mut c.theta.beta)
            .zip(&mut d.theta.beta)
            .take(p);
        for (((x, y), z), w) in it {
            f(x, *y, z, w);
        }
        f(&mut a.u, b.u, &mut c.u, &mut d.u);
    }

    /// [`Latent::zip4`] over the first [`width`] entries of the coefficient arrays (a loop of
    /// known length, which the compiler turns into vector instructions; hosts): `f` also gets
    /// whether the entry is one of the `p + 2` (it must leave the others as they were, or as
    /// harmless). The entries past the width are left alone.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    pub(crate) fn zip4_whole<F: FnMut(&mut T, T, &mut T, &mut T, bool)>(
        a: &mut Self,
        b: &Self,
        c: &mut Self,
        d: &mut Self,
        p: usize,
        f: F,
    ) {
        match width::<P>(p) {
            4 => Self::zip4_width::<4, F>(a, b, c, d, p, f),
            8 => Self::zip4_width::<8, F>(a, b, c, d, p, f),
            16 => Self::zip4_width::<16, F>(a, b, c, d, p, f),
            32 => Self::zip4_width::<32, F>(a, b, c, d, p, f),
            _ => Self::zip4_width::<P, F>(a, b, c, d, p, f),
        }
    }

    /// [`Latent::zip4_whole`] over the first `Q` coefficients (`Q` ≤ P).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn zip4_width<const Q: usize, F: FnMut(&mut T, T, &mut T, &mut T, bool)>(
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
        let (ab, bb) = (&mut a.theta.beta[..Q], &b.theta.beta[..Q]);
        let (cb, db) = (&mut c.theta.beta[..Q], &mut d.theta.beta[..Q]);
        for j in 0..Q {
            f(&mut ab[j], bb[j], &mut cb[j], &mut db[j], j < p);
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

/// How many coefficient entries the hosts' kernels process for `p` features at capacity P: the
/// smallest of 4, 8, 16 and 32 that holds p and is below P, else P. The kernels are compiled
/// for each width (loops of known length, which vectorise), so that their cost follows the
/// features in use, not the capacity; the entries between p and the width are the zeros of
/// the summary (or are masked), so each width gives the results of the full one, bit for bit.
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
pub(crate) fn width<const P: usize>(p: usize) -> usize {
    let mut w = P;
    for q in [32, 16, 8, 4] {
        if q < P && p <= q {
            w = q;
        }
    }
    w
}

/// Σ a[c]·b[c] over two slices of equal length, in four interleaved partial sums added
/// pairwise at the end: a fixed order of operations (the same result on every call) that
/// vectorises. Products of zeros past the used entries add nothing (no partial sum is −0: each
/// starts at +0), so a shorter slice that holds every nonzero product gives the same bits.
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
pub(crate) fn dot4<T: Real>(a: &[T], b: &[T]) -> T {
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

/// The last `W` values written, in a ring: the convergence test's window.
///
/// Every index is reduced modulo W, so none can be out of bounds (no panic path); every byte
/// is a value or a count (no padding), and slots not yet written are zero.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub(crate) struct Window<T, const W: usize> {
    data: [T; W],
    /// The slot of the next write (the oldest value's once the window is full).
    next: u32,
    /// Values held, at most W.
    len: u32,
}

impl<T: Real, const W: usize> Window<T, W> {
    /// An empty window.
    pub(crate) fn new() -> Self {
        Window {
            data: [T::ZERO; W],
            next: 0,
            len: 0,
        }
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        *self = Self::new();
    }

    /// Appends `v`, in place of the oldest value if the window is full.
    pub(crate) fn write(&mut self, v: T) {
        let at = self.next as usize % W;
        self.data[at] = v;
        self.next = ((at + 1) % W) as u32;
        // Saturating, so that equal histories are equal bytes (a restored window too).
        self.len = (self.len() + 1).min(W) as u32;
    }

    /// Number of values held.
    pub(crate) fn len(&self) -> usize {
        (self.len as usize).min(W)
    }

    /// Whether the window holds W values.
    pub(crate) fn is_full(&self) -> bool {
        self.len() == W
    }

    /// The values held, in slot order (the order of writing until the window is full).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.data.iter().take(self.len())
    }

    /// The values held, oldest first.
    pub(crate) fn oldest_ordered(&self) -> impl Iterator<Item = &T> {
        let start = if self.is_full() {
            self.next as usize % W
        } else {
            0
        };
        self.data[start..]
            .iter()
            .chain(&self.data[..start])
            .take(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The two `zip4` variants make the same calls in the same order, on every p of a
    /// capacity of 5 (p = P included), and leave the entries past p alone.
    #[test]
    fn zip4_variants_agree() {
        for p in 1..=5 {
            let mk = |k: f64| {
                let mut l: Latent<f64, 5> = Latent::splat(-1.0);
                for i in 0..p + 2 {
                    *l.get_mut(i, p) = k + i as f64;
                }
                l
            };
            let b = mk(100.0);
            let run = |wide: bool| {
                let (mut a, mut c, mut d) = (mk(0.0), mk(10.0), mk(20.0));
                let mut order = Vec::new();
                let f = |x: &mut f64, y: f64, z: &mut f64, w: &mut f64| {
                    order.push((*x, y, *z, *w));
                    *x += y;
                    *z *= y;
                    *w -= *x;
                };
                if wide {
                    Latent::zip4_wide(&mut a, &b, &mut c, &mut d, p, f);
                } else {
                    Latent::zip4_compact(&mut a, &b, &mut c, &mut d, p, f);
                }
                (a, c, d, order)
            };
            let (w, c) = (run(true), run(false));
            assert_eq!(w, c, "p = {p}");
            assert_eq!(w.3.len(), p + 2);
        }
    }
}
