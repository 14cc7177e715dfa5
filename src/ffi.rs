//! The C ABI (feature `ffi`, on by default): the only module of the crate allowed `unsafe`.
//!
//! `build.rs` runs cbindgen over this file and writes the header (`include/vireg.h` is the
//! committed copy); every doc comment here is copied into it, so they are written for C users
//! (Doxygen `@param`/`@return`).
//!
//! # Conventions
//!
//! * Every symbol is prefixed `vireg_`; functions that depend on the precision come as an `_f32`
//!   and an `_f64` family (CMSIS-DSP style). Each exported function is a thin wrapper over one
//!   generic implementation, so the two families cannot drift apart.
//! * Fallible functions return a [`vireg_status`]: [`VIREG_OK`] (0), a kernel error (the
//!   discriminant of [`Error`], 1..=15), or an FFI error (100 and up). Values are stable.
//! * The caller owns every byte. The state types ([`vireg_fit_f32`], ...) are fixed-size,
//!   8-byte-aligned opaque arrays whose size the header states, so a C program can declare them
//!   `static`. Inside, a state is an 8-byte marker followed by the kernel's value; the marker is
//!   read through a raw pointer before any reference to the value is formed, and a zero-filled
//!   state is "not initialised" ([`VIREG_ERR_UNINITIALISED`]).
//! * Every pointer is checked for NULL and alignment, every length against the state, every
//!   value for NaN/∞; every check happens before anything is written, so on error the state and
//!   the outputs are as they were. Nothing allocates.
//! * Nothing unwinds into C: the code is written not to panic (no indexing that can fail, no
//!   `unwrap`), and on hosted targets each call also runs under `catch_unwind`, turning a panic
//!   (a bug) into [`VIREG_ERR_PANIC`] and marking the state it was changing not initialised.
//!   Bare-metal builds (`target_os = "none"`) have no unwinding: there a panic goes to the
//!   firmware's panic handler.

#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

use crate::{
    AdamConfig, Config, Error, Estimator, ExactReport, Fit, Normal, Prior, RunReport, Summary,
    Synth,
};
use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::{align_of, size_of};
use core::ptr;

include!(concat!(env!("OUT_DIR"), "/ffi_capacity.rs"));

// =============================================================================================
// Status codes
// =============================================================================================

/// Status returned by every fallible function: VIREG_OK (0) on success, otherwise one of the
/// VIREG_ERR_* values below. The values are stable across versions; vireg_status_str() gives a
/// short description of each.
pub type vireg_status = i32;

/// Success.
pub const VIREG_OK: vireg_status = 0;
/// A value is NaN or ±infinity where a finite number is required (a data row, a configuration
/// value, a quantile level).
pub const VIREG_ERR_NON_FINITE: vireg_status = 1;
/// A length does not match the state: a row's n_features differs from the fit's number of
/// features, a row stride is shorter than a row, an output buffer is too short, a parameter
/// index is past the last parameter, or a length is too large to address.
pub const VIREG_ERR_DIMENSION: vireg_status = 2;
/// The number of features is zero or above the capacity VIREG_MAX_FEATURES.
pub const VIREG_ERR_FEATURES: vireg_status = 3;
/// A configuration value is outside its documented range (e.g. a prior scale <= 0, an unknown
/// estimator, zero particles, a learning rate <= 0).
pub const VIREG_ERR_CONFIG: vireg_status = 4;
/// An SVI step would have made the loss or a parameter non-finite; that step was undone. Lower
/// the learning rate (vireg_set_learning_rate_*) or rescale the data, and go on.
pub const VIREG_ERR_DIVERGED: vireg_status = 5;
/// A row, batch or merge would take the data summary past the precision's range (y'y or a
/// column's sum of squares above MAX/2^20, about 3.2e32 in f32 and 1.7e302 in f64: single values
/// up to about 1.8e16 and 1.3e151), a result leaves the range, or the row count would pass
/// 2^64 - 1 (rescale the data, or use _f64).
pub const VIREG_ERR_OVERFLOW: vireg_status = 6;
/// The exact solver did not converge within its iteration limit.
pub const VIREG_ERR_NOT_CONVERGED: vireg_status = 7;
/// Two fits with different numbers of features cannot be merged.
pub const VIREG_ERR_MISMATCH: vireg_status = 8;
/// The buffer given to vireg_save_* is too small (see vireg_checkpoint_size_*).
pub const VIREG_ERR_BUFFER_TOO_SMALL: vireg_status = 9;
/// The bytes are not a vireg checkpoint, or one written by an incompatible version.
pub const VIREG_ERR_BAD_CHECKPOINT: vireg_status = 10;
/// A checkpoint's checksum does not match: its bytes were corrupted.
pub const VIREG_ERR_CHECKSUM: vireg_status = 11;
/// A checkpoint was written for the other precision or for another capacity.
pub const VIREG_ERR_INCOMPATIBLE: vireg_status = 12;
/// The answer would not be trustworthy in this precision: the data are too ill-conditioned.
/// Use the _f64 functions, or centre and scale the features.
pub const VIREG_ERR_ILL_CONDITIONED: vireg_status = 13;
/// Nothing has been fitted yet (no successful solve_exact, step or run, nor a fitted checkpoint
/// loaded): the posterior would be the untrained starting guess. Observing rows after a fit does
/// not clear it (the posterior is then that of the earlier rows until the next fit).
pub const VIREG_ERR_NOT_FITTED: vireg_status = 14;
/// A checkpoint is truncated: the buffer holds fewer bytes than its header records (or not
/// even the whole header).
pub const VIREG_ERR_TRUNCATED: vireg_status = 15;
/// A required pointer argument is NULL.
pub const VIREG_ERR_NULL: vireg_status = 100;
/// The state is not initialised: zero-filled, never passed to an init/load function, marked so
/// after VIREG_ERR_PANIC, or initialised for the other precision (or passed as the wrong kind
/// of state).
pub const VIREG_ERR_UNINITIALISED: vireg_status = 101;
/// The fit is in use by a vireg_run_* in progress: a progress callback called a function on the
/// fit being run. Nothing was done.
pub const VIREG_ERR_BUSY: vireg_status = 102;
/// A pointer is not aligned for its type (a state needs 8-byte alignment, arrays that of their
/// elements).
pub const VIREG_ERR_MISALIGNED: vireg_status = 103;
/// An argument is outside its documented range (e.g. zero steps, a quantile level outside
/// (0, 1)).
pub const VIREG_ERR_INVALID_ARGUMENT: vireg_status = 104;
/// Internal error (a bug in vireg, please report it). The state being changed, if any, is now
/// marked not initialised.
pub const VIREG_ERR_PANIC: vireg_status = 105;
/// The caller's state type has another size than the library's: the header and the library
/// were built for different VIREG_MAX_FEATURES. Nothing was written. Build both from the same
/// configuration (compare vireg_max_features() with the header's VIREG_MAX_FEATURES).
pub const VIREG_ERR_STATE_SIZE: vireg_status = 106;

// The status constants are the kernel's discriminants (in `Error::ALL`'s order, 1, 2, …).
const _: () = {
    let codes = [
        VIREG_ERR_NON_FINITE,
        VIREG_ERR_DIMENSION,
        VIREG_ERR_FEATURES,
        VIREG_ERR_CONFIG,
        VIREG_ERR_DIVERGED,
        VIREG_ERR_OVERFLOW,
        VIREG_ERR_NOT_CONVERGED,
        VIREG_ERR_MISMATCH,
        VIREG_ERR_BUFFER_TOO_SMALL,
        VIREG_ERR_BAD_CHECKPOINT,
        VIREG_ERR_CHECKSUM,
        VIREG_ERR_INCOMPATIBLE,
        VIREG_ERR_ILL_CONDITIONED,
        VIREG_ERR_NOT_FITTED,
        VIREG_ERR_TRUNCATED,
    ];
    assert!(codes.len() == Error::ALL.len());
    let mut i = 0;
    while i < codes.len() {
        assert!(Error::ALL[i] as i32 == codes[i]);
        i += 1;
    }
};

#[inline]
fn status(e: Error) -> vireg_status {
    e as vireg_status
}

/// A short, static, human-readable description of a status.
///
/// @param status Any value; unknown values are allowed.
/// @return A NUL-terminated string with static storage duration (never NULL, never to be
///   freed): "ok" for VIREG_OK, a description for each VIREG_ERR_*, "unknown status" otherwise.
#[no_mangle]
pub extern "C" fn vireg_status_str(status: vireg_status) -> *const c_char {
    let s: &'static CStr = match status {
        VIREG_OK => c"ok",
        VIREG_ERR_NULL => c"a required pointer argument is NULL",
        VIREG_ERR_UNINITIALISED => c"state not initialised (or of another precision)",
        VIREG_ERR_BUSY => c"fit in use by a run in progress (called from its progress callback)",
        VIREG_ERR_MISALIGNED => c"pointer not aligned for its type",
        VIREG_ERR_INVALID_ARGUMENT => c"argument out of its documented range",
        VIREG_ERR_PANIC => c"internal error (a bug in vireg); the state was reset",
        VIREG_ERR_STATE_SIZE => {
            c"state size differs from the library's: header and library built for different \
              VIREG_MAX_FEATURES"
        }
        s => match Error::ALL.iter().find(|e| **e as vireg_status == s) {
            Some(e) => e.as_cstr(),
            None => c"unknown status",
        },
    };
    s.as_ptr()
}

/// The library's version, e.g. "0.1.0".
///
/// @return A NUL-terminated string with static storage duration (never NULL, never to be freed).
#[no_mangle]
pub extern "C" fn vireg_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// The feature capacity the library was built with (VIREG_MAX_FEATURES). A program can compare
/// it with the header's VIREG_MAX_FEATURES to check that both come from the same build.
///
/// @return The largest number of features a state accepts.
#[no_mangle]
pub extern "C" fn vireg_max_features() -> usize {
    MAX_FEATURES
}

// =============================================================================================
// Plain data types
// =============================================================================================

/// vireg_config_*.estimator: reparameterized Monte Carlo ELBO gradients with `particles` draws
/// per step (Pyro's Trace_ELBO; 1 particle reproduces the seed).
pub const VIREG_ESTIMATOR_MONTE_CARLO: u32 = 0;
/// vireg_config_*.estimator: the exact expectation (closed form, deterministic, no sampling).
pub const VIREG_ESTIMATOR_ANALYTIC: u32 = 1;

