//! The generic body of each exported function (the same name without the `vireg_` prefix, the
//! `full_` of the full-rank family and the precision suffix): written once for both precisions
//! through [`Prec`] and, where the two fit types share a function, once for both guide families
//! through [`CFit`]. Each has the safety contract of its exported wrappers.

use super::boundary::*;
use super::state::{busy, Opaque, State, MAX_FEATURES};
use super::status::*;
use super::types::{Prec, Progress, VIREG_ESTIMATOR_ANALYTIC, VIREG_ESTIMATOR_MONTE_CARLO};
use crate::checkpoint::Stored;
use crate::full::entry;
use crate::{
    AdamConfig, Config, Error, Estimator, Family, Fit, FullPosterior, Posterior, Real, Summary,
    Synth,
};
use core::ffi::c_void;
use core::mem::size_of;
use core::ptr;

/// A C fit state type, mean-field (`vireg_fit_*`) or full-rank (`vireg_full_*`): its precision,
/// its guide family, and what that family's exact solve and posterior give, so that the bodies
/// of the functions both fit types offer are written once. Each method is the kernel's own
/// (inlined: the mean-field functions compile to what direct calls would).
pub(super) trait CFit: Opaque<Inner = Fit<Self::T, MAX_FEATURES, Self::G>> {
    /// The precision.
    type T: Prec;
    /// The guide family.
    type G: Family<Self::T, MAX_FEATURES> + Stored<Self::T, MAX_FEATURES>;
    /// The family's posterior.
    type Post;
    /// The C report of the exact solve.
    type CExact;
    /// Sets the fit to the family's exact optimum.
    fn solve_exact(f: &mut Self::Inner) -> Result<Self::CExact, Error>;
    /// The condition estimate of the data.
    fn condition(f: &Self::Inner) -> Result<Self::T, Error>;
    /// The posterior (NotFitted before any fit).
    fn posterior(f: &Self::Inner) -> Result<Self::Post, Error>;
    /// `out.len() / (p + 2)` draws from the fit's stream.
    fn draws(f: &mut Self::Inner, out: &mut [Self::T]) -> Result<usize, Error>;
    /// The latent locations into `out[..p + 2]`.
    fn loc(post: &Self::Post, out: &mut [Self::T]);
    /// The latent marginal sds into `out[..p + 2]` (the mean-field guide's scales).
    fn sd(post: &Self::Post, out: &mut [Self::T]);
    /// The summary of constrained parameter `i`.
    fn summary(post: &Self::Post, i: usize) -> Option<Summary<Self::T>>;
    /// The quantile `q` of constrained parameter `i`.
    fn quantile(post: &Self::Post, i: usize, q: Self::T) -> Result<Self::T, Error>;
    /// The predictive mean and sd at `x`.
    fn predict(post: &Self::Post, x: &[Self::T]) -> Result<(Self::T, Self::T), Error>;
    /// The highest-density interval of probability `mass` of σ (its log-normal marginal).
    fn sigma_hdi(post: &Self::Post, mass: Self::T) -> Result<(Self::T, Self::T), Error>;
    /// The latent covariance (or its Cholesky factor) into `out[..(p + 2)²]`, row-major.
    fn matrix(post: &Self::Post, which: Matrix, out: &mut [Self::T]);
}

/// Which matrix of the posterior to copy out.
#[derive(Clone, Copy)]
pub(super) enum Matrix {
    /// The latent covariance S.
    Covariance,
    /// Its lower Cholesky factor L (S = L·Lᵀ): exported for the full-rank fit only.
    #[cfg_attr(not(feature = "ffi-full"), allow(dead_code))]
    Cholesky,
}

/// Writes the d×d matrix whose entry (i, j) is `at(i, j)` into `out`, row-major, as far as
/// `out` reaches (by an iterator: no index or chunk size the compiler could not prove valid,
/// so no panic path on microcontrollers).
#[inline]
fn write_matrix<T: Copy>(d: usize, out: &mut [T], at: impl Fn(usize, usize) -> T) {
    let mut it = out.iter_mut();
    for i in 0..d {
        for j in 0..d {
            if let Some(o) = it.next() {
                *o = at(i, j);
            }
        }
    }
}

