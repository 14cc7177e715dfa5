//! Streaming sufficient statistics: a square-root-free Givens factorisation of the design
//! (Gentleman 1973; Miller 1992, AS 274 — the method behind R's `biglm`).
//!
//! For the design A = [1 | X] and response y, the summary keeps G = AᵀA = R̄ᵀ·diag(d)·R̄ with R̄
//! unit upper-triangular, the rotated response t and the minimal residual sum of squares
//! `sserr`, so that RSS(θ) = Σᵢ dᵢ((R̄θ)ᵢ − tᵢ)² + sserr without cancellation. Memory is
//! O(P²) whatever the number of rows; each row costs O(p²) and no square root.
//!
//! Rows may carry weights, and the summary may forget: with a factor γ < 1 every row seen so
//! far weighs γ times less each time a new row arrives (docs/weights.md).
//!
//! Every accepted row, batch or merge leaves yᵀy and each diagonal entry of G at or below
//! `MAX / 2²⁰` of the precision: what is computed from the summary later (residual sums of
//! squares, E[RSS], the gradients, the condition estimate) then stays finite. Why that bound,
//! and what it does not cover: docs/summary-limits.md.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::real::Real;
use crate::vector::Coefs;
#[cfg(any(test, not(vireg_compact)))]
use crate::vector::{dot4, width};

/// Accepted summaries keep yᵀy and G's diagonal at or below `MAX / HEADROOM` of the precision
/// (2²⁰: docs/summary-limits.md, §4 derives it).
const HEADROOM: f64 = (1u64 << 20) as f64;

/// The first `Q` ≤ P entries of `c` (and its intercept's) as coefficients of capacity Q.
#[cfg(not(vireg_compact))]
#[inline(always)]
fn narrow_coefs<T: Copy, const P: usize, const Q: usize>(c: &Coefs<T, P>) -> Coefs<T, Q> {
    Coefs {
        alpha: c.alpha,
        beta: core::array::from_fn(|j| c.beta[j]),
    }
}

/// A data row's β entries (`x`, then zeros up to the capacity), without a call to `memcpy`.
#[cfg(not(vireg_compact))]
#[inline(always)]
fn data_row<T: Real, const P: usize>(x: &[T]) -> [T; P] {
    match <&[T; P]>::try_from(x) {
        Ok(a) => *a,
        Err(_) => core::array::from_fn(|k| x.get(k).copied().unwrap_or(T::ZERO)),
    }
}

/// How many rows of a batch the hosts fold side by side ([`Stats::include_group`]) at
/// widths up to 8 (at larger ones, two: more would not stay in the registers).
#[cfg(not(vireg_compact))]
const GROUP: usize = 4;

/// Whether a row's values (a [`data_row`]) and response are finite (no short cut: fixed-length
/// code that vectorises).
#[cfg(not(vireg_compact))]
#[inline(always)]
fn finite<T: Real, const P: usize>(x: &[T; P], y: T) -> bool {
    x.iter().fold(y.is_finite(), |ok, v| ok & v.is_finite())
}

/// The sufficient statistics of the rows seen so far, for up to `P` features.
///
/// Storage of R̄: the strictly upper triangle of the (P+1)×(P+1) matrix is kept in the upper
/// triangle (diagonal included) of a P×P array: entry (i, j), i < j, is `rbar[i][j - 1]`.
///
/// Weights: as long as every row has had weight 1 and the forgetting factor has been 1, the
/// summary is *unweighted*: its effective row count is the row count itself (exact in any
/// precision) and `nw`, `wmax` stay 0. The first row of another weight, or the first row with
/// γ < 1, makes it *weighted* for good: `nw` = N_w and `wmax` (the largest weight a row holds,
/// after forgetting: > 0 from then on, which is how a weighted summary is told) are kept
/// (docs/weights.md, §2–4).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Stats<T, const P: usize> {
    pub(crate) p: usize,
    pub(crate) n: u64,
    pub(crate) d: Coefs<T, P>,
    pub(crate) t: Coefs<T, P>,
    pub(crate) rbar: [[T; P]; P],
    pub(crate) sserr: T,
    /// Forgetting factor γ ∈ (0, 1].
    pub(crate) forget: T,
    /// N_w, the sum of the rows' current weights (while weighted; 0 before).
    pub(crate) nw: T,
    /// The largest current weight of a row (while weighted, > 0; 0 before).
    pub(crate) wmax: T,
}

/// Whether γ is a forgetting factor: finite, in (0, 1] (only 1 without the `weights`
/// feature). NaN or ±∞ is [`Error::NonFinite`], any other value [`Error::Config`].
pub(crate) fn check_forget<T: Real>(g: T) -> Result<()> {
    if !g.is_finite() {
        Err(Error::NonFinite)
    } else if forget_ok(g) {
        Ok(())
    } else {
        Err(Error::Config)
    }
}

/// Whether a finite γ is in range: (0, 1], or only 1 without the `weights` feature (the
/// summary cannot forget then).
#[inline(always)]
pub(crate) fn forget_ok<T: Real>(g: T) -> bool {
    if cfg!(feature = "weights") {
        g > T::ZERO && g <= T::ONE
    } else {
        g == T::ONE
    }
}

/// Whether `w` is a row weight: finite ([`Error::NonFinite`]) and ≥ 0 ([`Error::Config`]).
#[inline]
fn check_weight<T: Real>(w: T) -> Result<()> {
    if !w.is_finite() {
        Err(Error::NonFinite)
    } else if w < T::ZERO {
        Err(Error::Config)
    } else {
        Ok(())
    }
}

/// `g^k` by repeated squaring (k of any size; underflows to 0 gracefully).
#[cfg(feature = "weights")]
fn pow_u64<T: Real>(mut g: T, mut k: u64) -> T {
    let mut r = T::ONE;
    while k > 0 {
        if k & 1 == 1 {
            r *= g;
        }
        g *= g;
        k >>= 1;
    }
    r
}

impl<T: Real, const P: usize> Stats<T, P> {
    /// An empty summary for `p` features (1 ≤ p ≤ P).
    pub fn new(p: usize) -> Result<Self> {
        if p == 0 || p > P {
            return Err(Error::Features);
        }
        Ok(Stats {
            p,
            n: 0,
            d: Coefs::splat(T::ZERO),
            t: Coefs::splat(T::ZERO),
            rbar: [[T::ZERO; P]; P],
            sserr: T::ZERO,
            forget: T::ONE,
            nw: T::ZERO,
            wmax: T::ZERO,
        })
    }

    /// An empty summary for `p` features that forgets with factor `forget` (see
    /// [`Stats::set_forget`]).
    pub fn with_forget(p: usize, forget: T) -> Result<Self> {
        let mut s = Self::new(p)?;
        s.set_forget(forget)?;
        Ok(s)
    }

    /// The forgetting factor γ ∈ (0, 1] (default 1: no forgetting).
    #[inline]
    pub fn forget(&self) -> T {
        self.forget
    }

    /// Sets the forgetting factor γ: from the next row on, before each row is folded, the
    /// weight of everything seen so far is multiplied by γ, so that of N rows, row i weighs
    /// γ^(N−1−i) (times its own weight): a memory of about 1/(1 − γ) rows. γ = 1 (the default)
    /// forgets nothing. [`Error::NonFinite`] for NaN/±∞, [`Error::Config`] outside (0, 1]; the
    /// summary is then unchanged.
    pub fn set_forget(&mut self, forget: T) -> Result<()> {
        check_forget(forget)?;
        self.forget = forget;
        Ok(())
    }