/// Everything that configures a fit (single precision). Get the defaults (the seed's setup) with
/// vireg_config_default_f32(), change fields, and pass it to vireg_init_f32(). Prior scales are
/// in the units of the data.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_config_f32 {
    /// Seed of the PCG32 stream used for Monte Carlo particles and posterior draws (default 42).
    pub seed: u64,
    /// Prior sd of the intercept alpha ~ Normal(0, prior_intercept) (default 100); > 0.
    pub prior_intercept: f32,
    /// Prior sd of each coefficient beta_j ~ Normal(0, prior_coef) (default 10); > 0.
    pub prior_coef: f32,
    /// Scale of the noise sd's prior sigma ~ HalfNormal(prior_noise) (default 10); > 0.
    pub prior_noise: f32,
    /// Initial sd of every latent in the guide (Pyro's init_scale, default 0.1); > 0.
    pub init_scale: f32,
    /// Adam's learning rate (default 0.01); > 0.
    pub lr: f32,
    /// Adam's beta1 (default 0.9); in [0, 1).
    pub beta1: f32,
    /// Adam's beta2 (default 0.999); in [0, 1).
    pub beta2: f32,
    /// Adam's epsilon (default 1e-8); >= 0.
    pub eps: f32,
    /// Each gradient element is clamped to +-clip (ClippedAdam); > 0, INFINITY disables (default).
    pub clip: f32,
    /// The learning rate is multiplied by lrd before every step (ClippedAdam); in (0, 1], 1
    /// disables (default).
    pub lrd: f32,
    /// VIREG_ESTIMATOR_MONTE_CARLO (default) or VIREG_ESTIMATOR_ANALYTIC.
    pub estimator: u32,
    /// Monte Carlo particles per step (default 1); 1 to 65536. Ignored by the analytic estimator.
    pub particles: u32,
    /// Convergence tolerance of vireg_run_f32 on the relative ELBO change between blocks of
    /// eval_every steps (Stan ADVI's tol_rel_obj); 0 disables (default), >= 0.
    pub tol_rel_obj: f32,
    /// Steps per block of the convergence check (default 1000); >= 1.
    pub eval_every: u32,
    /// Fraction of a run's final steps whose iterates are averaged into the reported posterior
    /// (default 0.5); in [0, 1). 0 reports the last iterate, as Pyro does.
    pub average_fraction: f32,
    /// Over the averaging stretch the learning rate decays geometrically to lr * final_lr_scale
    /// (default 0.01); in (0, 1], 1 keeps it constant.
    pub final_lr_scale: f32,
}

/// Everything that configures a fit (double precision); see vireg_config_f32 for each field.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_config_f64 {
    /// Seed of the PCG32 stream used for Monte Carlo particles and posterior draws (default 42).
    pub seed: u64,
    /// Prior sd of the intercept alpha ~ Normal(0, prior_intercept) (default 100); > 0.
    pub prior_intercept: f64,
    /// Prior sd of each coefficient beta_j ~ Normal(0, prior_coef) (default 10); > 0.
    pub prior_coef: f64,
    /// Scale of the noise sd's prior sigma ~ HalfNormal(prior_noise) (default 10); > 0.
    pub prior_noise: f64,
    /// Initial sd of every latent in the guide (Pyro's init_scale, default 0.1); > 0.
    pub init_scale: f64,
    /// Adam's learning rate (default 0.01); > 0.
    pub lr: f64,
    /// Adam's beta1 (default 0.9); in [0, 1).
    pub beta1: f64,
    /// Adam's beta2 (default 0.999); in [0, 1).
    pub beta2: f64,
    /// Adam's epsilon (default 1e-8); >= 0.
    pub eps: f64,
    /// Each gradient element is clamped to +-clip (ClippedAdam); > 0, INFINITY disables (default).
    pub clip: f64,
    /// The learning rate is multiplied by lrd before every step (ClippedAdam); in (0, 1], 1
    /// disables (default).
    pub lrd: f64,
    /// VIREG_ESTIMATOR_MONTE_CARLO (default) or VIREG_ESTIMATOR_ANALYTIC.
    pub estimator: u32,
    /// Monte Carlo particles per step (default 1); 1 to 65536. Ignored by the analytic estimator.
    pub particles: u32,
    /// Convergence tolerance of vireg_run_f64 on the relative ELBO change between blocks of
    /// eval_every steps (Stan ADVI's tol_rel_obj); 0 disables (default), >= 0.
    pub tol_rel_obj: f64,
    /// Steps per block of the convergence check (default 1000); >= 1.
    pub eval_every: u32,
    /// Fraction of a run's final steps whose iterates are averaged into the reported posterior
    /// (default 0.5); in [0, 1). 0 reports the last iterate, as Pyro does.
    pub average_fraction: f64,
    /// Over the averaging stretch the learning rate decays geometrically to lr * final_lr_scale
    /// (default 0.01); in (0, 1], 1 keeps it constant.
    pub final_lr_scale: f64,
}

/// What vireg_run_f32() did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_run_report_f32 {
    /// Steps taken by the run.
    pub steps: u64,
    /// How many iterates were averaged into the reported posterior (0: the last iterate).
    pub averaged: u64,
    /// The loss (-ELBO, in nats) of the last step, as estimated by the configured estimator.
    pub loss: f32,
    /// The exact ELBO (nats) of the reported posterior.
    pub elbo: f32,
    /// Whether convergence was detected (always false when tol_rel_obj is 0).
    pub converged: bool,
    /// Whether the progress callback asked to stop.
    pub stopped: bool,
}

/// What vireg_run_f64() did; see vireg_run_report_f32 for each field.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_run_report_f64 {
    /// Steps taken by the run.
    pub steps: u64,
    /// How many iterates were averaged into the reported posterior (0: the last iterate).
    pub averaged: u64,
    /// The loss (-ELBO, in nats) of the last step, as estimated by the configured estimator.
    pub loss: f64,
    /// The exact ELBO (nats) of the reported posterior.
    pub elbo: f64,
    /// Whether convergence was detected (always false when tol_rel_obj is 0).
    pub converged: bool,
    /// Whether the progress callback asked to stop.
    pub stopped: bool,
}

/// What vireg_solve_exact_f32() did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_exact_report_f32 {
    /// The ELBO (nats) at the optimum.
    pub elbo: f32,
    /// Coordinate-ascent sweeps taken.
    pub iterations: u32,
}

/// What vireg_solve_exact_f64() did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_exact_report_f64 {
    /// The ELBO (nats) at the optimum.
    pub elbo: f64,
    /// Coordinate-ascent sweeps taken.
    pub iterations: u32,
}

/// Posterior summary of one constrained parameter (alpha, a beta_j, or sigma), in its units.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_summary_f32 {
    /// Posterior mean.
    pub mean: f32,
    /// Posterior standard deviation.
    pub sd: f32,
    /// Posterior median.
    pub median: f32,
}

/// Posterior summary of one constrained parameter (alpha, a beta_j, or sigma), in its units.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_summary_f64 {
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// Posterior median.
    pub median: f64,
}

/// Progress callback of vireg_run_f32(), called after step 0 and every report_every steps.
///
/// @param user The pointer given to vireg_run_f32(), passed through untouched.
/// @param step Zero-based index of the step just taken.
/// @param loss That step's loss (-ELBO, nats).
/// @return Nonzero to go on, 0 to stop the run (the report's `stopped` is then true).
///
/// The callback must return normally (no longjmp, no C++ exception). It may call vireg
/// functions on other states; on the fit being run they return VIREG_ERR_BUSY.
pub type vireg_progress_f32 =
    Option<unsafe extern "C" fn(user: *mut c_void, step: u64, loss: f32) -> c_int>;

/// Progress callback of vireg_run_f64(); see vireg_progress_f32.
///
/// @param user The pointer given to vireg_run_f64(), passed through untouched.
/// @param step Zero-based index of the step just taken.
/// @param loss That step's loss (-ELBO, nats).
/// @return Nonzero to go on, 0 to stop the run.
pub type vireg_progress_f64 =
    Option<unsafe extern "C" fn(user: *mut c_void, step: u64, loss: f64) -> c_int>;

// =============================================================================================
// Caller-owned state types
// =============================================================================================

/// A Bayesian linear regression fit in single precision: the data summary, the variational
/// posterior, the optimiser and the random stream, in VIREG_FIT_F32_SIZE bytes (fixed by
/// VIREG_MAX_FEATURES, 8-byte aligned). Opaque: use it only through the vireg_*_f32 functions.
///
/// Declare it anywhere (static, stack, inside your structs); zero-fill it or pass it to
/// vireg_init_f32() / vireg_load_f32() before anything else. It holds no pointers and owns no
/// resources: there is nothing to free, and copying it (memcpy, assignment) makes an independent
/// fit.
#[repr(C)]
pub struct vireg_fit_f32 {
    _opaque: [u64; VIREG_FIT_F32_WORDS],
}

/// A Bayesian linear regression fit in double precision, VIREG_FIT_F64_SIZE bytes; see
/// vireg_fit_f32.
#[repr(C)]
pub struct vireg_fit_f64 {
    _opaque: [u64; VIREG_FIT_F64_WORDS],
}

/// A generator of the seed's synthetic data in single precision (alpha ~ N(42, 10),
/// beta_j ~ N(0, 10), sigma ~ Exponential(1), x ~ N(0, I), y = alpha + x.beta + N(0, sigma)),
/// one row at a time, VIREG_SYNTH_F32_SIZE bytes. Opaque, no resources, copyable.
#[repr(C)]
pub struct vireg_synth_f32 {
    _opaque: [u64; VIREG_SYNTH_F32_WORDS],
}

/// A generator of the seed's synthetic data in double precision, VIREG_SYNTH_F64_SIZE bytes;
/// see vireg_synth_f32.
#[repr(C)]
pub struct vireg_synth_f64 {
    _opaque: [u64; VIREG_SYNTH_F64_WORDS],
}

/// The layout behind each opaque state type: a marker (0 = not initialised), then the value.
#[repr(C)]
struct State<V> {
    marker: u64,
    value: V,
}

/// An opaque C state type and the kernel value it holds.
trait Opaque {
    /// The kernel value.
    type Inner: Padded;
    /// Marker of an initialised state of this type (distinct per type, never 0).
    const MARKER: u64;
}

/// A kernel value whose padding bytes the C ABI zeroes, so that every byte of a state is
/// defined and two equal states are equal byte for byte (C programs compare and checksum them).
/// Rust leaves padding undefined after any typed write of the struct that holds it: the bytes
/// are zeroed after every call that writes a state, just before it returns to C.
trait Padded {
    /// Zeroes the padding bytes of the value at `v`.
    ///
    /// # Safety
    /// `v` is valid for writes of `Self` and aligned; no reference to it is live.
    unsafe fn zero_padding(v: *mut Self);
}

/// Compiles only when the field that `_f` selects in an `S` is an `F`.
#[inline(always)]
fn field_is<S, F>(_f: fn(&S) -> &F) {}

/// Zeroes the bytes `start..end` after `base` (nothing when `end <= start`).
///
/// # Safety
/// The range is valid for writes and holds only padding bytes.
#[inline(always)]
unsafe fn zero_bytes(base: *mut u8, start: usize, end: usize) {
    if end > start {
        // SAFETY: forwarded from the caller.
        unsafe { ptr::write_bytes(base.add(start), 0, end - start) };
    }
}

/// Zeroes every byte of the `repr(C)` struct `$ty` (named `$name`) at `$base` that none of its
/// fields covers: the gaps between the fields and after the last. The fields are listed with
/// their types in declaration order, all of them: the pattern without `..` makes a new field a
/// compile error here, the closures a changed field type, and a compile-time check that the
/// offsets increase by at least each field's size a wrong order.
macro_rules! zero_padding {
    ($base:expr, $name:ident, $ty:ty, $($f:ident: $fty:ty),+ $(,)?) => {{
        #[allow(clippy::redundant_locals, unused_variables)]
        let _all_fields = |v: $ty| {
            let $name { $($f: _),+ } = v;
        };
        $(
            field_is::<$ty, $fty>(|v| &v.$f);
        )+
        const {
            let offs = [$(core::mem::offset_of!($ty, $f)),+];
            let sizes = [$(size_of::<$fty>()),+];
            let mut i = 1;
            while i < offs.len() {
                assert!(offs[i] >= offs[i - 1] + sizes[i - 1], "fields out of order");
                i += 1;
            }
            assert!(offs[offs.len() - 1] + sizes[offs.len() - 1] <= size_of::<$ty>());
        }
        let base: *mut u8 = $base;
        let mut end = 0;
        $(
            let off = core::mem::offset_of!($ty, $f);
            // SAFETY: between the end of the previous field and this one's start: padding
            // (repr(C) places the fields in this order, checked above), inside the value.
            unsafe { zero_bytes(base, end, off) };
            end = off + size_of::<$fty>();
        )+
        // SAFETY: after the last field: trailing padding, inside the value.
        unsafe { zero_bytes(base, end, size_of::<$ty>()) };
    }};
}