macro_rules! c_fit {
    ($t:ty, $fit:ty, $full:ty) => {
        impl CFit for $fit {
            type T = $t;
            type G = crate::Guide<$t, MAX_FEATURES>;
            type Post = Posterior<$t, MAX_FEATURES>;
            type CExact = <$t as Prec>::CExactReport;
            #[inline(always)]
            fn solve_exact(f: &mut Self::Inner) -> Result<Self::CExact, Error> {
                f.solve_exact().map(Into::into)
            }
            #[inline(always)]
            fn condition(f: &Self::Inner) -> Result<$t, Error> {
                f.condition()
            }
            #[inline(always)]
            fn posterior(f: &Self::Inner) -> Result<Self::Post, Error> {
                f.posterior()
            }
            #[inline(always)]
            fn draws(f: &mut Self::Inner, out: &mut [$t]) -> Result<usize, Error> {
                f.draws(out)
            }
            #[inline(always)]
            fn loc(post: &Self::Post, out: &mut [$t]) {
                post.loc(out);
            }
            #[inline(always)]
            fn sd(post: &Self::Post, out: &mut [$t]) {
                post.scale(out);
            }
            #[inline(always)]
            fn summary(post: &Self::Post, i: usize) -> Option<Summary<$t>> {
                post.summary(i)
            }
            #[inline(always)]
            fn quantile(post: &Self::Post, i: usize, q: $t) -> Result<$t, Error> {
                post.quantile(i, q)
            }
            #[inline(always)]
            fn predict(post: &Self::Post, x: &[$t]) -> Result<($t, $t), Error> {
                post.predict(x)
            }
            #[inline(always)]
            fn sigma_hdi(post: &Self::Post, mass: $t) -> Result<($t, $t), Error> {
                post.sigma_hdi(mass)
            }
            fn matrix(post: &Self::Post, which: Matrix, out: &mut [$t]) {
                // Independent latents: S = diag(scale²), L = diag(scale).
                let d = post.p + 2;
                let scale = |i: usize| *post.scale.at(i, post.p);
                write_matrix(d, out, |i, j| match (i == j, which) {
                    (false, _) => 0.0,
                    (true, Matrix::Covariance) => scale(i) * scale(i),
                    (true, Matrix::Cholesky) => scale(i),
                });
            }
        }

        impl CFit for $full {
            type T = $t;
            type G = crate::FullGuide<$t, MAX_FEATURES>;
            type Post = FullPosterior<$t, MAX_FEATURES>;
            type CExact = <$t as Prec>::CFullReport;
            fn solve_exact(f: &mut Self::Inner) -> Result<Self::CExact, Error> {
                f.solve_exact().map(Into::into)
            }
            fn condition(f: &Self::Inner) -> Result<$t, Error> {
                f.condition()
            }
            fn posterior(f: &Self::Inner) -> Result<Self::Post, Error> {
                f.posterior()
            }
            fn draws(f: &mut Self::Inner, out: &mut [$t]) -> Result<usize, Error> {
                f.draws(out)
            }
            fn loc(post: &Self::Post, out: &mut [$t]) {
                post.loc(out);
            }
            fn sd(post: &Self::Post, out: &mut [$t]) {
                post.sd(out);
            }
            fn summary(post: &Self::Post, i: usize) -> Option<Summary<$t>> {
                post.summary(i)
            }
            fn quantile(post: &Self::Post, i: usize, q: $t) -> Result<$t, Error> {
                post.quantile(i, q)
            }
            fn predict(post: &Self::Post, x: &[$t]) -> Result<($t, $t), Error> {
                post.predict(x)
            }
            fn sigma_hdi(post: &Self::Post, mass: $t) -> Result<($t, $t), Error> {
                post.marginals().sigma_hdi(mass)
            }
            fn matrix(post: &Self::Post, which: Matrix, out: &mut [$t]) {
                let (p, d) = (post.features(), post.features() + 2);
                match which {
                    Matrix::Covariance => {
                        let s = post.covariance();
                        write_matrix(d, out, |i, j| entry(&s, i, j, p));
                    }
                    Matrix::Cholesky => {
                        let l = post.cholesky();
                        write_matrix(d, out, |i, j| if j <= i { entry(l, i, j, p) } else { 0.0 });
                    }
                }
            }
        }
    };
}