    /// Whether a row of weight other than 1, or forgetting, has entered the summary.
    #[inline]
    pub fn is_weighted(&self) -> bool {
        cfg!(feature = "weights") && self.wmax > T::ZERO
    }

    /// The effective number of rows N_w = Σᵢ wᵢ, each row's weight after forgetting: the N of
    /// the model (docs/weights.md, §1). The row count itself ([`Stats::rows`]) while the
    /// summary is unweighted.
    #[inline]
    pub fn effective_rows(&self) -> T {
        if self.is_weighted() {
            self.nw
        } else {
            T::from_u64(self.n)
        }
    }

    /// The count of rows that the summary's rounding grows with (the condition estimate's n):
    /// the row count while unweighted, else N_w over the largest weight a row holds, between
    /// 1 and the row count (docs/weights.md, §4). At least 1.
    pub(crate) fn rounding_rows(&self) -> T {
        let n = T::from_u64(self.n.max(1));
        if !self.is_weighted() {
            return n;
        }
        let k = self.nw / self.wmax;
        if k >= n {
            n
        } else {
            k.max(T::ONE)
        }
    }

    /// Number of features. Clamped to P (which it never exceeds): indexing by it is then
    /// visibly in bounds, and compiles without a panic path (tests/firmware.rs).
    #[inline]
    pub fn features(&self) -> usize {
        self.p.min(P)
    }

    /// Number of rows folded in.
    #[inline]
    pub fn rows(&self) -> u64 {
        self.n
    }

    /// Minimal residual sum of squares over all coefficient vectors (unregularised least squares).
    #[inline]
    pub fn sserr(&self) -> T {
        self.sserr
    }

    /// Folds one row: `x` holds the `p` features, `y` the response. A row with a NaN/∞ or the
    /// wrong length is rejected, and so is one after which yᵀy or a diagonal entry of G = AᵀA
    /// would pass `MAX / 2²⁰` of the precision ([`Error::Overflow`]; docs/summary-limits.md):
    /// the summary is then left unchanged. With a forgetting factor γ < 1
    /// ([`Stats::set_forget`]) everything seen before weighs γ times less once the row is in.
    pub fn observe(&mut self, x: &[T], y: T) -> Result<()> {
        self.observe_one(x, y, T::ONE)
    }

    /// Folds one row with weight `w` ≥ 0: the row counts as w rows would (docs/weights.md).
    /// w = 0 changes nothing (not even the row count); a NaN, ±∞ or negative weight is
    /// refused ([`Error::NonFinite`] or [`Error::Config`]), as is a row [`Stats::observe`]
    /// refuses: the summary is then unchanged.
    #[cfg(feature = "weights")]
    pub fn observe_weighted(&mut self, x: &[T], y: T, w: T) -> Result<()> {
        self.observe_one(x, y, w)
    }

    #[inline(always)]
    fn observe_one(&mut self, x: &[T], y: T, w: T) -> Result<()> {
        let n = self.n.checked_add(1).ok_or(Error::Overflow)?;
        self.check_row(x, y)?;
        check_weight(w)?;
        if w == T::ZERO {
            return Ok(());
        }
        #[cfg(not(vireg_compact))]
        return match width::<P>(self.p) {
            4 => self.observe_width::<4>(x, y, w, n),
            8 => self.observe_width::<8>(x, y, w, n),
            16 => self.observe_width::<16>(x, y, w, n),
            32 => self.observe_width::<32>(x, y, w, n),
            _ => self.observe_width::<P>(x, y, w, n),
        };
        #[cfg(vireg_compact)]
        {
            let mut next = *self;
            next.fold(x, y, w);
            next.n = n;
            self.commit(&next)
        }
    }

    /// [`Stats::observe`] (after its checks) on a copy of the summary's first `Q` ≤ P
    /// features' entries, the rest of which are zero (hosts): the same operations on the same
    /// numbers as on a whole copy, at a cost that follows the features, not the capacity.
    #[cfg(not(vireg_compact))]
    #[inline(never)] // its own stack frame, as small as the width
    fn observe_width<const Q: usize>(&mut self, x: &[T], y: T, w: T, n: u64) -> Result<()> {
        let mut next: Stats<T, Q> = self.narrow();
        next.fold(x, y, w);
        next.n = n;
        if !next.within_limits() {
            return Err(Error::Overflow);
        }
        self.widen(&next);
        Ok(())
    }