impl<T: Normal> Padded for Fit<T, MAX_FEATURES> {
    // Not inlined: one copy for every call that writes a fit (flash on microcontrollers).
    #[inline(never)]
    unsafe fn zero_padding(v: *mut Self) {
        // The fit has no padding outside its data summary (checked by `Fit` at compile time).
        use crate::Stats;
        type S<T> = Stats<T, MAX_FEATURES>;
        type C<T> = crate::Coefs<T, MAX_FEATURES>;
        // SAFETY: a field of the value at `v` (valid, caller); no reference is formed.
        let base = unsafe { ptr::addr_of_mut!((*v).stats) }.cast::<u8>();
        zero_padding!(base, Stats, S<T>,
            p: usize,
            n: u64,
            d: C<T>,
            t: C<T>,
            rbar: [[T; MAX_FEATURES]; MAX_FEATURES],
            sserr: T,
        );
    }
}

impl<T: Normal> Padded for Synth<T, MAX_FEATURES> {
    #[inline(never)]
    unsafe fn zero_padding(v: *mut Self) {
        type C<T> = crate::Coefs<T, MAX_FEATURES>;
        zero_padding!(v.cast::<u8>(), Synth, Synth<T, MAX_FEATURES>,
            p: usize,
            truth: C<T>,
            sigma: T,
            rng: crate::SeededRng,
        );
    }
}

/// Marker of a fit whose `vireg_run_*` is in progress (calls from its callback are refused).
const fn busy(marker: u64) -> u64 {
    !marker
}

/// Checks at compile time that `$inner` fits in the C type `$c`, tightly, and is aligned by it.
macro_rules! opaque {
    ($c:ty, $inner:ty, $marker:expr, $reserve:expr) => {
        impl Opaque for $c {
            type Inner = $inner;
            const MARKER: u64 = $marker;
        }
        const _: () = {
            let need = size_of::<State<$inner>>();
            let have = size_of::<$c>();
            assert!(
                need <= have,
                concat!(
                    "the kernel value outgrew ",
                    stringify!($c),
                    ": update the size formula in build.rs (ffi_sizes)"
                )
            );
            assert!(
                have - need <= $reserve + 64,
                concat!(
                    stringify!($c),
                    " is larger than needed: tighten the size formula in build.rs (ffi_sizes)"
                )
            );
            assert!(align_of::<State<$inner>>() <= align_of::<$c>());
            // No padding between the marker and the value, nor after it.
            assert!(size_of::<State<$inner>>() == size_of::<u64>() + size_of::<$inner>());
        };
    };
}

opaque!(
    vireg_fit_f32,
    Fit<f32, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.F4"),
    FIT_RESERVE
);
opaque!(
    vireg_fit_f64,
    Fit<f64, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.F8"),
    FIT_RESERVE
);
opaque!(
    vireg_synth_f32,
    Synth<f32, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.S4"),
    SYNTH_RESERVE
);
opaque!(
    vireg_synth_f64,
    Synth<f64, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.S8"),
    SYNTH_RESERVE
);

// =============================================================================================
// The generic implementation
// =============================================================================================

/// Runs `f`, turning a panic into [`VIREG_ERR_PANIC`] on hosted targets (on bare metal there is
/// no unwinding: a panic goes to the panic handler).
#[inline]
fn boundary<F: FnOnce() -> Result<(), vireg_status>>(f: F) -> vireg_status {
    #[cfg(not(target_os = "none"))]
    let r = match std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(VIREG_ERR_PANIC),
    };
    #[cfg(target_os = "none")]
    let r = f();
    match r {
        Ok(()) => VIREG_OK,
        Err(s) => s,
    }
}

/// Checks a pointer to a C value of type `U`: non-NULL and aligned.
#[inline]
fn check_ptr<U>(p: *const U) -> Result<(), vireg_status> {
    if p.is_null() {
        Err(VIREG_ERR_NULL)
    } else if !p.is_aligned() {
        Err(VIREG_ERR_MISALIGNED)
    } else {
        Ok(())
    }
}

/// Checks an optional output pointer: NULL, or aligned.
#[inline]
fn check_opt<U>(p: *const U) -> Result<(), vireg_status> {
    if p.is_null() || p.is_aligned() {
        Ok(())
    } else {
        Err(VIREG_ERR_MISALIGNED)
    }
}

/// Writes `v` to the optional output `p` (already checked with [`check_opt`]).
///
/// # Safety
/// `p` is NULL or valid for a write of `U` and aligned.
#[inline]
unsafe fn write_opt<U>(p: *mut U, v: U) {
    if !p.is_null() {
        // SAFETY: non-NULL, so valid and aligned (caller).
        unsafe { p.write(v) }
    }
}

