//! Rows, batches and merges that would put the data summary out of its precision's range.
//!
//! The rule (docs/summary-limits.md): an accepted summary keeps yᵀy and every diagonal entry of
//! G = AᵀA at or below `MAX / 2²⁰`; a row, batch or merge that would pass it is refused with
//! `Error::Overflow` and leaves the fit exactly as it was. Here, for every magnitude from 1e15
//! to the precision's largest number (several mantissas per decade, and the exact boundary found
//! by bisection), in y and in a feature, positive and negative, f32 and f64, after 0, 1 or 10
//! earlier rows, with one feature and with eight: the call is either refused and the fit's bytes
//! (its checkpoint) are unchanged, or accepted and the fit stays usable (see `assert_usable`).
//! The boundaries found are printed (`--nocapture`) and checked against the rule's threshold.

#![allow(clippy::needless_range_loop)]

use vireg::ffi::*;
use vireg::{Config, Error, Fit, Normal};

/// The rule's threshold, as f64: MAX / 2²⁰.
fn limit<T: Normal>() -> f64 {
    T::MAX.to_f64() / (1u64 << 20) as f64
}

fn name<T: Normal>() -> &'static str {
    if T::BYTES == 4 {
        "f32"
    } else {
        "f64"
    }
}

/// Row `i` of ordinary data: features in [−2, 2], y a linear function of them plus noise.
fn good_row<T: Normal>(i: usize, p: usize, x: &mut [T]) -> T {
    let mut y = 1.0;
    for j in 0..p {
        let v = (((i * 7 + j * 3) % 11) as f64 - 5.0) / 2.5;
        x[j] = T::c(v);
        y += if j % 2 == 0 { 0.5 } else { -0.25 } * v;
    }
    T::c(y + 0.1 * (((i * 5) % 7) as f64 - 3.0))
}

/// A fit with `good` ordinary rows.
fn base<T: Normal, const P: usize>(p: usize, good: usize) -> Fit<T, P> {
    let mut f: Fit<T, P> = Fit::new(p, Config::default()).unwrap();
    let mut x = [T::c(0.0); P];
    for i in 0..good {
        let y = good_row(i, p, &mut x);
        f.observe(&x[..p], y).unwrap();
    }
    f
}

/// Where the large value goes: the response, or feature j.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    Y,
    X(usize),
}

/// An ordinary row with `v` put in `place`.
fn bad_row<T: Normal, const P: usize>(p: usize, place: Place, v: f64) -> ([T; P], T) {
    let mut x = [T::c(0.0); P];
    let mut y = good_row(99, p, &mut x);
    match place {
        Place::Y => y = T::c(v),
        Place::X(j) => x[j] = T::c(v),
    }
    (x, y)
}

/// The whole fit as bytes (its checkpoint: data summary, guide, optimiser, generator).
fn bytes<T: Normal, const P: usize>(f: &Fit<T, P>) -> Vec<u8> {
    let mut b = vec![0u8; Fit::<T, P>::CHECKPOINT_BYTES];
    f.save(&mut b).unwrap();
    b
}

/// The magnitudes swept: 1, 1.2, 1.5, 2, 3, 5, 7 × 10ᵏ from 1e15 up, then the largest values
/// (MAX, the number below it, MAX·(1 − 2⁻¹⁰), MAX/2), each as rounded to T.
fn magnitudes<T: Normal>() -> Vec<f64> {
    let max = T::MAX.to_f64();
    let mut v = Vec::new();
    for k in 15..=max.log10() as i32 {
        for m in [1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 7.0] {
            let x = T::c(m * 10f64.powi(k)).to_f64();
            if x < max {
                v.push(x);
            }
        }
    }
    let below = |x: f64| T::c(x).to_f64();
    let next_below_max = if T::BYTES == 4 {
        f32::from_bits(f32::MAX.to_bits() - 1) as f64
    } else {
        f64::from_bits(f64::MAX.to_bits() - 1)
    };
    v.extend([
        below(max / 2.0),
        below(max * (1.0 - 1.0 / 1024.0)),
        next_below_max,
        max,
    ]);
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v.dedup();
    v
}

