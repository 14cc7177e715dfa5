// The exported functions of the f32 family, each a thin wrapper over its body (`body.rs`).
//
// This file is also the one text of the f64 family: build.rs writes that family
// (`OUT_DIR/ffi_family_f64.rs`, the module `family_f64`) from everything below this comment
// with f32 -> f64, F32 -> F64 and the C type float -> double. So every function and its
// documentation is written here once, and nothing below may name the other precision (build.rs
// refuses the file then).

use super::body as imp;
use super::state::{vireg_fit_f32, vireg_synth_f32};
use super::status::vireg_status;
use super::types::{
    vireg_config_f32, vireg_exact_report_f32, vireg_progress_f32, vireg_run_report_f32,
    vireg_summary_f32,
};
use core::ffi::c_void;
use core::mem::size_of;

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
    unsafe { imp::init(fit, fit_size, n_features, config) }
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
    unsafe { imp::config_get(fit, config) }
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
    unsafe { imp::set_learning_rate(fit, lr) }
}

/// Empties the fit's data and restarts it from its configuration: afterwards the fit is, byte
/// for byte, what vireg_init_f32(fit, n_features, &config) gives with its number of features
/// and the configuration vireg_get_config_f32 reads (so no configuration is needed, and a static
/// fit can be reused for a new data set or a new experiment).
///
/// Kept: the number of features and the whole configuration, including a learning rate changed
/// by vireg_set_learning_rate_f32 and an estimator changed by vireg_set_estimator_f32 (the
/// priors, init_scale, Adam's settings, estimator and particles, seed, convergence and
/// averaging settings). Reset: the data summary (0 rows), the guide (the starting guess of
/// vireg_init_f32), Adam's moments and step count, the iterate average, the convergence
/// window, the random stream (back to the start of the seed's stream); the fit is not fitted
/// (the posterior functions return VIREG_ERR_NOT_FITTED until the next fit).
///
/// @param fit An initialised fit.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY (called from the progress callback of a vireg_run_f32 of this fit). On
///   error the fit is unchanged.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_reset_f32(fit: *mut vireg_fit_f32) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::reset(fit) }
}

/// Changes the ELBO estimator and its particle count from the next step on, keeping everything
/// else: the data, the guide, Adam's moments, the random stream and the iterate average (Pyro's
/// "1 particle, then 100" on the same fit: a cheap noisy start, then a smoother finish). The
/// configuration vireg_get_config_f32 reads, a checkpoint and vireg_reset_f32 carry the new
/// estimator.
///
/// @param fit An initialised fit.
/// @param estimator VIREG_ESTIMATOR_MONTE_CARLO or VIREG_ESTIMATOR_ANALYTIC (as
///   vireg_config_f32.estimator).
/// @param particles Monte Carlo particles per step, 1 to 65536 (each step costs about
///   `particles` one-particle steps); ignored by the analytic estimator.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_CONFIG for an unknown estimator, or Monte Carlo with 0 or more
///   than 65536 particles. On error the fit is unchanged, byte for byte.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_fit_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_set_estimator_f32(
    fit: *mut vireg_fit_f32,
    estimator: u32,
    particles: u32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_estimator(fit, estimator, particles) }
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
    unsafe { imp::features(fit, n_features) }
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
    unsafe { imp::rows(fit, rows) }
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
    unsafe { imp::observe(fit, x, n_features, y) }
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
    unsafe { imp::observe_rows(fit, x, n_rows, n_features, row_stride, y, bad_row_out) }
}

/// Folds one observation with a weight into the fit's data summary: the row counts as `w`
/// rows would (the likelihood of a row is raised to the power w; an integer w is the row
/// repeated w times). See docs/weights.md.
///
/// @param fit An initialised fit.
/// @param x The row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param y The row's response.
/// @param w The row's weight, finite and >= 0; 0 changes nothing (not even the row count).
/// @return As vireg_observe_f32, and VIREG_ERR_NON_FINITE if `w` is NaN/infinite,
///   VIREG_ERR_CONFIG if `w` < 0. On error the fit is unchanged, byte for byte.
///
/// # Safety
/// As vireg_observe_f32.
#[cfg(feature = "weights")]
#[no_mangle]
pub unsafe extern "C" fn vireg_observe_weighted_f32(
    fit: *mut vireg_fit_f32,
    x: *const f32,
    n_features: usize,
    y: f32,
    w: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe_weighted(fit, x, n_features, y, w) }
}