/// `len` elements of `U` starting at `p`, checked: non-NULL, aligned, addressable.
///
/// # Safety
/// `p` is NULL or valid for reads of `len` elements.
#[inline]
unsafe fn slice<'a, U>(p: *const U, len: usize) -> Result<&'a [U], vireg_status> {
    check_ptr(p)?;
    if len > isize::MAX as usize / size_of::<U>().max(1) {
        return Err(VIREG_ERR_DIMENSION);
    }
    // SAFETY: non-NULL and aligned (checked), valid for `len` reads (caller), and
    // len·size ≤ isize::MAX.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// `len` writable elements of `U` starting at `p`, checked as in [`slice`].
///
/// # Safety
/// `p` is NULL or valid for reads and writes of `len` elements, and overlaps no state.
#[inline]
unsafe fn slice_mut<'a, U>(p: *mut U, len: usize) -> Result<&'a mut [U], vireg_status> {
    check_ptr(p)?;
    if len > isize::MAX as usize / size_of::<U>().max(1) {
        return Err(VIREG_ERR_DIMENSION);
    }
    // SAFETY: as in `slice`, and the caller guarantees exclusive access for the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// Checks a state pointer (non-NULL, aligned, marked initialised, not busy) and returns it as a
/// pointer to its layout. Reads only the marker.
///
/// # Safety
/// `p` is NULL or points to an `S` valid for reads whose first 8 bytes are initialised (a
/// zero-filled state, or one set up by an init/load function).
#[inline]
unsafe fn checked<S: Opaque>(p: *const S) -> Result<*mut State<S::Inner>, vireg_status> {
    // Every opaque type is an array of u64: aligned as a u64, and the marker is its first.
    const { assert!(align_of::<S>() == align_of::<u64>() && size_of::<S>() >= size_of::<u64>()) };
    // SAFETY: forwarded from the caller: the same memory, seen as its first u64.
    unsafe { check_marker(p.cast::<u64>(), S::MARKER) }?;
    // `S` is at least as aligned and as large as `State` (compile-time checks): the marker
    // read is `State::marker`, at offset 0 (repr(C)).
    Ok(p.cast::<State<S::Inner>>().cast_mut())
}

/// The work of [`checked`], for every state type (one copy of the code): `p` non-NULL and
/// aligned, and the u64 there `marker` (else busy or uninitialised).
///
/// # Safety
/// `p` is NULL or valid for a read of an initialised u64.
#[inline(never)]
unsafe fn check_marker(p: *const u64, marker: u64) -> Result<(), vireg_status> {
    check_ptr(p)?;
    // SAFETY: non-NULL and aligned (checked), valid for the read and initialised (caller). No
    // reference to the state is formed.
    let m = unsafe { p.read() };
    if m == marker {
        Ok(())
    } else if m == busy(marker) {
        Err(VIREG_ERR_BUSY)
    } else {
        Err(VIREG_ERR_UNINITIALISED)
    }
}

/// Runs `f` on the value of the initialised state `p`, read-only.
///
/// # Safety
/// As [`checked`]; no other call may be changing the state (one thread at a time).
unsafe fn with_ref<S: Opaque>(
    p: *const S,
    f: impl FnOnce(&S::Inner) -> Result<(), vireg_status>,
) -> vireg_status {
    boundary(|| {
        // SAFETY: forwarded from the caller.
        let st = unsafe { checked(p) }?;
        // SAFETY: the marker says an init/load function wrote a valid `S::Inner` here, and no
        // `&mut` to it exists: the only long-lived one is a run's, whose marker reads busy.
        f(unsafe { &(*st).value })
    })
}

/// Runs `f` on the value of the initialised state `p`, mutably. If `f` panics (a bug), the
/// state is marked not initialised.
///
/// # Safety
/// As [`checked`], with `p` valid for writes; no other call may be using the state.
unsafe fn with_mut<S: Opaque>(
    p: *mut S,
    f: impl FnOnce(&mut S::Inner) -> Result<(), vireg_status>,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    let st = match unsafe { checked(p) } {
        Ok(st) => st,
        Err(e) => return e,
    };
    // SAFETY: a valid `S::Inner` (marker), exclusively ours for the call (caller's contract;
    // calls made by a run's callback see the busy marker and never get here).
    let s = boundary(|| f(unsafe { &mut (*st).value }));
    // SAFETY: valid for writes (caller); the reference given to `f` is gone.
    unsafe { tidy(st) };
    if s == VIREG_ERR_PANIC {
        // SAFETY: `st` is valid for writes (caller); the reference given to `f` is gone.
        unsafe { ptr::addr_of_mut!((*st).marker).write(0) };
    }
    s
}

/// Zeroes the padding of the value in the state at `st` (see [`Padded`]).
///
/// # Safety
/// `st` is valid for writes of a `State` holding a valid value; no reference to it is live.
#[inline]
unsafe fn tidy<V: Padded>(st: *mut State<V>) {
    // SAFETY: forwarded from the caller; no reference is formed.
    unsafe { V::zero_padding(ptr::addr_of_mut!((*st).value)) };
}

/// Zeroes the bytes of the C state `p` past its `State` (room to grow: no value is there, but
/// the caller's memory, copied or checksummed whole, must be defined).
///
/// # Safety
/// `p` is valid for writes of an `S` and aligned; no reference to it is live.
#[inline]
unsafe fn zero_reserve<S: Opaque>(p: *mut S) {
    // SAFETY: inside the `S` (compile-time check: the `State` fits), outside any value.
    unsafe { zero_bytes(p.cast::<u8>(), size_of::<State<S::Inner>>(), size_of::<S>()) };
}

/// Checks that the caller's state type is this library's: `size` is the `sizeof` the caller's
/// header gives (VIREG_ERR_STATE_SIZE when it differs: a header of another capacity).
#[inline]
fn check_size<S>(size: usize) -> Result<(), vireg_status> {
    if size == size_of::<S>() {
        Ok(())
    } else {
        Err(VIREG_ERR_STATE_SIZE)
    }
}

/// Writes an initialised state: marker and value, replacing whatever the memory held; every
/// byte of the state is defined afterwards.
///
/// # Safety
/// `p` is valid for writes of an `S` and aligned (checked by the caller); no reference to it
/// is live.
unsafe fn put<S: Opaque>(p: *mut S, value: S::Inner) {
    let st = p.cast::<State<S::Inner>>();
    // SAFETY: valid, aligned, large enough (compile-time checks), not borrowed (caller). The old
    // contents, if any, hold no resources, so overwriting without dropping leaks nothing.
    unsafe {
        st.write(State {
            marker: S::MARKER,
            value,
        });
        tidy(st);
        zero_reserve(p);
    };
}

/// The precision-specific C types of `f32` and `f64`.
trait Prec: Normal {
    type CFit: Opaque<Inner = Fit<Self, MAX_FEATURES>>;
    type CSynth: Opaque<Inner = Synth<Self, MAX_FEATURES>>;
    type CConfig: Copy;
    type CRunReport: From<RunReport<Self>>;
    type CExactReport: From<ExactReport<Self>>;
    type CSummary: From<Summary<Self>>;
    /// Checks a C configuration and converts it.
    fn config_in(c: &Self::CConfig) -> Result<Config<Self>, vireg_status>;
    /// Converts a configuration to C.
    fn config_out(c: &Config<Self>) -> Self::CConfig;
}

/// A progress callback of precision `T`.
type Progress<T> = Option<unsafe extern "C" fn(*mut c_void, u64, T) -> c_int>;

macro_rules! prec {
    ($t:ty, $fit:ty, $synth:ty, $cfg:ident, $run:ident, $exact:ident, $summary:ident) => {
        impl Prec for $t {
            type CFit = $fit;
            type CSynth = $synth;
            type CConfig = $cfg;
            type CRunReport = $run;
            type CExactReport = $exact;
            type CSummary = $summary;

            fn config_in(c: &$cfg) -> Result<Config<$t>, vireg_status> {
                let estimator = match c.estimator {
                    VIREG_ESTIMATOR_MONTE_CARLO => Estimator::MonteCarlo {
                        particles: c.particles,
                    },
                    VIREG_ESTIMATOR_ANALYTIC => Estimator::Analytic,
                    _ => return Err(VIREG_ERR_CONFIG),
                };
                // The update keeps this compiling (with the kernel's defaults) if the kernel
                // gains a setting before the C struct does.
                #[allow(clippy::needless_update)]
                let cfg = Config {
                    prior: Prior {
                        intercept: c.prior_intercept,
                        coef: c.prior_coef,
                        noise: c.prior_noise,
                    },
                    init_scale: c.init_scale,
                    adam: AdamConfig {
                        lr: c.lr,
                        beta1: c.beta1,
                        beta2: c.beta2,
                        eps: c.eps,
                        clip: c.clip,
                        lrd: c.lrd,
                    },
                    estimator,
                    seed: c.seed,
                    tol_rel_obj: c.tol_rel_obj,
                    eval_every: c.eval_every,
                    average_fraction: c.average_fraction,
                    final_lr_scale: c.final_lr_scale,
                    ..Config::default()
                };
                cfg.validate().map_err(status)?;
                Ok(cfg)
            }

            fn config_out(c: &Config<$t>) -> $cfg {
                let (estimator, particles) = match c.estimator {
                    Estimator::MonteCarlo { particles } => (VIREG_ESTIMATOR_MONTE_CARLO, particles),
                    Estimator::Analytic => (VIREG_ESTIMATOR_ANALYTIC, 1),
                };
                $cfg {
                    seed: c.seed,
                    prior_intercept: c.prior.intercept,
                    prior_coef: c.prior.coef,
                    prior_noise: c.prior.noise,
                    init_scale: c.init_scale,
                    lr: c.adam.lr,
                    beta1: c.adam.beta1,
                    beta2: c.adam.beta2,
                    eps: c.adam.eps,
                    clip: c.adam.clip,
                    lrd: c.adam.lrd,
                    estimator,
                    particles,
                    tol_rel_obj: c.tol_rel_obj,
                    eval_every: c.eval_every,
                    average_fraction: c.average_fraction,
                    final_lr_scale: c.final_lr_scale,
                }
            }
        }

        impl From<RunReport<$t>> for $run {
            fn from(r: RunReport<$t>) -> Self {
                $run {
                    steps: r.steps,
                    averaged: r.averaged,
                    loss: r.loss,
                    elbo: r.elbo,
                    converged: r.converged,
                    stopped: r.stopped,
                }
            }
        }

        impl From<ExactReport<$t>> for $exact {
            fn from(r: ExactReport<$t>) -> Self {
                $exact {
                    elbo: r.elbo,
                    iterations: r.iterations,
                }
            }
        }

        impl From<Summary<$t>> for $summary {
            fn from(s: Summary<$t>) -> Self {
                $summary {
                    mean: s.mean,
                    sd: s.sd,
                    median: s.median,
                }
            }
        }
    };
}

prec!(
    f32,
    vireg_fit_f32,
    vireg_synth_f32,
    vireg_config_f32,
    vireg_run_report_f32,
    vireg_exact_report_f32,
    vireg_summary_f32
);
prec!(
    f64,
    vireg_fit_f64,
    vireg_synth_f64,
    vireg_config_f64,
    vireg_run_report_f64,
    vireg_exact_report_f64,
    vireg_summary_f64
);

/// The generic bodies of the exported functions (same names, without prefix and suffix).
/// Each has the safety contract of its exported wrappers.
mod imp {
    use super::*;

    type FitOf<T> = Fit<T, MAX_FEATURES>;

    pub(super) unsafe fn config_default<T: Prec>(out: *mut T::CConfig) -> vireg_status {
        boundary(|| {
            check_ptr(out)?;
            // SAFETY: checked non-NULL and aligned; valid for a write (caller).
            unsafe { out.write(T::config_out(&Config::default())) };
            Ok(())
        })
    }

    pub(super) unsafe fn init<T: Prec>(
        fit: *mut T::CFit,
        fit_size: usize,
        n_features: usize,
        config: *const T::CConfig,
    ) -> vireg_status {
        boundary(|| {
            check_ptr(fit)?;
            check_size::<T::CFit>(fit_size)?;
            check_opt(config)?;
            let cfg = if config.is_null() {
                Config::default()
            } else {
                // SAFETY: non-NULL, aligned (checked), valid for a read (caller).
                T::config_in(unsafe { &*config })?
            };
            let st = fit.cast::<State<FitOf<T>>>();
            // Built in place (a fit built on the stack and then copied would need twice its
            // size of stack). The marker is written last: on error, the state is untouched.
            // SAFETY: checked non-NULL and aligned, valid for writes and not borrowed (caller),
            // large enough and aligned for `State` (compile-time checks); a `MaybeUninit` may
            // refer to memory in any state.
            let slot = unsafe {
                &mut *ptr::addr_of_mut!((*st).value).cast::<core::mem::MaybeUninit<FitOf<T>>>()
            };
            FitOf::<T>::init_into(slot, n_features, cfg).map_err(status)?;
            // SAFETY: as above; `slot` is no longer used, the value is initialised.
            unsafe {
                tidy(st);
                zero_reserve(fit);
                ptr::addr_of_mut!((*st).marker).write(<T::CFit as Opaque>::MARKER);
            }
            Ok(())
        })
    }

    pub(super) unsafe fn config_get<T: Prec>(
        fit: *const T::CFit,
        out: *mut T::CConfig,
    ) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(T::config_out(&f.config())) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn set_learning_rate<T: Prec>(fit: *mut T::CFit, lr: T) -> vireg_status {
        let op = |f: &mut FitOf<T>| {
            let adam = AdamConfig {
                lr,
                ..f.config().adam
            };
            f.set_adam(adam).map_err(status)
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_mut(fit, op) }
    }

    pub(super) unsafe fn features<T: Prec>(fit: *const T::CFit, out: *mut usize) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(f.features()) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn rows<T: Prec>(fit: *const T::CFit, out: *mut u64) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(f.stats().rows()) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn observe<T: Prec>(
        fit: *mut T::CFit,
        x: *const T,
        n_features: usize,
        y: T,
    ) -> vireg_status {
        if x.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &mut FitOf<T>| {
            if n_features != f.features() {
                return Err(VIREG_ERR_DIMENSION);
            }
            // SAFETY: valid for n_features reads (caller).
            let x = unsafe { slice(x, n_features) }?;
            f.observe(x, y).map_err(status)
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_mut(fit, op) }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn observe_rows<T: Prec>(
        fit: *mut T::CFit,
        x: *const T,
        n_rows: usize,
        n_features: usize,
        row_stride: usize,
        y: *const T,
        bad_row_out: *mut usize,
    ) -> vireg_status {
        if let Err(e) = check_opt(bad_row_out) {
            return e;
        }
        let mut accepted = 0;
        let s = if x.is_null() || y.is_null() {
            VIREG_ERR_NULL
        } else {
            let op = |f: &mut FitOf<T>| {
                if n_features != f.features() || row_stride < n_features {
                    return Err(VIREG_ERR_DIMENSION);
                }
                let len = match n_rows.checked_sub(1) {
                    None => 0,
                    Some(last) => last
                        .checked_mul(row_stride)
                        .and_then(|v| v.checked_add(n_features))
                        .ok_or(VIREG_ERR_DIMENSION)?,
                };
                // SAFETY: valid for `len` and `n_rows` reads (caller).
                let xs = unsafe { slice(x, len) }?;
                // SAFETY: as above.
                let ys = unsafe { slice(y, n_rows) }?;
                match f.observe_rows(xs, row_stride, ys) {
                    Ok(()) => {
                        accepted = n_rows;
                        Ok(())
                    }
                    Err((i, e)) => {
                        accepted = i;
                        Err(status(e))
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

    pub(super) unsafe fn merge<T: Prec>(dst: *mut T::CFit, src: *const T::CFit) -> vireg_status {
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
        let op = |f: &mut FitOf<T>| f.merge(&stats).map_err(status);
        // SAFETY: forwarded from the caller; no reference into `src` is live.
        unsafe { with_mut(dst, op) }
    }

    pub(super) unsafe fn step<T: Prec>(
        fit: *mut T::CFit,
        n_steps: u64,
        loss_out: *mut T,
    ) -> vireg_status {
        let op = |f: &mut FitOf<T>| {
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

    pub(super) unsafe fn run<T: Prec>(
        fit: *mut T::CFit,
        max_steps: u64,
        report_every: u64,
        callback: Progress<T>,
        user: *mut c_void,
        report_out: *mut T::CRunReport,
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
        let marker = <T::CFit as Opaque>::MARKER;
        // The callback may call vireg with this very fit: mark it busy for the run, so those
        // calls are refused before they could touch the value borrowed here.
        // SAFETY: valid for writes (caller); no reference to the state is live.
        unsafe { ptr::addr_of_mut!((*st).marker).write(busy(marker)) };
        let s = boundary(|| {
            // SAFETY: a valid fit (the marker was checked); exclusively ours until the marker
            // is restored: every other entry point refuses a busy state.
            let f = unsafe { &mut (*st).value };
            let hook = |step: u64, loss: T| match callback {
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

    pub(super) unsafe fn solve_exact<T: Prec>(
        fit: *mut T::CFit,
        report_out: *mut T::CExactReport,
    ) -> vireg_status {
        let op = |f: &mut FitOf<T>| {
            check_opt(report_out)?;
            let r = f.solve_exact().map_err(status)?;
            // SAFETY: NULL or checked; valid for a write (caller).
            unsafe { write_opt(report_out, r.into()) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_mut(fit, op) }
    }

    pub(super) unsafe fn condition<T: Prec>(fit: *const T::CFit, out: *mut T) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            let c = f.condition().map_err(status)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(c) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn elbo<T: Prec>(fit: *const T::CFit, out: *mut T) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(f.elbo_of(f.reported())) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    /// Which of the posterior's latent vectors to copy out.
    #[derive(Clone, Copy)]
    pub(super) enum Vector {
        Loc,
        Scale,
    }

    pub(super) unsafe fn posterior_vector<T: Prec>(
        fit: *const T::CFit,
        which: Vector,
        out: *mut T,
        out_len: usize,
    ) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            let d = f.features() + 2;
            if out_len < d {
                return Err(VIREG_ERR_DIMENSION);
            }
            // SAFETY: valid for out_len ≥ d writes (caller).
            let out = unsafe { slice_mut(out, d) }?;
            let post = f.posterior().map_err(status)?;
            match which {
                Vector::Loc => post.loc(out),
                Vector::Scale => post.scale(out),
            };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn posterior_summary<T: Prec>(
        fit: *const T::CFit,
        index: usize,
        out: *mut T::CSummary,
    ) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            if index > f.features() + 1 {
                return Err(VIREG_ERR_DIMENSION);
            }
            let post = f.posterior().map_err(status)?;
            let s = post.summary(index).ok_or(VIREG_ERR_DIMENSION)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(s.into()) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn posterior_quantile<T: Prec>(
        fit: *const T::CFit,
        index: usize,
        q: T,
        out: *mut T,
    ) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(out)?;
            if index > f.features() + 1 {
                return Err(VIREG_ERR_DIMENSION);
            }
            if !q.is_finite() {
                return Err(VIREG_ERR_NON_FINITE);
            }
            if !(q > T::ZERO && q < T::ONE) {
                return Err(VIREG_ERR_INVALID_ARGUMENT);
            }
            let post = f.posterior().map_err(status)?;
            let v = post.quantile(index, q).map_err(status)?;
            // SAFETY: checked; valid for a write (caller).
            unsafe { out.write(v) };
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_ref(fit, op) }
    }

    pub(super) unsafe fn draw<T: Prec>(
        fit: *mut T::CFit,
        out: *mut T,
        n_draws: usize,
        out_len: usize,
    ) -> vireg_status {
        if out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &mut FitOf<T>| {
            let d = f.features() + 2;
            let need = n_draws.checked_mul(d).ok_or(VIREG_ERR_DIMENSION)?;
            if out_len < need {
                return Err(VIREG_ERR_DIMENSION);
            }
            // SAFETY: valid for out_len ≥ need writes, disjoint from the state (caller).
            let out = unsafe { slice_mut(out, need) }?;
            f.draws(out).map_err(status)?;
            Ok(())
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_mut(fit, op) }
    }

    pub(super) unsafe fn predict<T: Prec>(
        fit: *const T::CFit,
        x: *const T,
        n_features: usize,
        mean_out: *mut T,
        sd_out: *mut T,
    ) -> vireg_status {
        if x.is_null() || mean_out.is_null() || sd_out.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_ptr(mean_out)?;
            check_ptr(sd_out)?;
            if n_features != f.features() {
                return Err(VIREG_ERR_DIMENSION);
            }
            // SAFETY: valid for n_features reads (caller).
            let x = unsafe { slice(x, n_features) }?;
            let post = f.posterior().map_err(status)?;
            let (m, s) = post.predict(x).map_err(status)?;
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

    pub(super) fn checkpoint_size<T: Prec>() -> usize {
        FitOf::<T>::CHECKPOINT_BYTES
    }

    pub(super) unsafe fn save<T: Prec>(
        fit: *const T::CFit,
        buf: *mut u8,
        buf_len: usize,
        written_out: *mut usize,
    ) -> vireg_status {
        if buf.is_null() {
            return VIREG_ERR_NULL;
        }
        let op = |f: &FitOf<T>| {
            check_opt(written_out)?;
            // Never address more than a checkpoint needs: buf_len may be a loose bound.
            let len = buf_len.min(FitOf::<T>::CHECKPOINT_BYTES);
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

    pub(super) unsafe fn load<T: Prec>(
        fit: *mut T::CFit,
        fit_size: usize,
        buf: *const u8,
        buf_len: usize,
    ) -> vireg_status {
        boundary(|| {
            check_ptr(fit)?;
            check_size::<T::CFit>(fit_size)?;
            // SAFETY: valid for buf_len reads (caller).
            let buf = unsafe { slice(buf, buf_len) }?;
            // Load into a scratch fit, so the state is untouched unless everything succeeds
            // (and may be uninitialised memory: nothing of it is read).
            let value = FitOf::<T>::from_checkpoint(buf).map_err(status)?;
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
}

// =============================================================================================
// The f32 family
// =============================================================================================

/// The size of ::vireg_fit_f32 in bytes, as the library was built (VIREG_FIT_F32_SIZE), for
/// bindings that cannot read the header.
///
/// @return sizeof(vireg_fit_f32).
#[no_mangle]
pub extern "C" fn vireg_fit_size_f32() -> usize {
    size_of::<vireg_fit_f32>()
}

/// Writes the default configuration (the seed's setup: priors 100/10/10, init_scale 0.1, Adam
/// lr 0.01, betas 0.9/0.999, eps 1e-8, no clip, no decay, one Monte Carlo particle, seed 42,
/// no convergence check, averaging over the last half of a run's final half).
///
/// @param config Receives the defaults. Must not be NULL.
/// @return VIREG_OK, or VIREG_ERR_NULL / VIREG_ERR_MISALIGNED for `config`.
///
/// # Safety
/// `config` is NULL or valid for a write of a vireg_config_f32.
#[no_mangle]
pub unsafe extern "C" fn vireg_config_default_f32(config: *mut vireg_config_f32) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::config_default::<f32>(config) }
}

/// Initialises a fit for `n_features` features with no data, discarding whatever `fit` held.
/// Call it through the macro vireg_init_f32(fit, n_features, config), which passes
/// `sizeof *(fit)` as `fit_size`.
///
/// @param fit Caller-owned state to initialise; its previous contents (zeroes, an old fit,
///   or uninitialised memory) are neither read nor freed.
/// @param fit_size sizeof(vireg_fit_f32) as the caller's header defines it.
/// @param n_features Number of features of every row, 1..=VIREG_MAX_FEATURES.
/// @param config The configuration (copied), or NULL for the defaults.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_STATE_SIZE if `fit_size` is not the library's sizeof(vireg_fit_f32) (a header
///   of another VIREG_MAX_FEATURES); VIREG_ERR_FEATURES if `n_features` is 0 or above
///   VIREG_MAX_FEATURES; VIREG_ERR_NON_FINITE / VIREG_ERR_CONFIG if a configuration value is
///   NaN/infinite (clip may be +INFINITY) or out of its range. On error `fit` is untouched.
///   On success every byte of `fit` is defined (no padding left undefined).
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_run_f32 in
/// progress); `config` is NULL or valid for reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_init_sized_f32(
    fit: *mut vireg_fit_f32,
    fit_size: usize,
    n_features: usize,
    config: *const vireg_config_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::init::<f32>(fit, fit_size, n_features, config) }
}

/// Reads a fit's configuration (as given to vireg_init_f32, with a learning rate changed by
/// vireg_set_learning_rate_f32).
///
/// @param fit An initialised fit (read only).
/// @param config Receives the configuration.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `config` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_get_config_f32(
    fit: *const vireg_fit_f32,
    config: *mut vireg_config_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::config_get::<f32>(fit, config) }
}

/// Changes Adam's learning rate (e.g. after VIREG_ERR_DIVERGED); the optimiser's moments are
/// kept.
///
/// @param fit An initialised fit.
/// @param lr The new learning rate, finite and > 0.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NON_FINITE if `lr` is NaN/infinite; VIREG_ERR_CONFIG if
///   `lr` <= 0.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_set_learning_rate_f32(
    fit: *mut vireg_fit_f32,
    lr: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_learning_rate::<f32>(fit, lr) }
}

/// The number of features of a fit.
///
/// @param fit An initialised fit (read only).
/// @param n_features Receives the number of features.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `n_features` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_features_f32(
    fit: *const vireg_fit_f32,
    n_features: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::features::<f32>(fit, n_features) }
}

/// The number of rows folded into a fit (by observe, observe_rows and merge).
///
/// @param fit An initialised fit (read only).
/// @param rows Receives the number of rows.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `rows` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_rows_f32(fit: *const vireg_fit_f32, rows: *mut u64) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::rows::<f32>(fit, rows) }
}

/// Folds one observation into the fit's data summary (O(p^2) work, no memory kept per row).
///
/// @param fit An initialised fit.
/// @param x The row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param y The row's response.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `x` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `n_features` differs from
///   the fit's; VIREG_ERR_NON_FINITE if `y` or a feature is NaN/infinite; VIREG_ERR_OVERFLOW if
///   the row would take the summary past this precision's range (y'y or a column's sum of
///   squares above MAX/2^20: see docs/summary-limits.md) or the row count past 2^64 - 1. On error the fit is
///   unchanged, byte for byte.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call; `x` is NULL or valid for `n_features` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_observe_f32(
    fit: *mut vireg_fit_f32,
    x: *const f32,
    n_features: usize,
    y: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe::<f32>(fit, x, n_features, y) }
}

/// Folds many observations in at once, all or nothing. Row i is
/// `x[i * row_stride .. i * row_stride + n_features]` with response `y[i]` (row-major; a stride
/// larger than n_features skips columns, e.g. to read features out of a wider record).
///
/// @param fit An initialised fit.
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param y The n_rows responses (read only).
/// @param bad_row_out Optional (may be NULL). Receives the number of leading rows that were
///   acceptable: n_rows on success, the index of the first row with a NaN/infinite value on
///   VIREG_ERR_NON_FINITE, on VIREG_ERR_OVERFLOW the index of the first row after which the summary would pass its range
///   (the row vireg_observe_* would refuse first; n_rows if only the row count would pass
///   2^64 - 1), 0 on the other errors.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit`, `x` or `y` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `n_features` differs from
///   the fit's, `row_stride` < `n_features`, or the sizes overflow; VIREG_ERR_NON_FINITE;
///   VIREG_ERR_OVERFLOW. On error no row is folded in: the fit is unchanged, byte for byte.
///
/// # Safety
/// `fit` as in vireg_observe_f32; `x` is NULL or valid for the reads above; `y` is NULL or valid
/// for `n_rows` reads; `bad_row_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_observe_rows_f32(
    fit: *mut vireg_fit_f32,
    x: *const f32,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const f32,
    bad_row_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe_rows::<f32>(fit, x, n_rows, n_features, row_stride, y, bad_row_out) }
}

/// Adds the data of `src` to `dst` exactly, as if dst had also observed src's rows (split a
/// large data set across devices or threads, summarise each part, combine). Only the data
/// summaries are combined: dst's configuration, posterior and optimiser state are kept.
///
/// @param dst An initialised fit, receiving the data.
/// @param src An initialised fit with the same number of features (read only; may be `dst`,
///   which then counts its rows twice).
/// @return VIREG_OK; VIREG_ERR_NULL if either is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_MISMATCH if the numbers of features
///   differ; VIREG_ERR_OVERFLOW (also when the row count would pass 2^64 - 1). On error `dst`
///   is unchanged.
///
/// # Safety
/// Each pointer is NULL or valid for reads (and for `dst`, writes) of a vireg_fit_f32 that is
/// zero-filled or initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_merge_f32(
    dst: *mut vireg_fit_f32,
    src: *const vireg_fit_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::merge::<f32>(dst, src) }
}

/// Takes `n_steps` SVI steps (Pyro's svi.step): Adam on the ELBO's gradient, estimated as
/// configured. Ends any iterate averaging of a previous run: the posterior is then the last
/// iterate.
///
/// @param fit An initialised fit.
/// @param n_steps Number of steps, >= 1.
/// @param loss_out Optional (may be NULL). Receives the loss (-ELBO, nats) of the last step,
///   at the parameters before its update.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_INVALID_ARGUMENT if `n_steps` is 0; VIREG_ERR_DIVERGED if a step
///   would have made the loss or a parameter non-finite: the steps before it are kept, that one
///   is undone, and the rest are not taken. The optimisation state is then exactly that of the
///   last point whose loss was finite (so a step that reached a finite point of non-finite loss
///   is undone too); the data and configuration are unchanged, the random stream is not
///   rewound, `loss_out` is not written.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call; `loss_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_step_f32(
    fit: *mut vireg_fit_f32,
    n_steps: u64,
    loss_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::step::<f32>(fit, n_steps, loss_out) }
}