c_fit!(
    f32,
    super::state::vireg_fit_f32,
    super::state::vireg_full_f32
);
c_fit!(
    f64,
    super::state::vireg_fit_f64,
    super::state::vireg_full_f64
);

/// The C configuration of the precision of `S`.
type CConfigOf<S> = <<S as CFit>::T as Prec>::CConfig;

pub(super) unsafe fn config_default<T: Prec>(out: *mut T::CConfig) -> vireg_status {
    boundary(|| {
        check_ptr(out)?;
        // SAFETY: checked non-NULL and aligned; valid for a write (caller).
        unsafe { out.write(T::config_out(&Config::default())) };
        Ok(())
    })
}

pub(super) unsafe fn init<S: CFit>(
    fit: *mut S,
    fit_size: usize,
    n_features: usize,
    config: *const CConfigOf<S>,
) -> vireg_status {
    boundary(|| {
        check_ptr(fit)?;
        check_size::<S>(fit_size)?;
        check_opt(config)?;
        let cfg = if config.is_null() {
            Config::default()
        } else {
            // SAFETY: non-NULL, aligned (checked), valid for a read (caller).
            S::T::config_in(unsafe { &*config })?
        };
        let st = fit.cast::<State<S::Inner>>();
        // Built in place (a fit built on the stack and then copied would need twice its
        // size of stack). The marker is written last: on error, the state is untouched.
        // SAFETY: checked non-NULL and aligned, valid for writes and not borrowed (caller),
        // large enough and aligned for `State` (compile-time checks); a `MaybeUninit` may
        // refer to memory in any state.
        let slot = unsafe {
            &mut *ptr::addr_of_mut!((*st).value).cast::<core::mem::MaybeUninit<S::Inner>>()
        };
        S::Inner::init_into(slot, n_features, cfg).map_err(status)?;
        // SAFETY: as above; `slot` is no longer used, the value is initialised.
        unsafe {
            tidy(st);
            zero_reserve(fit);
            ptr::addr_of_mut!((*st).marker).write(<S as Opaque>::MARKER);
        }
        Ok(())
    })
}

pub(super) unsafe fn config_get<S: CFit>(fit: *const S, out: *mut CConfigOf<S>) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| Ok(S::T::config_out(&f.config()))) }
}

pub(super) unsafe fn set_learning_rate<S: CFit>(fit: *mut S, lr: S::T) -> vireg_status {
    let op = |f: &mut S::Inner| {
        let adam = AdamConfig {
            lr,
            ..f.config().adam
        };
        f.set_adam(adam).map_err(status)
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn reset<S: CFit>(fit: *mut S) -> vireg_status {
    let op = |f: &mut S::Inner| {
        f.reset_data();
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn set_estimator<S: CFit>(
    fit: *mut S,
    estimator: u32,
    particles: u32,
) -> vireg_status {
    let op = |f: &mut S::Inner| {
        // The mapping of vireg_config_*.estimator (the particles are ignored when analytic).
        let e = match estimator {
            VIREG_ESTIMATOR_MONTE_CARLO => Estimator::MonteCarlo { particles },
            VIREG_ESTIMATOR_ANALYTIC => Estimator::Analytic,
            _ => return Err(VIREG_ERR_CONFIG),
        };
        f.set_estimator(e).map_err(status)
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn features<S: CFit>(fit: *const S, out: *mut usize) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| Ok(f.features())) }
}

pub(super) unsafe fn rows<S: CFit>(fit: *const S, out: *mut u64) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| Ok(f.stats().rows())) }
}