/// What happened to a call: refused (and the fit checked unchanged) or accepted.
fn attempt<T: Normal, const P: usize>(
    f: &Fit<T, P>,
    call: impl FnOnce(&mut Fit<T, P>) -> Result<(), Error>,
) -> Option<Fit<T, P>> {
    let mut g = f.clone();
    let before = bytes(f);
    match call(&mut g) {
        Ok(()) => Some(g),
        Err(e) => {
            assert_eq!(e, Error::Overflow, "a finite row refused with {e:?}");
            assert_eq!(bytes(&g), before, "a refused call changed the fit");
            assert_eq!(&g, f);
            None
        }
    }
}

/// How the usability checks went, for the report.
#[derive(Default, Debug)]
struct Tally {
    accepted: usize,
    exact_ok: usize,
    ill_conditioned: usize,
    /// `Overflow` from the exact solve on data it fits exactly (rows ≤ p + 1: see below).
    exact_overflow_degenerate: usize,
    /// Summaries left full (see `full`): an ordinary row after them was refused, or a batch
    /// was accepted whose rows one by one saw one refused.
    full: usize,
}

/// The fit is usable: every quantity the summary gives is finite, the ELBO at the current guide
/// is finite, `solve_exact` does not overflow, SVI steps (from the initial guide and from the
/// exact optimum) do not diverge ten times in a row, and an ordinary row is still accepted,
/// unless the summary is full (within rounding of the limit): then it is refused and the fit
/// is unchanged.
///
/// With rows ≤ p + 1 the least-squares fit is exact and the mean-field noise level has no
/// positive optimum: the exact solver starts from a floor of 1e-30 for σ², multiplies its
/// inverse by G's diagonal, and overflows for reasons that have nothing to do with the
/// summary's range (two rows and one feature: from x ≈ 3e4 in f32, 1e139 in f64;
/// docs/summary-limits.md, §5). There, and only there, `Overflow` from `solve_exact` is
/// counted, not failed.
fn assert_usable<T: Normal, const P: usize>(f: &Fit<T, P>, what: &str, tally: &mut Tally) {
    let p = f.features();
    let s = f.stats();
    tally.accepted += 1;
    let fin = |v: T, q: &str| assert!(v.is_finite(), "{what}: {q} = {v:?}");
    fin(s.yty(), "yty");
    fin(s.sserr(), "sserr");
    let g = s.gram_diag();
    for i in 0..=p {
        fin(g[i], "G_jj");
        fin(s.xty_entry(i), "b_j");
        for j in 0..=p {
            fin(s.gram_entry(i, j), "G_ij");
        }
    }
    assert!(
        s.yty().to_f64() <= limit::<T>(),
        "{what}: yty above the limit"
    );
    fin(f.elbo(), "ELBO at the initial guide");
    let svi_ok = |mut h: Fit<T, P>, from: &str| {
        let diverged = (0..10).filter(|_| h.step() == Err(Error::Diverged)).count();
        assert!(
            diverged < 10,
            "{what}: SVI from {from} diverged 10 times in a row"
        );
    };
    svi_ok(f.clone(), "the initial guide");
    let mut e = f.clone();
    match e.solve_exact() {
        Ok(_) => {
            tally.exact_ok += 1;
            svi_ok(e, "the exact optimum");
        }
        Err(Error::IllConditioned) => tally.ill_conditioned += 1,
        Err(Error::Overflow) if s.rows() <= p as u64 + 1 => tally.exact_overflow_degenerate += 1,
        Err(err) => panic!("{what}: solve_exact returned {err:?}"),
    }
    let mut x = [T::c(0.0); P];
    let y = good_row(3, p, &mut x);
    match attempt(f, |h| h.observe(&x[..p], y)) {
        Some(_) => {}
        None => {
            assert!(full(s), "{what}: an ordinary row refused below the limit");
            tally.full += 1;
        }
    }
}