/// Runs up to `max_steps` SVI steps with progress reports and convergence detection. The final
/// stretch of the run (config average_fraction of the steps) decays the learning rate to
/// final_lr_scale of its value and averages the iterates of its second half into the reported
/// posterior. With tol_rel_obj > 0 the run stops early once the ELBO settles.
///
/// @param fit An initialised fit.
/// @param max_steps Most steps to take, >= 1.
/// @param report_every Call `callback` after step 0 and every `report_every` steps; 0 never.
/// @param callback Progress callback, or NULL. It may stop the run by returning 0.
/// @param user Passed to `callback` untouched (may be NULL).
/// @param report_out Optional (may be NULL). Receives what the run did.
/// @return VIREG_OK (also when stopped by the callback or converged: see the report);
///   VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY (a run of this
///   fit is already in progress); VIREG_ERR_INVALID_ARGUMENT if `max_steps` is 0;
///   VIREG_ERR_DIVERGED as in vireg_step_f32 (the run stops there, the posterior is the
///   restored point: no iterate average; `report_out` is not written).
///
/// # Safety
/// `fit` as in vireg_step_f32; `callback` is NULL or a function of this signature that returns
/// normally; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_run_f32(
    fit: *mut vireg_fit_f32,
    max_steps: u64,
    report_every: u64,
    callback: vireg_progress_f32,
    user: *mut c_void,
    report_out: *mut vireg_run_report_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::run::<f32>(fit, max_steps, report_every, callback, user, report_out) }
}