/// Folds many weighted observations in at once, all or nothing: vireg_observe_rows_f32 with
/// row i weighted by `w[i]` (as in vireg_observe_weighted_f32; rows of weight 0 are skipped
/// and not counted).
///
/// @param fit An initialised fit.
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param y The n_rows responses (read only).
/// @param w The n_rows weights (read only), each finite and >= 0.
/// @param bad_row_out Optional (may be NULL): as in vireg_observe_rows_f32; a bad weight
///   refuses the batch at its row as a bad value does.
/// @return As vireg_observe_rows_f32 (VIREG_ERR_NULL also if `w` is NULL), and
///   VIREG_ERR_NON_FINITE / VIREG_ERR_CONFIG for a NaN/infinite or negative weight. On error
///   no row is folded in: the fit is unchanged, byte for byte.
///
/// # Safety
/// As vireg_observe_rows_f32; `w` is NULL or valid for `n_rows` reads.
#[cfg(feature = "weights")]
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn vireg_observe_rows_weighted_f32(
    fit: *mut vireg_fit_f32,
    x: *const f32,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    y: *const f32,
    w: *const f32,
    bad_row_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe_rows_weighted(fit, x, n_rows, n_features, row_stride, y, w, bad_row_out) }
}

/// Changes the forgetting factor gamma of the fit's data summary (the configuration's
/// `forget`), from the next row on: before each new row, every row seen so far weighs gamma
/// times less, so of N rows row i weighs gamma^(N-1-i), a memory of about 1/(1 - gamma) rows.
/// 1 forgets nothing. A device may widen or narrow its memory at run time.
///
/// @param fit An initialised fit.
/// @param forget The new factor, in (0, 1].
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NON_FINITE if NaN/infinite; VIREG_ERR_CONFIG outside (0, 1].
///   On error the fit is unchanged.
///
/// # Safety
/// As vireg_observe_f32 for `fit`.
#[no_mangle]
pub unsafe extern "C" fn vireg_set_forget_f32(
    fit: *mut vireg_fit_f32,
    forget: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_forget(fit, forget) }
}

/// The effective number of rows N_w: the sum of the rows' weights after forgetting, the N of
/// the model. Equal to the row count (vireg_rows_f32) when every row had weight 1 and nothing
/// was forgotten.
///
/// @param fit An initialised fit (read only).
/// @param rows Receives N_w.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `rows` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_effective_rows_f32(
    fit: *const vireg_fit_f32,
    rows: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::effective_rows(fit, rows) }
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
    unsafe { imp::merge(dst, src) }
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
    unsafe { imp::step(fit, n_steps, loss_out) }
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
    unsafe { imp::run(fit, max_steps, report_every, callback, user, report_out) }
}

/// Sets the posterior to the exact mean-field optimum (coordinate ascent: no learning rate, no
/// sampling, microseconds), and resets the optimiser so SVI would continue from there.
///
/// @param fit An initialised fit.
/// @param report_out Optional (may be NULL). Receives the optimum's ELBO and the sweeps.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_NOT_CONVERGED; VIREG_ERR_ILL_CONDITIONED (centre and scale the
///   features, see the status); VIREG_ERR_OVERFLOW. On error the fit is unchanged.
///
/// # Safety
/// `fit` as in vireg_step_f32; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_solve_exact_f32(
    fit: *mut vireg_fit_f32,
    report_out: *mut vireg_exact_report_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::solve_exact(fit, report_out) }
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
    unsafe { imp::condition(fit, condition_out) }
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
    unsafe { imp::elbo(fit, elbo_out) }
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
    unsafe { imp::posterior_vector(fit, imp::Vector::Loc, out, out_len) }
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
    unsafe { imp::posterior_vector(fit, imp::Vector::Scale, out, out_len) }
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
    unsafe { imp::posterior_summary(fit, index, out) }
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
    unsafe { imp::posterior_quantile(fit, index, q, out) }
}

/// The highest-density interval of sigma: the shortest interval holding probability `mass`
/// of sigma's log-normal posterior (sigma = exp(u), u normal; docs/math.md section 7). It sits
/// lower than the equal-tailed interval of vireg_posterior_quantile_f32 (q = (1 - mass)/2 and
/// (1 + mass)/2), as sigma's density is skewed; the CSV fitter reports the same interval
/// (mass 0.94, ArviZ's default) as sigma's hdi_3% and hdi_97%.
///
/// @param fit An initialised fit (read only).
/// @param mass The interval's probability, in (0, 1) (e.g. 0.94).
/// @param lo_out Receives the lower end, in the units of y (> 0).
/// @param hi_out Receives the upper end, in the units of y.
/// @return VIREG_OK; VIREG_ERR_NULL if any pointer is NULL; VIREG_ERR_MISALIGNED;
///   VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_NON_FINITE if `mass` is NaN or
///   infinite; VIREG_ERR_INVALID_ARGUMENT if `mass` is not in (0, 1); VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32 (after the checks of the arguments). On error nothing is written.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `lo_out` and `hi_out` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_sigma_hdi_f32(
    fit: *const vireg_fit_f32,
    mass: f32,
    lo_out: *mut f32,
    hi_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::sigma_hdi(fit, mass, lo_out, hi_out) }
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
    unsafe { imp::draw(fit, out, n_draws, out_len) }
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
    unsafe { imp::predict(fit, x, n_features, mean_out, sd_out) }
}