pub(super) unsafe fn observe<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_features: usize,
    y: S::T,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { one_row(fit, x, n_features, |f, x| f.observe(x, y)) }
}

#[cfg(feature = "weights")]
pub(super) unsafe fn observe_weighted<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_features: usize,
    y: S::T,
    w: S::T,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { one_row(fit, x, n_features, |f, x| f.observe_weighted(x, y, w)) }
}

/// The checks of one row (vireg_observe_* and its weighted form): `fold` folds the checked
/// features into the fit.
#[inline(always)]
unsafe fn one_row<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_features: usize,
    fold: impl FnOnce(&mut S::Inner, &[S::T]) -> crate::Result<()>,
) -> vireg_status {
    if x.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &mut S::Inner| {
        if n_features != f.features() {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for n_features reads (caller).
        let x = unsafe { slice(x, n_features) }?;
        fold(f, x).map_err(status)
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn observe_rows<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const S::T,
    bad_row_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        batch(
            fit,
            x,
            n_rows,
            n_features,
            row_stride,
            y,
            bad_row_out,
            |f, xs, ys| {
                f.observe_rows(xs, row_stride, ys)
                    .map_err(|(i, e)| (i, status(e)))
            },
        )
    }
}

#[cfg(feature = "weights")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn observe_rows_weighted<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const S::T,
    w: *const S::T,
    bad_row_out: *mut usize,
) -> vireg_status {
    if w.is_null() {
        if let Err(e) = check_opt(bad_row_out) {
            return e;
        }
        // SAFETY: NULL or aligned (checked), valid for a write (caller).
        unsafe { write_opt(bad_row_out, 0) };
        return VIREG_ERR_NULL;
    }
    let fold = |f: &mut S::Inner, xs: &[S::T], ys: &[S::T]| {
        // SAFETY: valid for `n_rows` reads (caller); an error is row 0's.
        let ws = unsafe { slice(w, n_rows) }.map_err(|e| (0, e))?;
        f.observe_rows_weighted(xs, row_stride, ys, ws)
            .map_err(|(i, e)| (i, status(e)))
    };
    // SAFETY: forwarded from the caller.
    unsafe { batch(fit, x, n_rows, n_features, row_stride, y, bad_row_out, fold) }
}

/// The checks and the reporting of a batch of rows (vireg_observe_rows_* and its weighted
/// form): `fold` folds the checked slices into the fit.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn batch<S: CFit>(
    fit: *mut S,
    x: *const S::T,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const S::T,
    bad_row_out: *mut usize,
    fold: impl FnOnce(&mut S::Inner, &[S::T], &[S::T]) -> Result<(), (usize, vireg_status)>,
) -> vireg_status {
    if let Err(e) = check_opt(bad_row_out) {
        return e;
    }
    let mut accepted = 0;
    let s = if x.is_null() || y.is_null() {
        VIREG_ERR_NULL
    } else {
        let op = |f: &mut S::Inner| {
            let len = rows_len(f.features(), n_rows, n_features, row_stride)?;
            // SAFETY: valid for `len` and `n_rows` reads (caller).
            let xs = unsafe { slice(x, len) }?;
            // SAFETY: as above.
            let ys = unsafe { slice(y, n_rows) }?;
            match fold(f, xs, ys) {
                Ok(()) => {
                    accepted = n_rows;
                    Ok(())
                }
                Err((i, e)) => {
                    accepted = i;
                    Err(e)
                }
            }
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_mut(fit, op) }
    };
    // SAFETY: NULL or aligned (checked), valid for a write (caller).
    unsafe { write_opt(bad_row_out, accepted) };
    s
}