/// Sets the posterior to the exact mean-field optimum (coordinate ascent: no learning rate, no
/// sampling, microseconds), and resets the optimiser so SVI would continue from there.
///
/// @param fit An initialised fit.
/// @param report_out Optional (may be NULL). Receives the optimum's ELBO and the sweeps.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NOT_CONVERGED; VIREG_ERR_ILL_CONDITIONED (use the _f64 family or
///   centre and scale the features); VIREG_ERR_OVERFLOW. On error the fit is unchanged.
///
/// # Safety
/// `fit` as in vireg_step_f32; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_solve_exact_f32(
    fit: *mut vireg_fit_f32,
    report_out: *mut vireg_exact_report_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::solve_exact::<f32>(fit, report_out) }
}

/// The condition estimate S = n * eps * kappa of the fit's data (README, "Numerical limits"):
/// vireg_solve_exact_f32 refuses with VIREG_ERR_ILL_CONDITIONED when S > 1/4, as the answer
/// might then have fewer than two correct digits. SVI (vireg_step_f32, vireg_run_f32) reads the
/// same summary without this check: call this to know whether to trust its result too. The fit
/// is not changed (the estimate is evaluated at the exact optimum, computed here).
///
/// @param fit An initialised fit (read only).
/// @param condition_out Receives S (dimensionless, >= 0; lower is better).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_OVERFLOW / VIREG_ERR_NOT_CONVERGED as vireg_solve_exact_f32
///   would return them.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `condition_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_condition_f32(
    fit: *const vireg_fit_f32,
    condition_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::condition::<f32>(fit, condition_out) }
}

/// The exact ELBO (nats) of the reported posterior (the last run's averaged iterate, or the
/// current one).
///
/// @param fit An initialised fit (read only).
/// @param elbo_out Receives the ELBO.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `elbo_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_elbo_f32(
    fit: *const vireg_fit_f32,
    elbo_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::elbo::<f32>(fit, elbo_out) }
}

/// The guide's locations (Pyro's auto_loc) in the latent order: alpha, beta_1 .. beta_p,
/// u = ln(sigma).
///
/// @param fit An initialised fit (read only).
/// @param out Receives p + 2 values (p = the fit's number of features).
/// @param out_len Capacity of `out` in elements, >= p + 2 (VIREG_MAX_FEATURES + 2 always is).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` < p + 2; VIREG_ERR_NOT_FITTED if nothing
///   has been fitted yet (no successful solve_exact, step or run: the guide is only the
///   starting guess).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_loc_f32(
    fit: *const vireg_fit_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector::<f32>(fit, imp::Vector::Loc, out, out_len) }
}

/// The guide's scales (Pyro's auto_scale, standard deviations) in the latent order: alpha,
/// beta_1 .. beta_p, u = ln(sigma).
///
/// @param fit An initialised fit (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return As vireg_posterior_loc_f32.
///
/// # Safety
/// As vireg_posterior_loc_f32.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_scale_f32(
    fit: *const vireg_fit_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector::<f32>(fit, imp::Vector::Scale, out, out_len) }
}

/// Posterior mean, sd and median of one constrained parameter: alpha and the beta_j are normal;
/// sigma = exp(u) is log-normal (mean exp(m + s^2/2), median exp(m)).
///
/// @param fit An initialised fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param out Receives the summary, in the parameter's units.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `index` > p + 1; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_summary_f32(
    fit: *const vireg_fit_f32,
    index: usize,
    out: *mut vireg_summary_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_summary::<f32>(fit, index, out) }
}

/// Posterior quantile of one constrained parameter (e.g. q = 0.03 and 0.97 for a 94% interval).
///
/// @param fit An initialised fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param q The level, in (0, 1).
/// @param out Receives the quantile, in the parameter's units.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `index` > p + 1; VIREG_ERR_NON_FINITE if `q` is NaN or
///   infinite; VIREG_ERR_INVALID_ARGUMENT if `q` is not in (0, 1); VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32 (after the checks of the arguments).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_quantile_f32(
    fit: *const vireg_fit_f32,
    index: usize,
    q: f32,
    out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_quantile::<f32>(fit, index, q, out) }
}

/// Draws from the posterior, from the fit's seeded random stream (which it advances).
///
/// @param fit An initialised fit.
/// @param out Receives `n_draws` rows of p + 2 values, row-major: alpha, beta_1 .. beta_p,
///   sigma (constrained: sigma > 0).
/// @param n_draws Number of draws (0 is a valid no-op).
/// @param out_len Capacity of `out` in elements, >= n_draws * (p + 2).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` is too small; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32 (also for 0 draws). On error nothing is written and the stream is
///   not advanced.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call; `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_draw_f32(
    fit: *mut vireg_fit_f32,
    out: *mut f32,
    n_draws: usize,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::draw::<f32>(fit, out, n_draws, out_len) }
}

/// Posterior predictive mean and sd of the response at a new row: mean a.m, variance
/// sum_j a_j^2 s_j^2 + E[sigma^2] with a = (1, x).
///
/// @param fit An initialised fit (read only).
/// @param x The new row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param mean_out Receives the predictive mean, in the units of y.
/// @param sd_out Receives the predictive sd, in the units of y.
/// @return VIREG_OK; VIREG_ERR_NULL if any pointer is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32; VIREG_ERR_NON_FINITE if a feature is NaN/infinite;
///   VIREG_ERR_OVERFLOW if the prediction overflows.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised; `x`
/// is NULL or valid for `n_features` reads; `mean_out` and `sd_out` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_predict_f32(
    fit: *const vireg_fit_f32,
    x: *const f32,
    n_features: usize,
    mean_out: *mut f32,
    sd_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::predict::<f32>(fit, x, n_features, mean_out, sd_out) }
}

/// The size in bytes of a checkpoint of a vireg_fit_f32 (for any number of features up to
/// VIREG_MAX_FEATURES): the buffer size vireg_save_f32() needs.
///
/// @return The checkpoint size in bytes.
#[no_mangle]
pub extern "C" fn vireg_checkpoint_size_f32() -> usize {
    imp::checkpoint_size::<f32>()
}

/// Saves the whole fit (configuration, data summary, posterior, optimiser, random stream) to a
/// checkpoint: versioned, checksummed, little-endian, so that a device can resume after a power
/// loss, or another machine of the same precision and capacity can continue the fit.
///
/// @param fit An initialised fit (read only).
/// @param buf Receives the checkpoint.
/// @param buf_len Capacity of `buf` in bytes, >= vireg_checkpoint_size_f32().
/// @param written_out Optional (may be NULL). Receives the number of bytes written.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `buf` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_BUFFER_TOO_SMALL if `buf_len` is too
///   small (nothing is written).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `buf` is NULL or valid for `buf_len` writes; `written_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_save_f32(
    fit: *const vireg_fit_f32,
    buf: *mut u8,
    buf_len: usize,
    written_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::save::<f32>(fit, buf, buf_len, written_out) }
}

/// Restores a fit from a checkpoint written by vireg_save_f32() (possibly by another process or
/// machine of the same precision and capacity), replacing whatever `fit` held: it may be
/// zero-filled, initialised, or uninitialised memory. Everything continues exactly as if the
/// saved fit had never stopped. Checkpoints of format version 1 (vireg 0.1.0) load too. Call it
/// through the macro vireg_load_f32(fit, buf, buf_len), which passes `sizeof *(fit)`.
///
/// @param fit Caller-owned state to restore into.
/// @param fit_size sizeof(vireg_fit_f32) as the caller's header defines it.
/// @param buf The checkpoint (read only).
/// @param buf_len Length of `buf` in bytes.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `buf` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_STATE_SIZE as in vireg_init_sized_f32; VIREG_ERR_BAD_CHECKPOINT if the bytes are
///   not a checkpoint of a version this library reads; VIREG_ERR_INCOMPATIBLE if it was written
///   for the other precision or another capacity; VIREG_ERR_TRUNCATED if `buf_len` is shorter
///   than the length its header records (or than a header); VIREG_ERR_CHECKSUM if the bytes
///   were corrupted. On error `fit` is untouched; on success every byte of it is defined.
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_run_f32 in
/// progress); `buf` is NULL or valid for `buf_len` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_load_sized_f32(
    fit: *mut vireg_fit_f32,
    fit_size: usize,
    buf: *const u8,
    buf_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::load::<f32>(fit, fit_size, buf, buf_len) }
}

/// The size of ::vireg_synth_f32 in bytes, as the library was built (VIREG_SYNTH_F32_SIZE).
///
/// @return sizeof(vireg_synth_f32).
#[no_mangle]
pub extern "C" fn vireg_synth_size_f32() -> usize {
    size_of::<vireg_synth_f32>()
}