/// Posterior predictive means and sds of many rows in one call (vireg_predict_f32 row by row,
/// the posterior computed once), all or nothing. Row i is
/// `x[i * row_stride .. i * row_stride + n_features]`, as in vireg_observe_rows_f32; its
/// prediction goes to mean_out[i] and sd_out[i].
///
/// @param fit An initialised fit (read only).
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param mean_out Receives the n_rows predictive means, in the units of y.
/// @param sd_out Receives the n_rows predictive sds, in the units of y.
/// @param bad_row_out Optional (may be NULL). Receives the number of leading rows that were
///   predicted: n_rows on success, the index of the first row with a NaN/infinite value on
///   VIREG_ERR_NON_FINITE or whose prediction overflows on VIREG_ERR_OVERFLOW, 0 on the other
///   errors.
/// @return VIREG_OK; VIREG_ERR_NULL if `fit`, `x`, `mean_out` or `sd_out` is NULL;
///   VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED; VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if
///   `n_features` differs from the fit's, `row_stride` < `n_features`, or the sizes overflow;
///   VIREG_ERR_INVALID_ARGUMENT if `mean_out`, `sd_out` and the rows overlap;
///   VIREG_ERR_NOT_FITTED as vireg_posterior_loc_f32; VIREG_ERR_NON_FINITE; VIREG_ERR_OVERFLOW.
///   On error nothing is written to `mean_out` and `sd_out`.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised; `x`
/// is NULL or valid for the reads above; `mean_out` and `sd_out` are NULL or valid for `n_rows`
/// writes each; `bad_row_out` is NULL or valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn vireg_predict_rows_f32(
    fit: *const vireg_fit_f32,
    x: *const f32,
    n_rows: usize,
    n_features: usize,
    row_stride: usize,
    mean_out: *mut f32,
    sd_out: *mut f32,
    bad_row_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe {
        imp::predict_rows(
            fit,
            x,
            n_rows,
            n_features,
            row_stride,
            mean_out,
            sd_out,
            bad_row_out,
        )
    }
}

/// The latent covariance of the posterior, (p + 2) x (p + 2), row-major, rows and columns in
/// the latent order alpha, beta_1 .. beta_p, u = ln(sigma): entry (i, j) is at
/// out[i * (p + 2) + j]. The mean-field guide's latents are independent: the matrix is
/// diagonal, its diagonal the squares of vireg_posterior_scale_f32's values (the layout of
/// vireg_full_posterior_cov_f32, so both guides give the same matrix shape).
///
/// @param fit An initialised fit (read only).
/// @param out Receives (p + 2)^2 values.
/// @param out_len Capacity of `out` in elements, >= (p + 2)^2
///   ((VIREG_MAX_FEATURES + 2)^2 always is).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` < (p + 2)^2; VIREG_ERR_NOT_FITTED as
///   vireg_posterior_loc_f32. On error nothing is written.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_fit_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_posterior_cov_f32(
    fit: *const vireg_fit_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_matrix(fit, imp::Matrix::Covariance, out, out_len) }
}

/// The size in bytes of a checkpoint of a vireg_fit_f32 (for any number of features up to
/// VIREG_MAX_FEATURES): the buffer size vireg_save_f32() needs.
///
/// @return The checkpoint size in bytes.
#[no_mangle]
pub extern "C" fn vireg_checkpoint_size_f32() -> usize {
    imp::checkpoint_size::<vireg_fit_f32>()
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
    unsafe { imp::save(fit, buf, buf_len, written_out) }
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
///   for the other precision, another capacity or the other guide family (a full-rank fit's,
///   from vireg_full_save_f32); VIREG_ERR_TRUNCATED if `buf_len` is shorter than the length its
///   header records (or than a header); VIREG_ERR_CHECKSUM if the bytes were corrupted. On
///   error `fit` is untouched; on success every byte of it is defined.
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
    unsafe { imp::load(fit, fit_size, buf, buf_len) }
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