/// The number of values a batch of `n_rows` rows of `n_features` (the fit's: `features`)
/// spaced `row_stride` apart spans: (n_rows − 1)·row_stride + n_features, 0 for no rows.
/// VIREG_ERR_DIMENSION for another number of features, a stride below it, or an overflow.
#[inline(always)]
fn rows_len(
    features: usize,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
) -> Result<usize, vireg_status> {
    if n_features != features || row_stride < n_features {
        return Err(VIREG_ERR_DIMENSION);
    }
    match n_rows.checked_sub(1) {
        None => Ok(0),
        Some(last) => last
            .checked_mul(row_stride)
            .and_then(|v| v.checked_add(n_features))
            .ok_or(VIREG_ERR_DIMENSION),
    }
}

pub(super) unsafe fn set_forget<S: CFit>(fit: *mut S, forget: S::T) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, |f: &mut S::Inner| f.set_forget(forget).map_err(status)) }
}

pub(super) unsafe fn effective_rows<S: CFit>(fit: *const S, out: *mut S::T) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| Ok(f.stats().effective_rows())) }
}

pub(super) unsafe fn merge<S: CFit>(dst: *mut S, src: *const S) -> vireg_status {
    if dst.is_null() || src.is_null() {
        return VIREG_ERR_NULL;
    }
    // Copy the source's summary first: `src` may be `dst`.
    let mut stats = None;
    // SAFETY: forwarded from the caller.
    let s = unsafe {
        with_ref(src, |f| {
            stats = Some(*f.stats());
            Ok(())
        })
    };
    let Some(stats) = stats else { return s };
    let op = |f: &mut S::Inner| f.merge(&stats).map_err(status);
    // SAFETY: forwarded from the caller; no reference into `src` is live.
    unsafe { with_mut(dst, op) }
}

pub(super) unsafe fn step<S: CFit>(fit: *mut S, n_steps: u64, loss_out: *mut S::T) -> vireg_status {
    let op = |f: &mut S::Inner| {
        check_opt(loss_out)?;
        if n_steps == 0 {
            return Err(VIREG_ERR_INVALID_ARGUMENT);
        }
        let r = f.steps(n_steps);
        let loss = r.map_err(status)?;
        // SAFETY: NULL or checked; valid for a write (caller).
        unsafe { write_opt(loss_out, loss) };
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn run<S: CFit>(
    fit: *mut S,
    max_steps: u64,
    report_every: u64,
    callback: Progress<S::T>,
    user: *mut c_void,
    report_out: *mut <S::T as Prec>::CRunReport,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    let st = match unsafe { checked(fit) } {
        Ok(st) => st,
        Err(e) => return e,
    };
    if let Err(e) = check_opt(report_out) {
        return e;
    }
    if max_steps == 0 {
        return VIREG_ERR_INVALID_ARGUMENT;
    }
    let marker = <S as Opaque>::MARKER;
    // The callback may call vireg with this very fit: mark it busy for the run, so those
    // calls are refused before they could touch the value borrowed here.
    // SAFETY: valid for writes (caller); no reference to the state is live.
    unsafe { ptr::addr_of_mut!((*st).marker).write(busy(marker)) };
    let s = boundary(|| {
        // SAFETY: a valid fit (the marker was checked); exclusively ours until the marker
        // is restored: every other entry point refuses a busy state.
        let f = unsafe { &mut (*st).value };
        let hook = |step: u64, loss: S::T| match callback {
            // SAFETY: a C function of this signature (caller's contract), given the
            // caller's `user` pointer untouched.
            Some(cb) => unsafe { cb(user, step, loss) != 0 },
            None => true,
        };
        let r = f.run(max_steps, report_every, hook).map_err(status)?;
        // SAFETY: NULL or checked; valid for a write and disjoint from the state (caller).
        unsafe { write_opt(report_out, r.into()) };
        Ok(())
    });
    let restored = if s == VIREG_ERR_PANIC { 0 } else { marker };
    // SAFETY: as above; the reference formed in the closure is gone.
    unsafe {
        tidy(st);
        ptr::addr_of_mut!((*st).marker).write(restored);
    }
    s
}

pub(super) unsafe fn solve_exact<S: CFit>(fit: *mut S, report_out: *mut S::CExact) -> vireg_status {
    let op = |f: &mut S::Inner| {
        check_opt(report_out)?;
        let r = S::solve_exact(f).map_err(status)?;
        // SAFETY: NULL or checked; valid for a write (caller).
        unsafe { write_opt(report_out, r) };
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn condition<S: CFit>(fit: *const S, out: *mut S::T) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| S::condition(f).map_err(status)) }
}

pub(super) unsafe fn elbo<S: CFit>(fit: *const S, out: *mut S::T) -> vireg_status {
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, |f| Ok(f.elbo_of(f.reported()))) }
}