/// Initialises a generator of the seed's synthetic data: draws the true parameters from
/// `seed`. The same seed gives the same data as the Rust `vireg::Synth` (the seed example uses
/// 8 features, seed 42).
/// Call it through the macro vireg_synth_init_f32(synth, n_features, seed), which passes
/// `sizeof *(synth)`.
///
/// @param synth Caller-owned state to initialise (previous contents not read).
/// @param synth_size sizeof(vireg_synth_f32) as the caller's header defines it.
/// @param n_features Number of features, 1..=VIREG_MAX_FEATURES.
/// @param seed Seed of the generator's PCG32 stream.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_STATE_SIZE if
///   `synth_size` is not the library's sizeof(vireg_synth_f32); VIREG_ERR_FEATURES. On error
///   `synth` is untouched.
///
/// # Safety
/// `synth` is NULL or valid for writes of `synth_size` bytes and, if that is the library's
/// size, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_init_sized_f32(
    synth: *mut vireg_synth_f32,
    synth_size: usize,
    n_features: usize,
    seed: u64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_init::<f32>(synth, synth_size, n_features, seed) }
}

/// Generates the next synthetic row: x ~ N(0, I), y = alpha + x.beta + N(0, sigma).
///
/// @param synth An initialised generator.
/// @param x Receives the row's `n_features` features.
/// @param n_features Length of `x`; must equal the generator's number of features.
/// @param y_out Receives the response.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_DIMENSION.
///
/// # Safety
/// `synth` is NULL or valid for reads and writes of a vireg_synth_f32 that is zero-filled or
/// initialised; `x` is NULL or valid for `n_features` writes; `y_out` is NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_next_f32(
    synth: *mut vireg_synth_f32,
    x: *mut f32,
    n_features: usize,
    y_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_next::<f32>(synth, x, n_features, y_out) }
}

/// The generator's true parameters, in the order alpha, beta_1 .. beta_p, sigma.
///
/// @param synth An initialised generator (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_DIMENSION.
///
/// # Safety
/// `synth` is NULL or valid for reads of a vireg_synth_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_truth_f32(
    synth: *const vireg_synth_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_truth::<f32>(synth, out, out_len) }
}

// =============================================================================================
// The f64 family
// =============================================================================================

/// The size of ::vireg_fit_f64 in bytes, as the library was built (VIREG_FIT_F64_SIZE), for
/// bindings that cannot read the header.
///
/// @return sizeof(vireg_fit_f64).
#[no_mangle]
pub extern "C" fn vireg_fit_size_f64() -> usize {
    size_of::<vireg_fit_f64>()
}

/// Writes the default configuration (the seed's setup: priors 100/10/10, init_scale 0.1, Adam
/// lr 0.01, betas 0.9/0.999, eps 1e-8, no clip, no decay, one Monte Carlo particle, seed 42,
/// no convergence check, averaging over the last half of a run's final half).
///
/// @param config Receives the defaults. Must not be NULL.
/// @return VIREG_OK, or VIREG_ERR_NULL / VIREG_ERR_MISALIGNED for `config`.
///
/// # Safety
/// `config` is NULL or valid for a write of a vireg_config_f64.
#[no_mangle]
pub unsafe extern "C" fn vireg_config_default_f64(config: *mut vireg_config_f64) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::config_default::<f64>(config) }
}

/// Initialises a fit for `n_features` features with no data, discarding whatever `fit` held.
/// Call it through the macro vireg_init_f64(fit, n_features, config), which passes
/// `sizeof *(fit)` as `fit_size`.
///
/// @param fit Caller-owned state to initialise; its previous contents (zeroes, an old fit,
///   or uninitialised memory) are neither read nor freed.
/// @param fit_size sizeof(vireg_fit_f64) as the caller's header defines it.
/// @param n_features Number of features of every row, 1..=VIREG_MAX_FEATURES.
/// @param config The configuration (copied), or NULL for the defaults.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_STATE_SIZE if `fit_size` is not the library's sizeof(vireg_fit_f64) (a header
///   of another VIREG_MAX_FEATURES); VIREG_ERR_FEATURES if `n_features` is 0 or above
///   VIREG_MAX_FEATURES; VIREG_ERR_NON_FINITE / VIREG_ERR_CONFIG if a configuration value is
///   NaN/infinite (clip may be +INFINITY) or out of its range. On error `fit` is untouched.
///   On success every byte of `fit` is defined (no padding left undefined).
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_run_f64 in
/// progress); `config` is NULL or valid for reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_init_sized_f64(
    fit: *mut vireg_fit_f64,
    fit_size: usize,
    n_features: usize,
    config: *const vireg_config_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::init::<f64>(fit, fit_size, n_features, config) }
}

/// Reads a fit's configuration (as given to vireg_init_f64, with a learning rate changed by
/// vireg_set_learning_rate_f64).
///
/// @param fit An initialised fit (read only).
/// @param config Receives the configuration.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `config` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_get_config_f64(
    fit: *const vireg_fit_f64,
    config: *mut vireg_config_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::config_get::<f64>(fit, config) }
}

/// Changes Adam's learning rate (e.g. after VIREG_ERR_DIVERGED); the optimiser's moments are
/// kept.
///
/// @param fit An initialised fit.
/// @param lr The new learning rate, finite and > 0.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NON_FINITE if `lr` is NaN/infinite; VIREG_ERR_CONFIG if
///   `lr` <= 0.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f64 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_set_learning_rate_f64(
    fit: *mut vireg_fit_f64,
    lr: f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_learning_rate::<f64>(fit, lr) }
}

/// The number of features of a fit.
///
/// @param fit An initialised fit (read only).
/// @param n_features Receives the number of features.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `n_features` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_features_f64(
    fit: *const vireg_fit_f64,
    n_features: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::features::<f64>(fit, n_features) }
}

/// The number of rows folded into a fit (by observe, observe_rows and merge).
///
/// @param fit An initialised fit (read only).
/// @param rows Receives the number of rows.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `rows` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_rows_f64(fit: *const vireg_fit_f64, rows: *mut u64) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::rows::<f64>(fit, rows) }
}

/// Folds one observation into the fit's data summary (O(p^2) work, no memory kept per row).
///
/// @param fit An initialised fit.
/// @param x The row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param y The row's response.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `x` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `n_features` differs from
///   the fit's; VIREG_ERR_NON_FINITE if `y` or a feature is NaN/infinite; VIREG_ERR_OVERFLOW if
///   the row would take the summary past this precision's range (y'y or a column's sum of
///   squares above MAX/2^20: see docs/summary-limits.md) or the row count past 2^64 - 1. On error the fit is
///   unchanged, byte for byte.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f64 that is zero-filled or
/// initialised, not in use by another call; `x` is NULL or valid for `n_features` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_observe_f64(
    fit: *mut vireg_fit_f64,
    x: *const f64,
    n_features: usize,
    y: f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe::<f64>(fit, x, n_features, y) }
}

/// Folds many observations in at once, all or nothing. Row i is
/// `x[i * row_stride .. i * row_stride + n_features]` with response `y[i]` (row-major; a stride
/// larger than n_features skips columns, e.g. to read features out of a wider record).
///
/// @param fit An initialised fit.
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param y The n_rows responses (read only).
/// @param bad_row_out Optional (may be NULL). Receives the number of leading rows that were
///   acceptable: n_rows on success, the index of the first row with a NaN/infinite value on
///   VIREG_ERR_NON_FINITE, on VIREG_ERR_OVERFLOW the index of the first row after which the summary would pass its range
///   (the row vireg_observe_* would refuse first; n_rows if only the row count would pass
///   2^64 - 1), 0 on the other errors.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit`, `x` or `y` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `n_features` differs from
///   the fit's, `row_stride` < `n_features`, or the sizes overflow; VIREG_ERR_NON_FINITE;
///   VIREG_ERR_OVERFLOW. On error no row is folded in: the fit is unchanged, byte for byte.
///
/// # Safety
/// `fit` as in vireg_observe_f64; `x` is NULL or valid for the reads above; `y` is NULL or valid
/// for `n_rows` reads; `bad_row_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_observe_rows_f64(
    fit: *mut vireg_fit_f64,
    x: *const f64,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const f64,
    bad_row_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe_rows::<f64>(fit, x, n_rows, n_features, row_stride, y, bad_row_out) }
}

/// Adds the data of `src` to `dst` exactly, as if dst had also observed src's rows (split a
/// large data set across devices or threads, summarise each part, combine). Only the data
/// summaries are combined: dst's configuration, posterior and optimiser state are kept.
///
/// @param dst An initialised fit, receiving the data.
/// @param src An initialised fit with the same number of features (read only; may be `dst`,
///   which then counts its rows twice).
/// @return VIREG_OK; VIREG_ERR_NULL if either is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_MISMATCH if the numbers of features
///   differ; VIREG_ERR_OVERFLOW (also when the row count would pass 2^64 - 1). On error `dst`
///   is unchanged.
///
/// # Safety
/// Each pointer is NULL or valid for reads (and for `dst`, writes) of a vireg_fit_f64 that is
/// zero-filled or initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_merge_f64(
    dst: *mut vireg_fit_f64,
    src: *const vireg_fit_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::merge::<f64>(dst, src) }
}

/// Takes `n_steps` SVI steps (Pyro's svi.step): Adam on the ELBO's gradient, estimated as
/// configured. Ends any iterate averaging of a previous run: the posterior is then the last
/// iterate.
///
/// @param fit An initialised fit.
/// @param n_steps Number of steps, >= 1.
/// @param loss_out Optional (may be NULL). Receives the loss (-ELBO, nats) of the last step,
///   at the parameters before its update.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_INVALID_ARGUMENT if `n_steps` is 0; VIREG_ERR_DIVERGED if a step
///   would have made the loss or a parameter non-finite: the steps before it are kept, that one
///   is undone, and the rest are not taken. The optimisation state is then exactly that of the
///   last point whose loss was finite (so a step that reached a finite point of non-finite loss
///   is undone too); the data and configuration are unchanged, the random stream is not
///   rewound, `loss_out` is not written.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f64 that is zero-filled or
/// initialised, not in use by another call; `loss_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_step_f64(
    fit: *mut vireg_fit_f64,
    n_steps: u64,
    loss_out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::step::<f64>(fit, n_steps, loss_out) }
}

/// Runs up to `max_steps` SVI steps with progress reports and convergence detection. The final
/// stretch of the run (config average_fraction of the steps) decays the learning rate to
/// final_lr_scale of its value and averages the iterates of its second half into the reported
/// posterior. With tol_rel_obj > 0 the run stops early once the ELBO settles.
///
/// @param fit An initialised fit.
/// @param max_steps Most steps to take, >= 1.
/// @param report_every Call `callback` after step 0 and every `report_every` steps; 0 never.
/// @param callback Progress callback, or NULL. It may stop the run by returning 0.
/// @param user Passed to `callback` untouched (may be NULL).
/// @param report_out Optional (may be NULL). Receives what the run did.
/// @return VIREG_OK (also when stopped by the callback or converged: see the report);
///   VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY (a run of this
///   fit is already in progress); VIREG_ERR_INVALID_ARGUMENT if `max_steps` is 0;
///   VIREG_ERR_DIVERGED as in vireg_step_f64 (the run stops there, the posterior is the
///   restored point: no iterate average; `report_out` is not written).
///
/// # Safety
/// `fit` as in vireg_step_f64; `callback` is NULL or a function of this signature that returns
/// normally; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_run_f64(
    fit: *mut vireg_fit_f64,
    max_steps: u64,
    report_every: u64,
    callback: vireg_progress_f64,
    user: *mut c_void,
    report_out: *mut vireg_run_report_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::run::<f64>(fit, max_steps, report_every, callback, user, report_out) }
}