    /// The summary's entries of the first `Q` features (`p ≤ Q ≤ P`; those past p are zero) as
    /// a summary of capacity Q: the same numbers, so the same results, bit for bit.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn narrow<const Q: usize>(&self) -> Stats<T, Q> {
        Stats {
            p: self.p,
            n: self.n,
            d: narrow_coefs(&self.d),
            t: narrow_coefs(&self.t),
            rbar: core::array::from_fn(|i| core::array::from_fn(|j| self.rbar[i][j])),
            sserr: self.sserr,
            forget: self.forget,
            nw: self.nw,
            wmax: self.wmax,
        }
    }

    /// Writes a narrowed copy (see [`Stats::narrow`]) back; the entries past Q stay as they
    /// were (zero: no row or ridge reaches them).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn widen<const Q: usize>(&mut self, s: &Stats<T, Q>) {
        self.n = s.n;
        self.sserr = s.sserr;
        self.nw = s.nw;
        self.wmax = s.wmax;
        for (o, i) in [(&mut self.d, &s.d), (&mut self.t, &s.t)] {
            o.alpha = i.alpha;
            o.beta[..Q].copy_from_slice(&i.beta);
        }
        for (o, i) in self.rbar.iter_mut().zip(&s.rbar) {
            o[..Q].copy_from_slice(i);
        }
    }

    /// Folds `rows` rows at once, all or nothing. Row `i` is `xs[i*stride .. i*stride + p]` with
    /// response `ys[i]`; `stride ≥ p`. On any bad row nothing is folded and the error is returned
    /// with the index of the first offending row, the one that [`Stats::observe`], row by row,
    /// would refuse first: a NaN/∞ ([`Error::NonFinite`]) or the first row after which the
    /// summary would pass its limits ([`Error::Overflow`]); `ys.len()` with `Overflow` if the
    /// row count would pass 2⁶⁴ − 1. The limits are checked on the state the batch would leave:
    /// at a summary within rounding of them (docs/summary-limits.md, §3), or one that forgets
    /// (the weights of early rows shrink before the batch ends), a batch may be accepted whose
    /// rows one by one would have seen one refused.
    pub fn observe_rows(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
    ) -> core::result::Result<(), (usize, Error)> {
        self.observe_batch(xs, stride, ys, |_| T::ONE)
    }

    /// [`Stats::observe_rows`] with row `i` weighted by `ws[i]` (as in
    /// [`Stats::observe_weighted`]; `ws.len()` must equal `ys.len()`, else
    /// [`Error::Dimension`] at row 0). A bad weight refuses the batch at its row, as a bad
    /// value does; rows of weight 0 change nothing (nor the row count).
    #[cfg(feature = "weights")]
    pub fn observe_rows_weighted(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: &[T],
    ) -> core::result::Result<(), (usize, Error)> {
        if ws.len() != ys.len() {
            return Err((0, Error::Dimension));
        }
        self.observe_batch(xs, stride, ys, |i| ws.get(i).copied().unwrap_or(T::ONE))
    }

    /// The batch of rows, row `i` of weight `ws(i)` (a closure: each kind of batch compiles to
    /// its own loop, and the unweighted one checks no weights).
    #[inline(always)]
    fn observe_batch(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: impl Fn(usize) -> T + Copy,
    ) -> core::result::Result<(), (usize, Error)> {
        let rows = ys.len();
        if stride < self.p {
            return Err((0, Error::Dimension));
        }
        let needed = match rows.checked_sub(1) {
            None => 0,
            Some(last) => match last.checked_mul(stride).and_then(|v| v.checked_add(self.p)) {
                Some(v) => v,
                None => return Err((0, Error::Dimension)),
            },
        };
        if xs.len() < needed {
            return Err((0, Error::Dimension));
        }
        // The count the batch could reach (rows of weight 0 do not count): every row folded
        // can then add one without a check.
        if self.n.checked_add(rows as u64).is_none() {
            return Err((rows, Error::Overflow));
        }
        #[cfg(not(vireg_compact))]
        return match width::<P>(self.p) {
            4 => self.rows_width::<4>(xs, stride, ys, ws),
            8 => self.rows_width::<8>(xs, stride, ys, ws),
            16 => self.rows_width::<16>(xs, stride, ys, ws),
            32 => self.rows_width::<32>(xs, stride, ys, ws),
            _ => self.rows_width::<P>(xs, stride, ys, ws),
        };
        #[cfg(vireg_compact)]
        {
            let mut next = *self;
            match next.fold_rows(self, xs, stride, ys, ws) {
                // The limits are checked once, on the state the batch would leave (the one
                // kept): without forgetting yᵀy and G's diagonal only grow with rows, up to
                // rounding.
                Ok(()) if next.within_limits() => {
                    *self = next;
                    Ok(())
                }
                Ok(()) => Err(self.refusal(xs, stride, ys, ws, None)),
                Err(bad) => Err(self.refusal(xs, stride, ys, ws, Some(bad))),
            }
        }
    }

    /// [`Stats::observe_rows`] after its checks of the lengths and the count, on a narrowed
    /// copy of the summary (see [`Stats::observe_width`]; hosts).
    #[cfg(not(vireg_compact))]
    #[inline(never)] // its own stack frame, as small as the width
    fn rows_width<const Q: usize>(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: impl Fn(usize) -> T + Copy,
    ) -> core::result::Result<(), (usize, Error)> {
        let mut next: Stats<T, Q> = self.narrow();
        match next.fold_rows(self, xs, stride, ys, ws) {
            // The limits are checked once, on the state the batch would leave (the one kept).
            Ok(()) if next.within_limits() => {
                self.widen(&next);
                Ok(())
            }
            Ok(()) => Err(self.refusal(xs, stride, ys, ws, None)),
            Err(bad) => Err(self.refusal(xs, stride, ys, ws, Some(bad))),
        }
    }

    /// Folds the batch's rows into `self` (a copy of `src`, of any capacity Q ≥ p), up to the
    /// first row `src` refuses (its value or its weight), whose index and error are returned.
    /// The lengths were checked by the caller.
    #[inline(always)]
    fn fold_rows<const R: usize>(
        &mut self,
        src: &Stats<T, R>,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: impl Fn(usize) -> T,
    ) -> core::result::Result<(), (usize, Error)> {
        #[cfg(not(vireg_compact))]
        return self.fold_rows_grouped(src, xs, stride, ys, ws);
        #[cfg(vireg_compact)]
        for (i, &y) in ys.iter().enumerate() {
            // In range: i·stride + p ≤ (rows − 1)·stride + p ≤ xs.len(), checked by the caller.
            let Some(x) = src.row_at(xs, stride, i) else {
                return Err((i, Error::Dimension));
            };
            let w = ws(i);
            if let Err(e) = src.check_row(x, y).and_then(|()| check_weight(w)) {
                return Err((i, e));
            }
            if w != T::ZERO {
                self.fold(x, y, w);
                self.n += 1;
            }
        }
        #[cfg(vireg_compact)]
        Ok(())
    }

    /// [`Stats::fold_rows`] on hosts: rows in groups through [`Stats::include_group`] while
    /// they are finite, of weight 1, and the summary neither weighs nor forgets (the rows'
    /// bookkeeping would come between their levels); else one row as [`Stats::fold_rows`]
    /// does.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn fold_rows_grouped<const R: usize>(
        &mut self,
        src: &Stats<T, R>,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: impl Fn(usize) -> T,
    ) -> core::result::Result<(), (usize, Error)> {
        let mut i = 0;
        while let Some(&y) = ys.get(i) {
            let Some(x) = src.row_at(xs, stride, i) else {
                return Err((i, Error::Dimension));
            };
            let w = ws(i);
            if self.plain() && w == T::ONE {
                let k = if P <= 8 {
                    self.group::<GROUP, R>(src, xs, stride, ys, &ws, i)
                } else {
                    self.group::<2, R>(src, xs, stride, ys, &ws, i)
                };
                if let Some(k) = k {
                    i += k;
                    continue;
                }
            }
            if let Err(e) = src.check_row(x, y).and_then(|()| check_weight(w)) {
                return Err((i, e));
            }
            if w != T::ZERO {
                self.fold(x, y, w);
                self.n += 1;
            }
            i += 1;
        }
        Ok(())
    }

    /// Folds rows `i`, `i + 1`, … of the batch as one group through [`Stats::include_group`]
    /// if the next `N` (else the next 2) are there, finite and of weight 1; returns how
    /// many.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn group<const N: usize, const R: usize>(
        &mut self,
        src: &Stats<T, R>,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: &impl Fn(usize) -> T,
        i: usize,
    ) -> Option<usize> {
        let row = |k: usize| -> Option<([T; P], T)> {
            let x = src.row_at(xs, stride, i + k)?;
            let y = *ys.get(i + k)?;
            let r = data_row::<T, P>(x);
            (ws(i + k) == T::ONE && finite(&r, y)).then_some((r, y))
        };
        let mut rows = [[T::ZERO; P]; N];
        let mut y = [T::ZERO; N];
        let mut k = 0;
        while k < N {
            match row(k) {
                Some((r, v)) => {
                    rows[k] = r;
                    y[k] = v;
                }
                None => break,
            }
            k += 1;
        }
        if k == N {
            self.include_group(rows, y);
        } else if k >= 2 {
            self.include_group([rows[0], rows[1]], [y[0], y[1]]);
            k = 2;
        } else {
            return None;
        }
        self.n += k as u64;
        Some(k)
    }

    /// Whether a row of weight 1 leaves the summary's weights alone (see [`Stats::fold`]): it
    /// is unweighted and does not forget.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn plain(&self) -> bool {
        !cfg!(feature = "weights") || (self.wmax == T::ZERO && self.forget == T::ONE)
    }

    /// The error of a refused batch (see [`Stats::observe_rows`], off its fast path): the row
    /// that `observe`, row by row, would refuse first. Replaying the same operations gives the
    /// same states, bit for bit; a batch of no rows on a summary already past the limits (e.g.
    /// a checkpoint's) is refused at row 0.
    #[inline(never)]
    fn refusal(
        &self,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: impl Fn(usize) -> T,
        bad: Option<(usize, Error)>,
    ) -> (usize, Error) {
        let upto = bad.map_or(ys.len(), |(i, _)| i);
        let mut replay = *self;
        for (i, &y) in ys.iter().enumerate().take(upto) {
            let Some(x) = self.row_at(xs, stride, i) else {
                break;
            };
            let w = ws(i);
            if w == T::ZERO {
                continue;
            }
            replay.fold(x, y, w);
            if !replay.within_limits() {
                return (i, Error::Overflow);
            }
        }
        bad.unwrap_or((0, Error::Overflow))
    }

    /// Adds the data summarised by `other` (same number of features, same forgetting factor)
    /// exactly: the result is the summary of both row sets, up to rounding. With forgetting
    /// (γ < 1) the order of rows matters: `other`'s rows count as the newest, so `self`'s
    /// weights are first multiplied by γ^(other's row count), as if `other`'s rows had been
    /// observed after `self`'s one by one (docs/weights.md, §5). [`Error::Mismatch`] if the
    /// numbers of features or the factors differ; `self` is unchanged on error.
    pub fn merge(&mut self, other: &Self) -> Result<()> {
        let n = self.n.checked_add(other.n).ok_or(Error::Overflow)?;
        if other.p != self.p || other.forget != self.forget {
            return Err(Error::Mismatch);
        }
        let mut next = *self;
        #[cfg(feature = "weights")]
        if other.n > 0 && (self.is_weighted() || other.is_weighted() || self.forget != T::ONE) {
            next.start_weights();
            next.age(pow_u64(self.forget, other.n));
            let (onw, owmax) = if other.is_weighted() {
                (other.nw, other.wmax)
            } else {
                (T::from_u64(other.n), T::ONE)
            };
            next.nw += onw;
            next.wmax = next.wmax.max(owmax);
        }
        let p = self.features();
        for i in 0..=p {
            let w = other.d[i];
            if w == T::ZERO {
                continue;
            }
            // Row i of R̄ (1 at position i, zeros before) with response tᵢ and weight dᵢ.
            let mut row = Coefs::splat(T::ZERO);
            row[i] = T::ONE;
            if i < p {
                row.beta[i..p].copy_from_slice(&other.rbar[i][i..p]);
            }
            next.include(w, &mut row, i, other.t[i]);
        }
        next.sserr += other.sserr;
        next.n = n;
        self.commit(&next)
    }

    fn check_row(&self, x: &[T], y: T) -> Result<()> {
        if x.len() != self.p {
            return Err(Error::Dimension);
        }
        if !y.is_finite() || !x.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite);
        }
        Ok(())
    }

    /// Row `i` of a batch laid out with `stride` (its first p values), if `xs` holds it: a
    /// bounds check the compiler sees (no panic path).
    #[inline]
    fn row_at<'x>(&self, xs: &'x [T], stride: usize, i: usize) -> Option<&'x [T]> {
        xs.get(i * stride..).and_then(|r| r.get(..self.p))
    }

    fn commit(&mut self, next: &Self) -> Result<()> {
        if !next.within_limits() {
            return Err(Error::Overflow);
        }
        *self = *next;
        Ok(())
    }

    /// Whether yᵀy = sserr + Σ dᵢtᵢ² and every G_jj = Σᵢ dᵢR̄ᵢⱼ² are at most `MAX / 2²⁰`
    /// (docs/summary-limits.md, §3). Each stored number enters one of these sums of
    /// non-negative terms, so a NaN or ∞ anywhere fails too (a NaN fails every comparison):
    /// no separate finiteness scan.
    pub(crate) fn within_limits(&self) -> bool {
        let lim = T::MAX * T::c(1.0 / HEADROOM);
        let g = self.gram_diag();
        let mut ok = self.yty() <= lim && g.alpha <= lim;
        for gk in &g.beta {
            ok &= *gk <= lim;
        }
        ok
    }

    /// Folds a checked row of weight `w` > 0, after forgetting (the row count is the
    /// caller's).
    #[inline]
    fn fold(&mut self, x: &[T], y: T, w: T) {
        #[cfg(feature = "weights")]
        if (self.wmax > T::ZERO) | (w != T::ONE) | (self.forget != T::ONE) {
            self.weigh(w);
        }
        #[cfg(not(vireg_compact))]
        self.include_row(w, x, y);
        #[cfg(vireg_compact)]
        {
            let mut row = Coefs {
                alpha: T::ONE,
                beta: [T::ZERO; P],
            };
            if let Some(r) = row.beta.get_mut(..x.len()) {
                r.copy_from_slice(x);
            }
            self.include(w, &mut row, 0, y);
        }
    }

    /// [`Stats::include`] of a data row (intercept 1, then `x`) in loops of fixed bounds, which
    /// vectorise and unroll (hosts; see [`Stats::level`]): the same bits as [`Stats::include`].
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn include_row(&mut self, mut w: T, x: &[T], mut y: T) {
        let mut row = data_row::<T, P>(x);
        let mut live = true;
        // Levels of known index for the common widths (the row stays in registers).
        macro_rules! levels {
            ($($i:literal)*) => {{
                $(live = live && self.level($i, &mut w, &mut y, &mut row);)*
            }};
        }
        match P {
            4 => levels!(0 1 2 3 4),
            8 => levels!(0 1 2 3 4 5 6 7 8),
            _ => {
                for i in 0..=P {
                    live = live && self.level(i, &mut w, &mut y, &mut row);
                }
            }
        }
        if live {
            self.sserr += w * y * y;
        }
    }

    /// `N` ≤ 4 data rows of weight 1 ([`data_row`]s, responses `y`) on a summary that neither
    /// weighs nor forgets (hosts): in their order, as calls of [`Stats::include_row`] would fold
    /// them, bit for bit, but interleaved a level apart (row j at level i − j beside row 0 at
    /// level i). Each row's levels form a chain of dependent divisions (through its weight w);
    /// level i − j is the last that row j shares with row j − 1 when that row is at level
    /// i − j + 1, and the levels in flight touch different entries (dₗ, tₗ and R̄'s row l), so
    /// the chains run side by side on the processor's pipelines. Each row's residual term
    /// joins `sserr` when its last level is done: in the rows' order.
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn include_group<const N: usize>(&mut self, mut rows: [[T; P]; N], mut y: [T; N]) {
        let mut w = [T::ONE; N];
        // Whether a row is still being folded: a weight that underflows to 0 ends it, as
        // `include` returns (then without the residual's term).
        let mut live = [true; N];
        // Row j at step s (level s − j), for indices the compiler knows once unrolled.
        macro_rules! lane {
            ($s:expr, $j:literal) => {
                match ($s as usize).checked_sub($j) {
                    Some(l) if $j < N && l <= P && live[$j] => {
                        live[$j] = self.level(l, &mut w[$j], &mut y[$j], &mut rows[$j]);
                        if l == P && live[$j] {
                            self.sserr += w[$j] * y[$j] * y[$j];
                        }
                    }
                    _ => {}
                }
            };
        }
        macro_rules! steps {
            ($($s:literal)*) => {{
                $(
                    if $s < P + N {
                        lane!($s, 0);
                        lane!($s, 1);
                        lane!($s, 2);
                        lane!($s, 3);
                    }
                )*
            }};
        }
        match P {
            4 => steps!(0 1 2 3 4 5 6 7),
            8 => steps!(0 1 2 3 4 5 6 7 8 9 10 11),
            _ => {
                for s in 0..P + N {
                    lane!(s, 0);
                    lane!(s, 1);
                    lane!(s, 2);
                    lane!(s, 3);
                }
            }
        }
    }

    /// Level i of [`Stats::include`] for a data row (0 ≤ i ≤ P; `row` holds the row's β
    /// entries, the intercept's being 1): whether the row goes on (false once its weight has
    /// fallen to 0). The levels past p find xᵢ = 0 and change nothing. R̄'s row i is updated
    /// from entry i rounded down to a whole vector (of 16 bytes) to the capacity, not over
    /// i..p only: the row's entries before i are zero (each is set to zero once a level has
    /// read it as its xᵢ) and so are R̄'s left of its diagonal and past p, so these extra
    /// entries stay +0 (x − xᵢ·0 and c̄·0 + s̄·0, c̄ ≥ 0) and the others get the same operations
    /// on the same numbers as in [`Stats::include`].
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    fn level(&mut self, i: usize, w: &mut T, y: &mut T, row: &mut [T; P]) -> bool {
        let xi = match i.checked_sub(1).and_then(|k| row.get_mut(k)) {
            Some(v) => core::mem::replace(v, T::ZERO),
            None => T::ONE,
        };
        if xi == T::ZERO {
            return true;
        }
        let di = self.d[i];
        let wxi = *w * xi;
        let dpi = di + wxi * xi;
        if cfg!(feature = "weights") && dpi == T::ZERO {
            return true; // as in `include`
        }
        let cbar = di / dpi;
        let sbar = wxi / dpi;
        *w = cbar * *w;
        self.d[i] = dpi;
        let lanes = 16 / core::mem::size_of::<T>();
        let lo = i - i % lanes;
        if let (Some(r), Some(xs)) = (
            self.rbar.get_mut(i).and_then(|r| r.get_mut(lo..)),
            row.get_mut(lo..),
        ) {
            for (rk, xk) in r.iter_mut().zip(xs.iter_mut()) {
                let x0 = *xk;
                *xk = x0 - xi * *rk;
                *rk = cbar * *rk + sbar * x0;
            }
        }
        let y0 = *y;
        *y = y0 - xi * self.t[i];
        self.t[i] = cbar * self.t[i] + sbar * y0;
        *w != T::ZERO
    }

    /// The bookkeeping of a row of weight `w` on a weighted summary (made so if it was not):
    /// everything seen so far forgets by γ, then N_w and the largest weight take the row in.
    #[cfg(feature = "weights")]
    #[inline(never)] // off the unweighted rows' path
    fn weigh(&mut self, w: T) {
        self.start_weights();
        if self.forget != T::ONE {
            self.age(self.forget);
        }
        self.nw += w;
        self.wmax = self.wmax.max(w);
    }

    /// Makes the summary ready to be weighted: until now every row had weight 1 and nothing
    /// was forgotten (it is weighted once `wmax` > 0, i.e. once it holds a row).
    #[cfg(feature = "weights")]
    fn start_weights(&mut self) {
        if self.wmax == T::ZERO {
            self.nw = T::from_u64(self.n);
            self.wmax = if self.n > 0 { T::ONE } else { T::ZERO };
        }
    }

    /// Multiplies the weight of every row seen so far by `f` ∈ [0, 1]: dᵢ, sserr, N_w and the
    /// largest weight (G, b and yᵀy are linear in the weights; R̄ and t, ratios, do not
    /// change). A dᵢ or sserr that falls below the smallest normal number becomes 0: that
    /// direction's information is forgotten, and a subnormal dᵢ would be slow on some FPUs and
    /// overflow the solvers' 1/dᵢ (docs/weights.md, §3).
    #[cfg(feature = "weights")]
    fn age(&mut self, f: T) {
        let p = self.features();
        let flush = |v: T| if v < T::MIN_NORMAL { T::ZERO } else { v };
        for i in 0..=p {
            self.d[i] = flush(self.d[i] * f);
        }
        self.sserr = flush(self.sserr * f);
        self.nw *= f;
        self.wmax *= f;
    }

    /// AS 274 INCLUD: folds `w·(row, y)` in; `row[..first]` must be zero.
    pub(crate) fn include(&mut self, mut w: T, row: &mut Coefs<T, P>, first: usize, mut y: T) {
        let p = self.features();
        for i in first..=p {
            let xi = row[i];
            if xi == T::ZERO {
                continue;
            }
            let di = self.d[i];
            let wxi = w * xi;
            let dpi = di + wxi * xi;
            if cfg!(feature = "weights") && dpi == T::ZERO {
                // dᵢ = 0 (a direction forgotten, or never fed) and w·xᵢ² below the range: the
                // row has nothing measurable here, and 0/0 would poison the summary. (Without
                // forgetting only a direction never fed has dᵢ = 0, and such a row is refused
                // as the summary's range is: `Error::Overflow`.)
                continue;
            }
            let cbar = di / dpi;
            let sbar = wxi / dpi;
            w = cbar * w;
            self.d[i] = dpi;
            if i < p {
                let r = &mut self.rbar[i][i..p];
                let xs = &mut row.beta[i..p];
                for (rk, xk) in r.iter_mut().zip(xs.iter_mut()) {
                    let x0 = *xk;
                    *xk = x0 - xi * *rk;
                    *rk = cbar * *rk + sbar * x0;
                }
            }
            let y0 = y;
            y = y0 - xi * self.t[i];
            self.t[i] = cbar * self.t[i] + sbar * y0;
            if w == T::ZERO {
                return;
            }
        }
        self.sserr += w * y * y;
    }

    /// Residual sum of squares at θ, and `grad = Gθ − b = Aᵀ(Aθ − y)`, both from the factor.
    /// Only θ's first p + 1 entries are read.
    #[inline]
    pub fn rss_grad(&self, theta: &Coefs<T, P>, grad: &mut Coefs<T, P>) -> T {
        #[cfg(vireg_compact)]
        return self.rss_grad_tri(theta, grad);
        #[cfg(not(vireg_compact))]
        self.rss_grad_dense(theta, grad)
    }

    /// [`Stats::rss_grad`] over whole rows of `rbar` (their first [`width`] entries), whose
    /// entries outside the strict upper triangle of the p features are zero (an invariant of
    /// this type, checked on checkpoint load): fixed-length dot products in four interleaved
    /// partial sums and fixed-length row updates, which vectorise, in place of the triangle's
    /// short loops. Hosts only: on a microcontroller the zeros would cost more than the loops
    /// (no vector unit).
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(always)]
    pub(crate) fn rss_grad_dense(&self, theta: &Coefs<T, P>, grad: &mut Coefs<T, P>) -> T {
        match width::<P>(self.p) {
            4 => self.rss_grad_width::<4, P>(theta, grad),
            8 => self.rss_grad_width::<8, P>(theta, grad),
            16 => self.rss_grad_width::<16, P>(theta, grad),
            32 => self.rss_grad_width::<32, P>(theta, grad),
            _ => self.rss_grad_width::<P, P>(theta, grad),
        }
    }

    /// [`Stats::rss_grad_dense`] over the first `Q` (p ≤ Q ≤ P) entries of each row, for θ and
    /// its gradient of capacity R ≥ Q: the entries between p and Q are zeros, whose products
    /// add nothing ([`dot4`]), so every width gives the same bits.
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(always)]
    pub(crate) fn rss_grad_width<const Q: usize, const R: usize>(
        &self,
        theta: &Coefs<T, R>,
        grad: &mut Coefs<T, R>,
    ) -> T {
        self.rss_grad_lanes::<Q, R>(theta, grad, self.p.min(Q))
    }

    /// [`Stats::rss_grad_width`] for `p` = the summary's number of features (at most Q), given
    /// by the caller: a constant p = Q (every lane used) takes the per-entry selects and the
    /// per-row tests out of the compiled loops.
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(always)]
    pub(crate) fn rss_grad_lanes<const Q: usize, const R: usize>(
        &self,
        theta: &Coefs<T, R>,
        grad: &mut Coefs<T, R>,
        p: usize,
    ) -> T {
        // β with zeros past p (the caller's entries there are not ours to read); a select per
        // entry, not a copy of p entries (a call to memcpy).
        let beta: [T; Q] = core::array::from_fn(|j| if j < p { theta.beta[j] } else { T::ZERO });
        // Row 0 (intercept): r₀ = α − t₀ + R̄₀·β.
        let r0 = theta.alpha - self.t.alpha + dot4(&self.rbar[0][..Q], &beta);
        let w0 = self.d.alpha * r0;
        let mut rss = self.sserr + w0 * r0;
        // Rows 1..=p (feature k, row k + 1 of R̄ = rbar[k + 1]; the last row has no entries
        // right of its diagonal): r = β_k − t_k + R̄_{k+1}·β, w = d ⊙ r.
        let mut w = [T::ZERO; Q];
        for k in 0..p {
            let dotk = match self.rbar.get(k + 1) {
                Some(row) if k + 1 < p => dot4(&row[..Q], &beta),
                _ => T::ZERO,
            };
            let r = beta[k] - self.t.beta[k] + dotk;
            w[k] = self.d.beta[k] * r;
            rss += w[k] * r;
        }
        // grad = R̄ᵀw: the unit diagonal's w, then row by row gβ += w_i·R̄_i (R̄_i is zero left
        // of its diagonal), in whole rows: g stays in registers.
        grad.alpha = w0;
        let g = self.grad_rows::<Q>(w0, &w, p);
        for (j, (o, gj)) in grad.beta[..Q].iter_mut().zip(&g).enumerate() {
            *o = if j < p { *gj } else { *o };
        }
        rss
    }

    /// The coefficients' part of [`Stats::rss_grad_lanes`]'s R̄ᵀw, from w₀ and the features'
    /// w. Not inlined: inlined, the compiler keeps the rows' values read by the products
    /// before it in registers until here, more of them than there are (copies to the stack
    /// and back on every SVI step).
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(never)]
    fn grad_rows<const Q: usize>(&self, w0: T, w: &[T; Q], p: usize) -> [T; Q] {
        let rbar = &self.rbar;
        let mut g = *w;
        for (gj, a) in g.iter_mut().zip(&rbar[0][..Q]) {
            *gj += *a * w0;
        }
        for (k, row) in rbar.iter().enumerate().skip(1).take(p.saturating_sub(1)) {
            let wk = w[k - 1];
            for (gj, a) in g.iter_mut().zip(&row[..Q]) {
                *gj += *a * wk;
            }
        }
        g
    }

    /// [`Stats::rss_grad`] over the triangle only (microcontrollers; [`Stats::rss`]).
    #[inline(always)]
    pub(crate) fn rss_grad_tri(&self, theta: &Coefs<T, P>, grad: &mut Coefs<T, P>) -> T {
        let p = self.features();
        let beta = &theta.beta[..p];
        // Row 0 (intercept): r₀ = α − t₀ + R̄₀·β.
        let mut r0 = theta.alpha - self.t.alpha;
        for (a, b) in self.rbar[0][..p].iter().zip(beta) {
            r0 += *a * *b;
        }
        let w0 = self.d.alpha * r0;
        let mut rss = self.sserr + w0 * r0;
        // w = d ⊙ (R̄θ − t), rows 1..=p, stored at beta index i−1.
        let mut w = [T::ZERO; P];
        for k in 0..p {
            let mut r = beta[k] - self.t.beta[k];
            if k + 1 < p {
                for (a, b) in self.rbar[k + 1][k + 1..p].iter().zip(&beta[k + 1..]) {
                    r += *a * *b;
                }
            }
            let wk = self.d.beta[k] * r;
            w[k] = wk;
            rss += wk * r;
        }
        // grad = R̄ᵀ w: column j gets w_j + Σ_{i<j} R̄ᵢⱼ wᵢ.
        grad.alpha = w0;
        let g = &mut grad.beta[..p];
        for (gk, a) in g.iter_mut().zip(&self.rbar[0][..p]) {
            *gk = *a * w0;
        }
        for k in 0..p {
            let wk = w[k];
            g[k] += wk;
            if k + 1 < p {
                for (gj, a) in g[k + 1..].iter_mut().zip(&self.rbar[k + 1][k + 1..p]) {
                    *gj += *a * wk;
                }
            }
        }
        rss
    }

    /// Residual sum of squares at θ, by the triangle's loops (its gradient discarded: one
    /// function less in flash). The exact solver and the condition estimate use it: their
    /// convergence tests, at rounding level, were established with these operations in this
    /// order; on hosts the SVI step's [`Stats::rss_grad`] rounds differently (within a few
    /// units of the last place).
    pub fn rss(&self, theta: &Coefs<T, P>) -> T {
        let mut grad = Coefs::splat(T::ZERO);
        // On microcontrollers rss_grad is the triangle: call it, not a second inlined copy.
        #[cfg(vireg_compact)]
        return self.rss_grad(theta, &mut grad);
        #[cfg(not(vireg_compact))]
        self.rss_grad_tri(theta, &mut grad)
    }

    /// The diagonal of G = AᵀA: G_jj = Σ_{i≤j} dᵢ R̄ᵢⱼ².
    #[inline]
    pub fn gram_diag(&self) -> Coefs<T, P> {
        #[cfg(vireg_compact)]
        return self.gram_diag_tri();
        #[cfg(not(vireg_compact))]
        self.gram_diag_dense()
    }

    /// [`Stats::gram_diag`] column by column over the triangle (microcontrollers: no vector
    /// unit, and no zeros to add).
    #[cfg(any(test, vireg_compact))]
    #[cfg_attr(vireg_compact, inline(never))] // several callers: one copy in flash
    pub(crate) fn gram_diag_tri(&self) -> Coefs<T, P> {
        let mut g = Coefs::splat(T::ZERO);
        g.alpha = self.d.alpha;
        for j in 0..self.features() {
            // Column j + 1 of R̄: rows 0..=j, weights d₀ (the intercept's), then d.beta[..j].
            let mut s = self.d.beta[j] + self.d.alpha * self.rbar[0][j] * self.rbar[0][j];
            for (di, row) in self.d.beta[..j].iter().zip(&self.rbar[1..=j]) {
                s += *di * row[j] * row[j];
            }
            g.beta[j] = s;
        }
        g
    }

    /// [`Stats::gram_diag`] row by row over whole rows of R̄ (their first [`width`] entries;
    /// hosts: fixed-length loops that vectorise). The entries outside the triangle are zero
    /// (see `rss_grad_dense`) and add +0 to sums of non-negative terms, in the same order as
    /// [`Stats::gram_diag_tri`]: the same bits. Entries past p are those of `d`.
    #[cfg(any(test, not(vireg_compact)))]
    #[inline]
    pub(crate) fn gram_diag_dense(&self) -> Coefs<T, P> {
        match width::<P>(self.p) {
            4 => self.gram_diag_width::<4>(),
            8 => self.gram_diag_width::<8>(),
            16 => self.gram_diag_width::<16>(),
            32 => self.gram_diag_width::<32>(),
            _ => self.gram_diag_width::<P>(),
        }
    }

    /// [`Stats::gram_diag_dense`] over the first `Q` (p ≤ Q ≤ P) entries of each row.
    #[cfg(any(test, not(vireg_compact)))]
    #[inline(always)]
    fn gram_diag_width<const Q: usize>(&self) -> Coefs<T, P> {
        let mut g = self.d;
        let weights = core::iter::once(&self.d.alpha).chain(&self.d.beta);
        for (&di, row) in weights.zip(&self.rbar).take(self.p) {
            for (gk, r) in g.beta[..Q].iter_mut().zip(&row[..Q]) {
                *gk += di * *r * *r;
            }
        }
        g
    }

    /// Solves the ridge system (G + diag(ridge)) θ = b through the factor (no normal equations):
    /// the ridge enters as extra weighted rows, then back-substitution.
    pub(crate) fn ridge_solve(&self, ridge: &Coefs<T, P>) -> Coefs<T, P> {
        self.with_ridge(ridge, true)
    }

    /// From the factor of G + diag(ridge): the solution of the ridge system if `solve`, else
    /// the factor's diagonal. One function for both (code size), not inlined (the copy of the
    /// factor stays off the callers' stack frames).
    #[inline(never)]
    pub(crate) fn with_ridge(&self, ridge: &Coefs<T, P>, solve: bool) -> Coefs<T, P> {
        #[cfg(not(vireg_compact))]
        return match width::<P>(self.p) {
            4 => self.with_ridge_width::<4>(ridge, solve),
            8 => self.with_ridge_width::<8>(ridge, solve),
            16 => self.with_ridge_width::<16>(ridge, solve),
            32 => self.with_ridge_width::<32>(ridge, solve),
            _ => self.with_ridge_width::<P>(ridge, solve),
        };
        #[cfg(vireg_compact)]
        {
            let mut f = *self;
            f.add_ridge(ridge);
            if solve {
                f.back_substitute()
            } else {
                f.d
            }
        }
    }

    /// [`Stats::with_ridge`] on a narrowed copy of the factor (see [`Stats::observe_width`];
    /// hosts): the same operations on the same numbers. The entries past Q of the answer are
    /// zero (past p, the solution's are; the diagonal's are not read).
    #[cfg(not(vireg_compact))]
    #[inline(never)] // its own stack frame, as small as the width
    fn with_ridge_width<const Q: usize>(&self, ridge: &Coefs<T, P>, solve: bool) -> Coefs<T, P> {
        let mut f: Stats<T, Q> = self.narrow();
        f.add_ridge(&narrow_coefs(ridge));
        let v = if solve { f.back_substitute() } else { f.d };
        let mut out = Coefs::splat(T::ZERO);
        out.alpha = v.alpha;
        out.beta[..Q].copy_from_slice(&v.beta);
        out
    }

    /// Makes this the factor of G + diag(ridge) (the ridge enters as extra weighted rows). In
    /// place, on the caller's copy: a result would be one more copy of the factor on the stack.
    pub(crate) fn add_ridge(&mut self, ridge: &Coefs<T, P>) {
        let p = self.features();
        for j in 0..=p {
            let mut row = Coefs::splat(T::ZERO);
            row[j] = T::ONE;
            self.include(ridge[j], &mut row, j, T::ZERO);
        }
    }

    /// θ with R̄θ = t (the least-squares solution when every dᵢ > 0).
    fn back_substitute(&self) -> Coefs<T, P> {
        let p = self.features();
        let mut th = Coefs::splat(T::ZERO);
        for i in (0..=p).rev() {
            let mut v = self.t[i];
            if i < p {
                for (a, b) in self.rbar[i][i..p].iter().zip(&th.beta[i..p]) {
                    v -= *a * *b;
                }
            }
            th[i] = v;
        }
        th
    }

    /// Entry (i, j) of R̄ (unit upper-triangular), 0 ≤ i, j ≤ p.
    #[inline]
    fn rbar_at(&self, i: usize, j: usize) -> T {
        match i.cmp(&j) {
            core::cmp::Ordering::Equal => T::ONE,
            core::cmp::Ordering::Less => self.rbar[i][j - 1],
            core::cmp::Ordering::Greater => T::ZERO,
        }
    }

    /// Entry (i, j) of G = AᵀA rebuilt from the factor (diagnostics and tests; O(p)).
    /// Index 0 is the intercept column; panics if i or j exceeds p.
    pub fn gram_entry(&self, i: usize, j: usize) -> T {
        assert!(i <= self.p && j <= self.p, "index out of range");
        let mut s = T::ZERO;
        for k in 0..=i.min(j) {
            s += self.d[k] * self.rbar_at(k, i) * self.rbar_at(k, j);
        }
        s
    }

    /// Entry j of b = Aᵀy rebuilt from the factor (diagnostics and tests).
    pub fn xty_entry(&self, j: usize) -> T {
        assert!(j <= self.p, "index out of range");
        let mut s = T::ZERO;
        for k in 0..=j {
            s += self.d[k] * self.rbar_at(k, j) * self.t[k];
        }
        s
    }

    /// yᵀy rebuilt from the factor: sserr + Σ dᵢtᵢ² (diagnostics and tests).
    pub fn yty(&self) -> T {
        let p = self.features();
        let mut s = self.sserr + self.d.alpha * self.t.alpha * self.t.alpha;
        for (d, t) in self.d.beta[..p].iter().zip(&self.t.beta[..p]) {
            s += *d * *t * *t;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform values in [−2, 2) from an xorshift64 stream seeded with `state`.
    fn uniform_pm2(mut state: u64) -> impl FnMut() -> f64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        }
    }

    /// The hosts' dense residual and gradient against the triangle's (the microcontrollers'),
    /// for every p of a capacity of 7 (a remainder after `dot4`'s chunks of four), f32 and f64.
    fn dense_matches_triangle<T: Real>(tol: f64) {
        let mut next = uniform_pm2(0x2545_f491_4f6c_dd1d);
        for p in 1..=7 {
            let mut s: Stats<T, 7> = Stats::new(p).unwrap();
            for _ in 0..50 {
                let x: [T; 7] = core::array::from_fn(|_| T::c(next()));
                s.observe(&x[..p], T::c(next() * 3.0)).unwrap();
            }
            // Entries past p are garbage: neither version may read them.
            let mut theta = Coefs::splat(T::c(f64::NAN));
            theta.alpha = T::c(next());
            for b in &mut theta.beta[..p] {
                *b = T::c(next());
            }
            let (mut g1, mut g2) = (Coefs::splat(T::ZERO), Coefs::splat(T::ZERO));
            let r1 = s.rss_grad_dense(&theta, &mut g1);
            let r2 = s.rss_grad_tri(&theta, &mut g2);
            let close = |a: T, b: T| (a - b).abs().to_f64() <= tol * (1.0 + b.abs().to_f64());
            assert!(close(r1, r2), "p = {p}: rss {r1:?} vs {r2:?}");
            for i in 0..=p {
                assert!(
                    close(g1[i], g2[i]),
                    "p = {p}: grad[{i}] {:?} vs {:?}",
                    g1[i],
                    g2[i]
                );
            }
        }
    }

    /// On offset data (x ≈ 1000 ± 2) f32's residual and gradient lose what the factor's
    /// row-by-row form loses, no more: the dense version's error against the f64 factor stays
    /// within a small multiple of the triangle's.
    #[test]
    fn dense_rss_grad_keeps_the_factor_accuracy_on_offset_data() {
        let (mut s32, mut s64): (Stats<f32, 3>, Stats<f64, 3>) =
            (Stats::new(3).unwrap(), Stats::new(3).unwrap());
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        };
        for _ in 0..500 {
            let x = [1000.0 + next(), 1000.0 + next(), 1000.0 + next()];
            let y = 5.0 + x[0] - 2.0 * x[1] + 0.5 * x[2] + next();
            let x32 = x.map(|v| v as f32);
            // The same (f32-rounded) rows in both precisions.
            s32.observe(&x32, y as f32).unwrap();
            s64.observe(&x32.map(f64::from), y as f32 as f64).unwrap();
        }
        let th32 = Coefs {
            alpha: 5.1f32,
            beta: [0.99, -2.01, 0.5],
        };
        let th64 = Coefs {
            alpha: 5.1f32 as f64,
            beta: th32.beta.map(f64::from),
        };
        let (mut g64, mut gd, mut gt) = (
            Coefs::splat(0.0f64),
            Coefs::splat(0.0f32),
            Coefs::splat(0.0f32),
        );
        let r64 = s64.rss_grad_tri(&th64, &mut g64);
        let rd = s32.rss_grad_dense(&th32, &mut gd) as f64;
        let rt = s32.rss_grad_tri(&th32, &mut gt) as f64;
        let gscale = (0..4).map(|i| g64[i].abs()).fold(0.0, f64::max);
        let gerr = |g: &Coefs<f32, 3>| {
            (0..4)
                .map(|i| (g[i] as f64 - g64[i]).abs())
                .fold(0.0, f64::max)
                / gscale
        };
        let (ed, et) = ((rd - r64).abs() / r64, (rt - r64).abs() / r64);
        assert!(
            ed <= 4.0 * et.max(1e-6),
            "rss error {ed:e} vs the triangle's {et:e}"
        );
        let (gd_err, gt_err) = (gerr(&gd), gerr(&gt));
        assert!(
            gd_err <= 4.0 * gt_err.max(1e-6),
            "gradient error {gd_err:e} vs the triangle's {gt_err:e}"
        );
    }

    /// The hosts' G diagonal (whole rows) and the microcontrollers' (the triangle, column by
    /// column) agree bit for bit, for every p of a capacity of 7, f32 and f64, with fewer rows
    /// than columns (some dᵢ = 0) and with a duplicated column (its dᵢ at rounding level).
    fn gram_diag_paths_agree<T: Real>() {
        let mut next = uniform_pm2(0x853c_49e6_748f_ea9b);
        for p in 1..=7 {
            for rows in [1, 3, 40] {
                let mut s: Stats<T, 7> = Stats::new(p).unwrap();
                for _ in 0..rows {
                    let mut x: [T; 7] = core::array::from_fn(|_| T::c(next() * 100.0));
                    x[p - 1] = x[0]; // a duplicated column when p > 1
                    s.observe(&x[..p], T::c(next())).unwrap();
                }
                let (a, b) = (s.gram_diag_dense(), s.gram_diag_tri());
                for j in 0..=7 {
                    assert_eq!(a[j].to_bits_u64(), b[j].to_bits_u64(), "p = {p}, G[{j}]");
                }
            }
        }
    }

    #[test]
    fn gram_diag_dense_matches_triangle() {
        gram_diag_paths_agree::<f64>();
        gram_diag_paths_agree::<f32>();
    }

    #[test]
    fn dense_rss_grad_matches_triangle() {
        dense_matches_triangle::<f64>(1e-12);
        dense_matches_triangle::<f32>(1e-4);
    }

    /// Every stored number of a summary, as bits (so that −0 and +0 differ).
    fn bits<T: Real, const P: usize>(s: &Stats<T, P>) -> std::vec::Vec<u64> {
        let mut v = std::vec![s.p as u64, s.n, s.sserr.to_bits_u64()];
        for x in [s.forget, s.nw, s.wmax] {
            v.push(x.to_bits_u64());
        }
        for i in 0..=P {
            v.push(s.d[i].to_bits_u64());
            v.push(s.t[i].to_bits_u64());
        }
        v.extend(s.rbar.iter().flatten().map(|x| x.to_bits_u64()));
        v
    }

    /// A row folded by AS 274's `include` over the triangle (the microcontrollers' `fold`).
    fn fold_by_include<T: Real, const P: usize>(s: &mut Stats<T, P>, x: &[T], y: T, w: T) {
        if w == T::ZERO {
            return;
        }
        #[cfg(feature = "weights")]
        if (s.wmax > T::ZERO) | (w != T::ONE) | (s.forget != T::ONE) {
            s.weigh(w);
        }
        let mut row = Coefs::splat(T::ZERO);
        row.alpha = T::ONE;
        row.beta[..x.len()].copy_from_slice(x);
        s.include(w, &mut row, 0, y);
        s.n += 1;
    }

    /// The hosts' row kernels (one row: `include_row`; a batch: groups of rows through
    /// `include_group`) against `include`, bit for bit, at capacities whose levels are unrolled
    /// (4, 8) or looped (13), with p below and at the capacity: values with exact zeros and
    /// signed zeros (skipped levels), a feature that is always 0 (a direction never fed), tiny
    /// and huge values (w·xᵢ² below the range) and, from an empty summary, the rows whose
    /// weight falls to 0 at each level (the early end).
    fn row_kernels_match_include<T: Real, const P: usize>() {
        let mut next = uniform_pm2(0x9e37_79b9_7f4a_7c15);
        let mut value = |k: usize| -> T {
            let u = next();
            T::c(match k % 7 {
                0 => 0.0,
                1 if u < -1.0 => -0.0,
                2 if u > 1.0 => u * 1e-25,
                3 if u > 1.0 => u * 1e12,
                4 if u > 1.0 => u * 1e-170,
                _ => u,
            })
        };
        for p in 1..=P {
            let rows = 41;
            let mut xs = std::vec::Vec::new();
            let mut ys = std::vec::Vec::new();
            for r in 0..rows {
                for k in 0..p {
                    xs.push(if k == 1 && p > 2 {
                        T::ZERO
                    } else {
                        value(r + k)
                    });
                }
                ys.push(value(r * 3 + 1));
            }
            let mut reference: Stats<T, P> = Stats::new(p).unwrap();
            let (mut one, mut batch) = (reference, reference);
            for (x, y) in xs.chunks_exact(p).zip(&ys) {
                fold_by_include(&mut reference, x, *y, T::ONE);
                one.observe(x, *y).unwrap();
            }
            batch.observe_rows(&xs, p, &ys).unwrap();
            assert_eq!(bits(&one), bits(&reference), "one row at a time, p = {p}");
            assert_eq!(bits(&batch), bits(&reference), "batch, p = {p}");
            // Batches of 1 to 9 rows onto a summary with rows: whole groups, then a pair or
            // a row alone.
            let mut tail = batch;
            for k in 1..=9 {
                tail.observe_rows(&xs[..k * p], p, &ys[..k]).unwrap();
                for (x, y) in xs.chunks_exact(p).zip(&ys).take(k) {
                    fold_by_include(&mut reference, x, *y, T::ONE);
                }
                assert_eq!(bits(&tail), bits(&reference), "batch of {k}, p = {p}");
            }
            // A NaN in the batch's row 6: refused there, the summary unchanged.
            let mut bad = xs.clone();
            bad[6 * p + p - 1] = T::c(f64::NAN);
            assert_eq!(tail.observe_rows(&bad, p, &ys), Err((6, Error::NonFinite)));
            assert_eq!(bits(&tail), bits(&reference), "refused batch, p = {p}");
            #[cfg(feature = "weights")]
            {
                // Weights (0 among them) and forgetting: the batch's rows one at a time.
                // Runs of weight 1 (folded in groups) between the others.
                let ws: std::vec::Vec<T> = (0..rows)
                    .map(|i| T::c([1.0, 0.5, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0][i % 11]))
                    .collect();
                for forget in [T::ONE, T::c(0.9)] {
                    let mut reference: Stats<T, P> = Stats::new(p).unwrap();
                    reference.set_forget(forget).unwrap();
                    let mut batch = reference;
                    for ((x, y), w) in xs.chunks_exact(p).zip(&ys).zip(&ws) {
                        fold_by_include(&mut reference, x, *y, *w);
                    }
                    batch.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
                    assert_eq!(bits(&batch), bits(&reference), "weighted, p = {p}");
                }
            }
        }
    }

    #[test]
    fn row_kernels_match_include_bit_for_bit() {
        row_kernels_match_include::<f64, 4>();
        row_kernels_match_include::<f64, 8>();
        row_kernels_match_include::<f64, 13>();
        row_kernels_match_include::<f32, 4>();
        row_kernels_match_include::<f32, 8>();
        row_kernels_match_include::<f32, 13>();
    }
}