/// Which of the posterior's latent vectors to copy out.
#[derive(Clone, Copy)]
pub(super) enum Vector {
    Loc,
    Scale,
}

pub(super) unsafe fn posterior_vector<S: CFit>(
    fit: *const S,
    which: Vector,
    out: *mut S::T,
    out_len: usize,
) -> vireg_status {
    if out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &S::Inner| {
        let d = f.features() + 2;
        if out_len < d {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for out_len ≥ d writes (caller).
        let out = unsafe { slice_mut(out, d) }?;
        let post = S::posterior(f).map_err(status)?;
        match which {
            Vector::Loc => S::loc(&post, out),
            Vector::Scale => S::sd(&post, out),
        }
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(fit, op) }
}

pub(super) unsafe fn posterior_matrix<S: CFit>(
    fit: *const S,
    which: Matrix,
    out: *mut S::T,
    out_len: usize,
) -> vireg_status {
    if out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &S::Inner| {
        let d = f.features() + 2;
        if out_len < d * d {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for out_len ≥ d² writes (caller).
        let out = unsafe { slice_mut(out, d * d) }?;
        let post = S::posterior(f).map_err(status)?;
        S::matrix(&post, which, out);
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(fit, op) }
}

pub(super) unsafe fn posterior_summary<S: CFit>(
    fit: *const S,
    index: usize,
    out: *mut <S::T as Prec>::CSummary,
) -> vireg_status {
    let op = |f: &S::Inner| {
        if index > f.features() + 1 {
            return Err(VIREG_ERR_DIMENSION);
        }
        let post = S::posterior(f).map_err(status)?;
        let s = S::summary(&post, index).ok_or(VIREG_ERR_DIMENSION)?;
        Ok(s.into())
    };
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, op) }
}

pub(super) unsafe fn posterior_quantile<S: CFit>(
    fit: *const S,
    index: usize,
    q: S::T,
    out: *mut S::T,
) -> vireg_status {
    let op = |f: &S::Inner| {
        if index > f.features() + 1 {
            return Err(VIREG_ERR_DIMENSION);
        }
        if !q.is_finite() {
            return Err(VIREG_ERR_NON_FINITE);
        }
        if !(q > <S::T as Real>::ZERO && q < <S::T as Real>::ONE) {
            return Err(VIREG_ERR_INVALID_ARGUMENT);
        }
        let post = S::posterior(f).map_err(status)?;
        S::quantile(&post, index, q).map_err(status)
    };
    // SAFETY: forwarded from the caller.
    unsafe { read_out(fit, out, op) }
}