/// Sets the posterior to the exact mean-field optimum (coordinate ascent: no learning rate, no
/// sampling, microseconds), and resets the optimiser so SVI would continue from there.
///
/// @param fit An initialised fit.
/// @param report_out Optional (may be NULL). Receives the optimum's ELBO and the sweeps.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NOT_CONVERGED; VIREG_ERR_ILL_CONDITIONED (use the _f64 family or
///   centre and scale the features); VIREG_ERR_OVERFLOW. On error the fit is unchanged.
///
/// # Safety
/// `fit` as in vireg_step_f64; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_solve_exact_f64(
    fit: *mut vireg_fit_f64,
    report_out: *mut vireg_exact_report_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::solve_exact::<f64>(fit, report_out) }
}

/// The condition estimate S = n * eps * kappa of the fit's data (README, "Numerical limits"):
/// vireg_solve_exact_f64 refuses with VIREG_ERR_ILL_CONDITIONED when S > 1/4, as the answer
/// might then have fewer than two correct digits. SVI (vireg_step_f64, vireg_run_f64) reads the
/// same summary without this check: call this to know whether to trust its result too. The fit
/// is not changed (the estimate is evaluated at the exact optimum, computed here).
///
/// @param fit An initialised fit (read only).
/// @param condition_out Receives S (dimensionless, >= 0; lower is better).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_OVERFLOW / VIREG_ERR_NOT_CONVERGED as vireg_solve_exact_f64
///   would return them.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `condition_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_condition_f64(
    fit: *const vireg_fit_f64,
    condition_out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::condition::<f64>(fit, condition_out) }
}

/// The exact ELBO (nats) of the reported posterior (the last run's averaged iterate, or the
/// current one).
///
/// @param fit An initialised fit (read only).
/// @param elbo_out Receives the ELBO.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `elbo_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_elbo_f64(
    fit: *const vireg_fit_f64,
    elbo_out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::elbo::<f64>(fit, elbo_out) }
}

/// The guide's locations (Pyro's auto_loc) in the latent order: alpha, beta_1 .. beta_p,
/// u = ln(sigma).
///
/// @param fit An initialised fit (read only).
/// @param out Receives p + 2 values (p = the fit's number of features).
/// @param out_len Capacity of `out` in elements, >= p + 2 (VIREG_MAX_FEATURES + 2 always is).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` < p + 2; VIREG_ERR_NOT_FITTED if nothing
///   has been fitted yet (no successful solve_exact, step or run: the guide is only the
///   starting guess).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_loc_f64(
    fit: *const vireg_fit_f64,
    out: *mut f64,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector::<f64>(fit, imp::Vector::Loc, out, out_len) }
}

/// The guide's scales (Pyro's auto_scale, standard deviations) in the latent order: alpha,
/// beta_1 .. beta_p, u = ln(sigma).
///
/// @param fit An initialised fit (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return As vireg_posterior_loc_f64.
///
/// # Safety
/// As vireg_posterior_loc_f64.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_scale_f64(
    fit: *const vireg_fit_f64,
    out: *mut f64,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector::<f64>(fit, imp::Vector::Scale, out, out_len) }
}

/// Posterior mean, sd and median of one constrained parameter: alpha and the beta_j are normal;
/// sigma = exp(u) is log-normal (mean exp(m + s^2/2), median exp(m)).
///
/// @param fit An initialised fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param out Receives the summary, in the parameter's units.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `index` > p + 1; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f64.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_summary_f64(
    fit: *const vireg_fit_f64,
    index: usize,
    out: *mut vireg_summary_f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_summary::<f64>(fit, index, out) }
}

/// Posterior quantile of one constrained parameter (e.g. q = 0.03 and 0.97 for a 94% interval).
///
/// @param fit An initialised fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param q The level, in (0, 1).
/// @param out Receives the quantile, in the parameter's units.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `index` > p + 1; VIREG_ERR_NON_FINITE if `q` is NaN or
///   infinite; VIREG_ERR_INVALID_ARGUMENT if `q` is not in (0, 1); VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f64 (after the checks of the arguments).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_quantile_f64(
    fit: *const vireg_fit_f64,
    index: usize,
    q: f64,
    out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_quantile::<f64>(fit, index, q, out) }
}

/// Draws from the posterior, from the fit's seeded random stream (which it advances).
///
/// @param fit An initialised fit.
/// @param out Receives `n_draws` rows of p + 2 values, row-major: alpha, beta_1 .. beta_p,
///   sigma (constrained: sigma > 0).
/// @param n_draws Number of draws (0 is a valid no-op).
/// @param out_len Capacity of `out` in elements, >= n_draws * (p + 2).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` is too small; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f64 (also for 0 draws). On error nothing is written and the stream is
///   not advanced.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f64 that is zero-filled or
/// initialised, not in use by another call; `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_draw_f64(
    fit: *mut vireg_fit_f64,
    out: *mut f64,
    n_draws: usize,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::draw::<f64>(fit, out, n_draws, out_len) }
}

/// Posterior predictive mean and sd of the response at a new row: mean a.m, variance
/// sum_j a_j^2 s_j^2 + E[sigma^2] with a = (1, x).
///
/// @param fit An initialised fit (read only).
/// @param x The new row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param mean_out Receives the predictive mean, in the units of y.
/// @param sd_out Receives the predictive sd, in the units of y.
/// @return VIREG_OK; VIREG_ERR_NULL if any pointer is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f64; VIREG_ERR_NON_FINITE if a feature is NaN/infinite;
///   VIREG_ERR_OVERFLOW if the prediction overflows.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised; `x`
/// is NULL or valid for `n_features` reads; `mean_out` and `sd_out` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_predict_f64(
    fit: *const vireg_fit_f64,
    x: *const f64,
    n_features: usize,
    mean_out: *mut f64,
    sd_out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::predict::<f64>(fit, x, n_features, mean_out, sd_out) }
}

/// The size in bytes of a checkpoint of a vireg_fit_f64 (for any number of features up to
/// VIREG_MAX_FEATURES): the buffer size vireg_save_f64() needs.
///
/// @return The checkpoint size in bytes.
#[no_mangle]
pub extern "C" fn vireg_checkpoint_size_f64() -> usize {
    imp::checkpoint_size::<f64>()
}

/// Saves the whole fit (configuration, data summary, posterior, optimiser, random stream) to a
/// checkpoint: versioned, checksummed, little-endian, so that a device can resume after a power
/// loss, or another machine of the same precision and capacity can continue the fit.
///
/// @param fit An initialised fit (read only).
/// @param buf Receives the checkpoint.
/// @param buf_len Capacity of `buf` in bytes, >= vireg_checkpoint_size_f64().
/// @param written_out Optional (may be NULL). Receives the number of bytes written.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `buf` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_BUFFER_TOO_SMALL if `buf_len` is too
///   small (nothing is written).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f64 that is zero-filled or initialised;
/// `buf` is NULL or valid for `buf_len` writes; `written_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_save_f64(
    fit: *const vireg_fit_f64,
    buf: *mut u8,
    buf_len: usize,
    written_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::save::<f64>(fit, buf, buf_len, written_out) }
}

/// Restores a fit from a checkpoint written by vireg_save_f64() (possibly by another process or
/// machine of the same precision and capacity), replacing whatever `fit` held: it may be
/// zero-filled, initialised, or uninitialised memory. Everything continues exactly as if the
/// saved fit had never stopped. Checkpoints of format version 1 (vireg 0.1.0) load too. Call it
/// through the macro vireg_load_f64(fit, buf, buf_len), which passes `sizeof *(fit)`.
///
/// @param fit Caller-owned state to restore into.
/// @param fit_size sizeof(vireg_fit_f64) as the caller's header defines it.
/// @param buf The checkpoint (read only).
/// @param buf_len Length of `buf` in bytes.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit` or `buf` is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_STATE_SIZE as in vireg_init_sized_f64; VIREG_ERR_BAD_CHECKPOINT if the bytes are
///   not a checkpoint of a version this library reads; VIREG_ERR_INCOMPATIBLE if it was written
///   for the other precision or another capacity; VIREG_ERR_TRUNCATED if `buf_len` is shorter
///   than the length its header records (or than a header); VIREG_ERR_CHECKSUM if the bytes
///   were corrupted. On error `fit` is untouched; on success every byte of it is defined.
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_run_f64 in
/// progress); `buf` is NULL or valid for `buf_len` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_load_sized_f64(
    fit: *mut vireg_fit_f64,
    fit_size: usize,
    buf: *const u8,
    buf_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::load::<f64>(fit, fit_size, buf, buf_len) }
}

/// The size of ::vireg_synth_f64 in bytes, as the library was built (VIREG_SYNTH_F64_SIZE).
///
/// @return sizeof(vireg_synth_f64).
#[no_mangle]
pub extern "C" fn vireg_synth_size_f64() -> usize {
    size_of::<vireg_synth_f64>()
}

/// Initialises a generator of the seed's synthetic data: draws the true parameters from
/// `seed`. The same seed gives the same data as the Rust `vireg::Synth` (the seed example uses
/// 8 features, seed 42).
/// Call it through the macro vireg_synth_init_f64(synth, n_features, seed), which passes
/// `sizeof *(synth)`.
///
/// @param synth Caller-owned state to initialise (previous contents not read).
/// @param synth_size sizeof(vireg_synth_f64) as the caller's header defines it.
/// @param n_features Number of features, 1..=VIREG_MAX_FEATURES.
/// @param seed Seed of the generator's PCG32 stream.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_STATE_SIZE if
///   `synth_size` is not the library's sizeof(vireg_synth_f64); VIREG_ERR_FEATURES. On error
///   `synth` is untouched.
///
/// # Safety
/// `synth` is NULL or valid for writes of `synth_size` bytes and, if that is the library's
/// size, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_init_sized_f64(
    synth: *mut vireg_synth_f64,
    synth_size: usize,
    n_features: usize,
    seed: u64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_init::<f64>(synth, synth_size, n_features, seed) }
}

/// Generates the next synthetic row: x ~ N(0, I), y = alpha + x.beta + N(0, sigma).
///
/// @param synth An initialised generator.
/// @param x Receives the row's `n_features` features.
/// @param n_features Length of `x`; must equal the generator's number of features.
/// @param y_out Receives the response.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_DIMENSION.
///
/// # Safety
/// `synth` is NULL or valid for reads and writes of a vireg_synth_f64 that is zero-filled or
/// initialised; `x` is NULL or valid for `n_features` writes; `y_out` is NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_next_f64(
    synth: *mut vireg_synth_f64,
    x: *mut f64,
    n_features: usize,
    y_out: *mut f64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_next::<f64>(synth, x, n_features, y_out) }
}

/// The generator's true parameters, in the order alpha, beta_1 .. beta_p, sigma.
///
/// @param synth An initialised generator (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_DIMENSION.
///
/// # Safety
/// `synth` is NULL or valid for reads of a vireg_synth_f64 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_synth_truth_f64(
    synth: *const vireg_synth_f64,
    out: *mut f64,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::synth_truth::<f64>(synth, out, out_len) }
}