/// Whether yᵀy or some G_jj is within rounding of the limit: the summary is full, and a further
/// ordinary row may be refused (with the fit unchanged) because the factor's sums, recomputed
/// after it, round past the limit.
fn full<T: Normal, const P: usize>(s: &vireg::Stats<T, P>) -> bool {
    let g = s.gram_diag();
    let most = (0..=s.features())
        .map(|j| g[j].to_f64())
        .fold(s.yty().to_f64(), f64::max);
    most >= limit::<T>() * (1.0 - 1e-4)
}

/// The smallest refused magnitude of an increasing accept/refuse sequence, refined by bisection
/// between the last accepted and the first refused grid value down to adjacent numbers of T.
/// Checks that refusal is monotone on the grid. Returns (largest accepted, smallest refused).
fn boundary<T: Normal>(grid: &[f64], mut accepted: impl FnMut(f64) -> bool) -> (f64, f64) {
    let ok: Vec<bool> = grid.iter().map(|&v| accepted(v)).collect();
    let first_refused = ok.iter().position(|a| !a).expect("MAX was accepted");
    assert!(first_refused > 0, "1e15 was refused");
    assert!(
        ok[first_refused..].iter().all(|a| !a),
        "a magnitude above a refused one was accepted"
    );
    let (mut lo, mut hi) = (grid[first_refused - 1], grid[first_refused]);
    loop {
        let mid = T::c((lo + hi) / 2.0).to_f64();
        if mid == lo || mid == hi {
            return (lo, hi);
        }
        if accepted(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}

/// One sweep of `Stats::observe` through `Fit::observe`: every magnitude, usable-or-unchanged,
/// and the boundary. Returns the smallest refused magnitude.
fn sweep_observe<T: Normal, const P: usize>(
    p: usize,
    good: usize,
    place: Place,
    sign: f64,
    tally: &mut Tally,
) -> f64 {
    let f0 = base::<T, P>(p, good);
    let grid = magnitudes::<T>();
    let what = |v: f64| {
        format!(
            "{} p={p} good={good} {place:?} v={:e}",
            name::<T>(),
            sign * v
        )
    };
    let run = |v: f64, tally: &mut Tally| {
        let (x, y) = bad_row::<T, P>(p, place, sign * v);
        let r = attempt(&f0, |f| f.observe(&x[..p], y));
        if let Some(f) = &r {
            assert_usable(f, &what(v), tally);
        }
        r.is_some()
    };
    let (lo, hi) = boundary::<T>(&grid, |v| run(v, tally));
    // The worst accepted row is usable too (run again: `boundary` only recorded the answer).
    assert!(run(lo, tally));
    // The rule refuses where the summary would pass MAX/2²⁰, not before: for these data the
    // new row's square is all of it.
    let want = limit::<T>().sqrt();
    assert!(
        (hi / want - 1.0).abs() < 1e-3,
        "{}: boundary {hi:e}, the rule's {want:e}",
        what(hi)
    );
    hi
}

fn places(p: usize) -> Vec<Place> {
    if p == 1 {
        vec![Place::Y, Place::X(0)]
    } else {
        vec![Place::Y, Place::X(0), Place::X(p - 1)]
    }
}

fn observe_sweeps<T: Normal>() {
    let mut tally = Tally::default();
    for good in [0, 1, 10] {
        for sign in [1.0, -1.0] {
            for place in places(1) {
                let b = sweep_observe::<T, 1>(1, good, place, sign, &mut tally);
                println!(
                    "observe {} p=1 good={good:2} {place:?} sign {sign:+}: smallest refused {b:.6e}",
                    name::<T>()
                );
            }
            for place in places(8) {
                let b = sweep_observe::<T, 8>(8, good, place, sign, &mut tally);
                println!(
                    "observe {} p=8 good={good:2} {place:?} sign {sign:+}: smallest refused {b:.6e}",
                    name::<T>()
                );
            }
        }
    }
    println!("observe {}: {tally:?}", name::<T>());
    assert!(tally.exact_ok > tally.accepted / 2);
}

#[test]
fn observe_refuses_exactly_past_the_limit_f32() {
    observe_sweeps::<f32>();
}

#[test]
fn observe_refuses_exactly_past_the_limit_f64() {
    observe_sweeps::<f64>();
}

/// `observe` row by row, stopping at the first refusal: the fit then, and the refusal.
fn one_by_one<T: Normal, const P: usize>(
    f0: &Fit<T, P>,
    xs: &[T],
    stride: usize,
    ys: &[T],
) -> (Fit<T, P>, Option<(usize, Error)>) {
    let p = f0.features();
    let mut f = f0.clone();
    for (i, &y) in ys.iter().enumerate() {
        if let Err(e) = f.observe(&xs[i * stride..i * stride + p], y) {
            return (f, Some((i, e)));
        }
    }
    (f, None)
}

/// A batch of 3 ordinary rows, the large row, 3 ordinary rows (row stride p + 1): all or
/// nothing, and what observing the rows one by one does: accepted with the same bytes, or
/// refused with the index and status of the first row `observe` refuses, the fit unchanged.
/// The same batch with a NaN in row 5 is refused at the first row `observe` refuses too.
fn batch_sweep<T: Normal, const P: usize>(
    p: usize,
    place: Place,
    sign: f64,
    tally: &mut Tally,
) -> f64 {
    let f0 = base::<T, P>(p, 10);
    let stride = p + 1;
    let grid = magnitudes::<T>();
    let mut run = |v: f64| {
        let mut xs = vec![T::c(0.0); 7 * stride];
        let mut ys = vec![T::c(0.0); 7];
        for i in 0..7 {
            ys[i] = good_row(20 + i, p, &mut xs[i * stride..i * stride + p]);
        }
        let (x, y) = bad_row::<T, P>(p, place, sign * v);
        xs[3 * stride..3 * stride + p].copy_from_slice(&x[..p]);
        ys[3] = y;
        let (one, first) = one_by_one(&f0, &xs, stride, &ys);
        let mut batch = f0.clone();
        let r = batch.observe_rows(&xs, stride, &ys);
        // With a NaN further on: refused exactly where observe refuses.
        let mut nan = ys.clone();
        nan[5] = T::c(f64::NAN);
        let (_, first_nan) = one_by_one(&f0, &xs, stride, &nan);
        let mut batch_nan = f0.clone();
        let r_nan = batch_nan.observe_rows(&xs, stride, &nan);
        assert_eq!(Some(r_nan.unwrap_err()), first_nan, "v = {v:e}");
        assert_eq!(bytes(&batch_nan), bytes(&f0));
        match (r, first) {
            (Ok(()), None) => {
                assert_eq!(bytes(&batch), bytes(&one));
                assert_usable(&batch, "batch", tally);
                true
            }
            (Err(e), Some(first)) => {
                assert_eq!(e, first, "v = {v:e}");
                assert_eq!(e.1, Error::Overflow);
                assert_eq!(bytes(&batch), bytes(&f0));
                false
            }
            // The batch's limits are checked on its last state: one by one, a row after the
            // large one may be refused at a full summary whose sums, recomputed, round back
            // under the limit by the batch's end.
            (Ok(()), Some((i, e))) => {
                assert!(
                    e == Error::Overflow && i > 3 && full(one.stats()),
                    "v = {v:e}: row {i} refused ({e:?})"
                );
                tally.full += 1;
                assert_usable(&batch, "batch", tally);
                true
            }
            (Err(e), None) => panic!("v = {v:e}: batch refused ({e:?}), each row accepted"),
        }
    };
    let (_, hi) = boundary::<T>(&grid, &mut run);
    hi
}

fn batch_sweeps<T: Normal>() {
    let mut tally = Tally::default();
    for sign in [1.0, -1.0] {
        for place in places(1) {
            let b = batch_sweep::<T, 1>(1, place, sign, &mut tally);
            println!(
                "observe_rows {} p=1 {place:?} sign {sign:+}: smallest refused {b:.6e}",
                name::<T>()
            );
        }
        for place in places(8) {
            let b = batch_sweep::<T, 8>(8, place, sign, &mut tally);
            println!(
                "observe_rows {} p=8 {place:?} sign {sign:+}: smallest refused {b:.6e}",
                name::<T>()
            );
        }
    }
    println!("observe_rows {}: {tally:?}", name::<T>());
}

#[test]
fn observe_rows_is_all_or_nothing_and_names_the_first_bad_row_f32() {
    batch_sweeps::<f32>();
}

#[test]
fn observe_rows_is_all_or_nothing_and_names_the_first_bad_row_f64() {
    batch_sweeps::<f64>();
}

/// A batch whose rows are each fine but together pass the limit: refused at the first row
/// whose running total passes it.
fn batch_of_fine_rows<T: Normal>() {
    let v = (limit::<T>() / 3.5).sqrt(); // each row's y² is 2/7 of the limit
    let f0 = base::<T, 1>(1, 10);
    let ys = [T::c(v); 6];
    let xs = [T::c(0.5); 6];
    let mut f = f0.clone();
    assert_eq!(f.observe_rows(&xs, 1, &ys), Err((3, Error::Overflow)));
    assert_eq!(bytes(&f), bytes(&f0));
    assert_eq!(f.observe_rows(&xs[..3], 1, &ys[..3]), Ok(()));
}

#[test]
fn observe_rows_refuses_fine_rows_that_pass_the_limit_together() {
    batch_of_fine_rows::<f32>();
    batch_of_fine_rows::<f64>();
}

/// Two summaries, each within the limit, whose sum is not: the merge is refused and `self` is
/// unchanged, or accepted and usable. The boundary is where 2v² passes the limit.
fn merge_sweep<T: Normal, const P: usize>(p: usize, good: usize, place: Place) -> f64 {
    let grid = magnitudes::<T>();
    let mut tally = Tally::default();
    let mut run = |v: f64| {
        let (x, y) = bad_row::<T, P>(p, place, v);
        let mut a = base::<T, P>(p, good);
        let mut b = base::<T, P>(p, good);
        if a.observe(&x[..p], y).is_err() {
            return false; // one summary alone is already refused: nothing to merge
        }
        let (x2, y2) = bad_row::<T, P>(p, place, -v);
        b.observe(&x2[..p], y2).unwrap();
        let r = attempt(&a, |f| f.merge(b.stats()));
        if let Some(f) = &r {
            assert_usable(f, &format!("merge {} v={v:e}", name::<T>()), &mut tally);
        }
        r.is_some()
    };
    let (_, hi) = boundary::<T>(&grid, &mut run);
    let want = (limit::<T>() / 2.0).sqrt();
    assert!(
        (hi / want - 1.0).abs() < 1e-3,
        "merge boundary {hi:e}, the rule's {want:e}"
    );
    hi
}

fn merge_sweeps<T: Normal>() {
    for good in [0, 10] {
        for place in places(1) {
            let b = merge_sweep::<T, 1>(1, good, place);
            println!(
                "merge {} p=1 good={good:2} {place:?}: smallest refused {b:.6e}",
                name::<T>()
            );
        }
        for place in places(8) {
            let b = merge_sweep::<T, 8>(8, good, place);
            println!(
                "merge {} p=8 good={good:2} {place:?}: smallest refused {b:.6e}",
                name::<T>()
            );
        }
    }
}

#[test]
fn merge_refuses_sums_past_the_limit_f32() {
    merge_sweeps::<f32>();
}

#[test]
fn merge_refuses_sums_past_the_limit_f64() {
    merge_sweeps::<f64>();
}

/// Once a summary sits right at the limit, the rows that would pass it are refused one after
/// the other and the summary stays usable: the refusal does not poison anything either.
#[test]
fn a_summary_at_the_limit_keeps_refusing_and_stays_usable() {
    let mut f = base::<f32, 1>(1, 10);
    let v = (limit::<f32>() * 0.999).sqrt() as f32;
    f.observe(&[0.5], v).unwrap();
    let mut tally = Tally::default();
    for _ in 0..3 {
        let before = bytes(&f);
        assert_eq!(f.observe(&[0.5], v / 16.0), Err(Error::Overflow));
        assert_eq!(bytes(&f), before);
        assert_usable(&f, "at the limit", &mut tally);
    }
    assert_eq!(tally.exact_ok, 3);
}

// ---------------------------------------------------------------------------------------------
// The C ABI
// ---------------------------------------------------------------------------------------------

/// The C functions of one precision, so that one test body covers both.
trait CApi: Normal {
    type State;
    fn zeroed() -> Box<core::mem::MaybeUninit<Self::State>>;
    /// # Safety
    /// `f` points to a state of this precision.
    unsafe fn init(f: *mut Self::State, p: usize) -> vireg_status;
    /// # Safety
    /// As `init`; `x` valid for `p` reads.
    unsafe fn observe(f: *mut Self::State, x: *const Self, p: usize, y: Self) -> vireg_status;
    /// # Safety
    /// As `init`; `x`, `y` valid for the reads the batch needs.
    unsafe fn observe_rows(
        f: *mut Self::State,
        x: *const Self,
        n: usize,
        p: usize,
        y: *const Self,
        bad: *mut usize,
    ) -> vireg_status;
    /// # Safety
    /// Both point to initialised states of this precision.
    unsafe fn merge(dst: *mut Self::State, src: *const Self::State) -> vireg_status;
    /// # Safety
    /// As `init`.
    unsafe fn solve_exact(f: *mut Self::State) -> vireg_status;
    /// # Safety
    /// As `init`.
    unsafe fn save(f: *const Self::State) -> Vec<u8>;
}

macro_rules! c_api {
    ($t:ty, $state:ty, $init:ident, $obs:ident, $rows:ident, $merge:ident, $solve:ident, $save:ident, $size:ident) => {
        impl CApi for $t {
            type State = $state;
            fn zeroed() -> Box<core::mem::MaybeUninit<$state>> {
                Box::new(core::mem::MaybeUninit::zeroed())
            }
            unsafe fn init(f: *mut $state, p: usize) -> vireg_status {
                // SAFETY: forwarded.
                unsafe { $init(f, core::mem::size_of::<$state>(), p, core::ptr::null()) }
            }
            unsafe fn observe(f: *mut $state, x: *const $t, p: usize, y: $t) -> vireg_status {
                // SAFETY: forwarded.
                unsafe { $obs(f, x, p, y) }
            }
            unsafe fn observe_rows(
                f: *mut $state,
                x: *const $t,
                n: usize,
                p: usize,
                y: *const $t,
                bad: *mut usize,
            ) -> vireg_status {
                // SAFETY: forwarded.
                unsafe { $rows(f, x, n, p, p, y, bad) }
            }
            unsafe fn merge(dst: *mut $state, src: *const $state) -> vireg_status {
                // SAFETY: forwarded.
                unsafe { $merge(dst, src) }
            }
            unsafe fn solve_exact(f: *mut $state) -> vireg_status {
                // SAFETY: forwarded.
                unsafe { $solve(f, core::ptr::null_mut()) }
            }
            unsafe fn save(f: *const $state) -> Vec<u8> {
                let mut b = vec![0u8; $size()];
                // SAFETY: `b` holds the checkpoint size; `f` forwarded.
                let s = unsafe { $save(f, b.as_mut_ptr(), b.len(), core::ptr::null_mut()) };
                assert_eq!(s, VIREG_OK);
                b
            }
        }
    };
}

c_api!(
    f32,
    vireg_fit_f32,
    vireg_init_sized_f32,
    vireg_observe_f32,
    vireg_observe_rows_f32,
    vireg_merge_f32,
    vireg_solve_exact_f32,
    vireg_save_f32,
    vireg_checkpoint_size_f32
);
c_api!(
    f64,
    vireg_fit_f64,
    vireg_init_sized_f64,
    vireg_observe_f64,
    vireg_observe_rows_f64,
    vireg_merge_f64,
    vireg_solve_exact_f64,
    vireg_save_f64,
    vireg_checkpoint_size_f64
);

/// Through the C functions, for magnitudes on both sides of the boundary found through Rust:
/// refused with VIREG_ERR_OVERFLOW and the checkpoint bytes unchanged, or accepted and solvable.
fn c_boundary<T: CApi>() {
    let p = 3;
    let (lo, hi) = {
        let f0 = base::<T, 3>(p, 10);
        boundary::<T>(&magnitudes::<T>(), |v| {
            let (x, y) = bad_row::<T, 3>(p, Place::Y, v);
            f0.clone().observe(&x[..p], y).is_ok()
        })
    };
    let max = T::MAX.to_f64();
    let mut a = T::zeroed();
    let mut b = T::zeroed();
    let (fa, fb) = (a.as_mut_ptr(), b.as_mut_ptr());
    // The ten ordinary rows, into a freshly initialised state.
    let reset = |f: *mut T::State| {
        // SAFETY: `f` is one of the boxed states below; `x` holds p values.
        unsafe {
            assert_eq!(T::init(f, p), VIREG_OK);
            let mut x = [T::c(0.0); 3];
            for i in 0..10 {
                let y = good_row(i, p, &mut x);
                assert_eq!(T::observe(f, x.as_ptr(), p, y), VIREG_OK);
            }
        }
    };
    reset(fa);
    // SAFETY: both states are boxed, zero-filled and of T's precision; every slice outlives
    // the calls and holds the lengths passed.
    unsafe {
        let cases = [
            (1e15, true),
            (lo, true),
            (hi, false),
            (1e30, T::BYTES == 8),
            (max.sqrt(), false),
            (max, false),
        ];
        for place in [Place::Y, Place::X(0), Place::X(2)] {
            for (v, ok) in cases {
                for sign in [1.0, -1.0] {
                    let (x, y) = bad_row::<T, 3>(p, place, sign * v);
                    let before = T::save(fa);
                    let s = T::observe(fa, x.as_ptr(), p, y);
                    if ok {
                        assert_eq!(s, VIREG_OK, "{place:?} {v:e}");
                        assert_ne!(T::solve_exact(fa), VIREG_ERR_OVERFLOW, "{place:?} {v:e}");
                        reset(fa);
                    } else {
                        assert_eq!(s, VIREG_ERR_OVERFLOW, "{place:?} {v:e}");
                        assert_eq!(T::save(fa), before, "{place:?} {v:e}: state changed");
                    }
                }
            }
        }
        // A batch with the large row third: refused, the index of that row reported.
        let mut xs = vec![T::c(0.0); 5 * p];
        let mut ys = [T::c(0.0); 5];
        for i in 0..5 {
            ys[i] = good_row(30 + i, p, &mut xs[i * p..(i + 1) * p]);
        }
        ys[2] = T::c(hi * 1.01);
        let before = T::save(fa);
        let mut bad = usize::MAX;
        let s = T::observe_rows(fa, xs.as_ptr(), 5, p, ys.as_ptr(), &mut bad);
        assert_eq!((s, bad), (VIREG_ERR_OVERFLOW, 2));
        assert_eq!(T::save(fa), before);
        // A merge of two states each within the limit whose sum is not.
        let v = T::c((limit::<T>() * 0.7).sqrt());
        reset(fb);
        let x = [T::c(0.5); 3];
        assert_eq!(T::observe(fa, x.as_ptr(), p, v), VIREG_OK);
        assert_eq!(T::observe(fb, x.as_ptr(), p, v), VIREG_OK);
        let before = T::save(fa);
        assert_eq!(T::merge(fa, fb), VIREG_ERR_OVERFLOW);
        assert_eq!(T::save(fa), before);
        println!(
            "C ABI {}: y refused from {hi:.6e} (largest accepted {lo:.6e})",
            name::<T>()
        );
    }
}

#[test]
fn c_abi_refuses_past_the_limit_and_keeps_the_bytes() {
    c_boundary::<f32>();
    c_boundary::<f64>();
}