pub(super) unsafe fn draw<S: CFit>(
    fit: *mut S,
    out: *mut S::T,
    n_draws: usize,
    out_len: usize,
) -> vireg_status {
    if out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &mut S::Inner| {
        let d = f.features() + 2;
        let need = n_draws.checked_mul(d).ok_or(VIREG_ERR_DIMENSION)?;
        if out_len < need {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for out_len ≥ need writes, disjoint from the state (caller).
        let out = unsafe { slice_mut(out, need) }?;
        S::draws(f, out).map_err(status)?;
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(fit, op) }
}

pub(super) unsafe fn predict<S: CFit>(
    fit: *const S,
    x: *const S::T,
    n_features: usize,
    mean_out: *mut S::T,
    sd_out: *mut S::T,
) -> vireg_status {
    if x.is_null() || mean_out.is_null() || sd_out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &S::Inner| {
        check_ptr(mean_out)?;
        check_ptr(sd_out)?;
        if n_features != f.features() {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for n_features reads (caller).
        let x = unsafe { slice(x, n_features) }?;
        let post = S::posterior(f).map_err(status)?;
        let (m, s) = S::predict(&post, x).map_err(status)?;
        // SAFETY: checked; valid for writes (caller).
        unsafe {
            mean_out.write(m);
            sd_out.write(s);
        }
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(fit, op) }
}

/// Whether the `a_len` elements at `a` and the `b_len` at `b` share a byte.
fn overlap<U, V>(a: *const U, a_len: usize, b: *const V, b_len: usize) -> bool {
    let (a0, b0) = (a as usize, b as usize);
    let a1 = a0.saturating_add(a_len.saturating_mul(size_of::<U>()));
    let b1 = b0.saturating_add(b_len.saturating_mul(size_of::<V>()));
    a0 < b1 && b0 < a1
}

#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn predict_rows<S: CFit>(
    fit: *const S,
    x: *const S::T,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    mean_out: *mut S::T,
    sd_out: *mut S::T,
    bad_row_out: *mut usize,
) -> vireg_status {
    if let Err(e) = check_opt(bad_row_out) {
        return e;
    }
    let mut accepted = 0;
    let s = if x.is_null() || mean_out.is_null() || sd_out.is_null() {
        VIREG_ERR_NULL
    } else {
        let op = |f: &S::Inner| {
            check_ptr(mean_out)?;
            check_ptr(sd_out)?;
            let len = rows_len(f.features(), n_rows, n_features, row_stride)?;
            // SAFETY: valid for `len` reads (caller).
            let xs = unsafe { slice(x, len) }?;
            // The outputs are written while the rows are read: they must not overlap them (nor
            // each other), or the slices below would alias.
            if n_rows > 0
                && (overlap(mean_out, n_rows, sd_out, n_rows)
                    || overlap(x, len, mean_out, n_rows)
                    || overlap(x, len, sd_out, n_rows))
            {
                return Err(VIREG_ERR_INVALID_ARGUMENT);
            }
            // SAFETY: valid for `n_rows` writes each (caller); disjoint from each other and
            // from `xs` (checked) and from the state (caller).
            let (means, sds) =
                unsafe { (slice_mut(mean_out, n_rows)?, slice_mut(sd_out, n_rows)?) };
            let post = S::posterior(f).map_err(status)?;
            // Row i starts at i * row_stride (< len: no overflow); `get` never panics (no
            // division nor failing index either: microcontrollers keep no panic path).
            let row = |start: usize| {
                start
                    .checked_add(n_features)
                    .and_then(|end| xs.get(start..end))
                    .ok_or(VIREG_ERR_DIMENSION)
            };
            // All or nothing: every row is predicted once before any output is written.
            let mut start = 0usize;
            for i in 0..n_rows {
                if let Err(e) = S::predict(&post, row(start)?) {
                    accepted = i;
                    return Err(status(e));
                }
                start = start.saturating_add(row_stride);
            }
            start = 0;
            for (m, sd) in means.iter_mut().zip(sds.iter_mut()) {
                (*m, *sd) = S::predict(&post, row(start)?).map_err(status)?;
                start = start.saturating_add(row_stride);
            }
            accepted = n_rows;
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    };
    // SAFETY: NULL or aligned (checked), valid for a write (caller).
    unsafe { write_opt(bad_row_out, accepted) };
    s
}

pub(super) unsafe fn sigma_hdi<S: CFit>(
    fit: *const S,
    mass: S::T,
    lo_out: *mut S::T,
    hi_out: *mut S::T,
) -> vireg_status {
    if lo_out.is_null() || hi_out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &S::Inner| {
        check_ptr(lo_out)?;
        check_ptr(hi_out)?;
        if !mass.is_finite() {
            return Err(VIREG_ERR_NON_FINITE);
        }
        if !(mass > <S::T as Real>::ZERO && mass < <S::T as Real>::ONE) {
            return Err(VIREG_ERR_INVALID_ARGUMENT);
        }
        let post = S::posterior(f).map_err(status)?;
        let (lo, hi) = S::sigma_hdi(&post, mass).map_err(status)?;
        // SAFETY: checked; valid for writes (caller).
        unsafe {
            lo_out.write(lo);
            hi_out.write(hi);
        }
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(fit, op) }
}

pub(super) fn checkpoint_size<S: CFit>() -> usize {
    S::Inner::CHECKPOINT_BYTES
}

pub(super) unsafe fn save<S: CFit>(
    fit: *const S,
    buf: *mut u8,
    buf_len: usize,
    written_out: *mut usize,
) -> vireg_status {
    if buf.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |f: &S::Inner| {
        check_opt(written_out)?;
        // Never address more than a checkpoint needs: buf_len may be a loose bound.
        let len = buf_len.min(S::Inner::CHECKPOINT_BYTES);
        // SAFETY: valid for buf_len ≥ len writes, disjoint from the state (caller).
        let buf = unsafe { slice_mut(buf, len) }?;
        let n = f.save(buf).map_err(status)?;
        // SAFETY: NULL or checked; valid for a write (caller).
        unsafe { write_opt(written_out, n) };
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(fit, op) }
}

pub(super) unsafe fn load<S: CFit>(
    fit: *mut S,
    fit_size: usize,
    buf: *const u8,
    buf_len: usize,
) -> vireg_status {
    boundary(|| {
        check_ptr(fit)?;
        check_size::<S>(fit_size)?;
        // SAFETY: valid for buf_len reads (caller).
        let buf = unsafe { slice(buf, buf_len) }?;
        // Load into a scratch fit, so the state is untouched unless everything succeeds
        // (and may be uninitialised memory: nothing of it is read). A checkpoint of the other
        // guide family is refused here (Incompatible).
        let value = S::Inner::from_checkpoint(buf).map_err(status)?;
        // SAFETY: checked non-NULL and aligned; valid for writes and not borrowed (caller).
        unsafe { put(fit, value) };
        Ok(())
    })
}

pub(super) unsafe fn synth_init<T: Prec>(
    synth: *mut T::CSynth,
    synth_size: usize,
    n_features: usize,
    seed: u64,
) -> vireg_status {
    boundary(|| {
        check_ptr(synth)?;
        check_size::<T::CSynth>(synth_size)?;
        let value = Synth::<T, MAX_FEATURES>::new(n_features, seed).map_err(status)?;
        // SAFETY: checked non-NULL and aligned; valid for writes and not borrowed (caller).
        unsafe { put(synth, value) };
        Ok(())
    })
}

pub(super) unsafe fn synth_next<T: Prec>(
    synth: *mut T::CSynth,
    x: *mut T,
    n_features: usize,
    y_out: *mut T,
) -> vireg_status {
    if x.is_null() || y_out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |s: &mut Synth<T, MAX_FEATURES>| {
        check_ptr(y_out)?;
        if n_features != s.p {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for n_features writes, disjoint from the state (caller).
        let x = unsafe { slice_mut(x, n_features) }?;
        let y = s.next_row(x).map_err(status)?;
        // SAFETY: checked; valid for a write (caller).
        unsafe { y_out.write(y) };
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_mut(synth, op) }
}

pub(super) unsafe fn synth_truth<T: Prec>(
    synth: *const T::CSynth,
    out: *mut T,
    out_len: usize,
) -> vireg_status {
    if out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |s: &Synth<T, MAX_FEATURES>| {
        let p = s.p;
        if out_len < p + 2 {
            return Err(VIREG_ERR_DIMENSION);
        }
        // SAFETY: valid for out_len ≥ p + 2 writes (caller).
        let out = unsafe { slice_mut(out, p + 2) }?;
        let t = s.truth();
        let sigma = s.sigma();
        let coefs = core::iter::once(&t.alpha).chain(t.beta.iter().take(p));
        for (o, v) in out.iter_mut().zip(coefs.chain(core::iter::once(&sigma))) {
            *o = *v;
        }
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(synth, op) }
}
