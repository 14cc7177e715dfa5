// The exported functions of the full-rank fit (vireg_full_f32), each a thin wrapper over its
// body (`body.rs`, shared with the mean-field fit where the two offer the same function).
//
// This file is also the one text of the other precision's full-rank functions: build.rs writes
// them (`OUT_DIR/ffi_full_f64.rs`, the module `full_f64`) from everything below this comment
// with f32 -> f64, F32 -> F64 and the C type float -> double, as it does for `family.rs`. Nothing
// below may name the other precision (build.rs refuses the file then). The mean-field functions
// (`family.rs`) do not call any of these: a program that uses only them links no full-rank code.

use super::body as imp;
use super::state::vireg_full_f32;
use super::status::vireg_status;
use super::types::{
    vireg_config_f32, vireg_full_report_f32, vireg_progress_f32, vireg_run_report_f32,
    vireg_summary_f32,
};
use core::ffi::c_void;
use core::mem::size_of;

/// The size of ::vireg_full_f32 in bytes, as the library was built (VIREG_FULL_F32_SIZE), for
/// bindings that cannot read the header.
///
/// @return sizeof(vireg_full_f32).
#[no_mangle]
pub extern "C" fn vireg_full_size_f32() -> usize {
    size_of::<vireg_full_f32>()
}

/// Initialises a full-rank fit (Pyro's AutoMultivariateNormal guide: the latent vector
/// z = (alpha, beta_1 .. beta_p, u = ln(sigma)) is N(loc, S) with the whole covariance S) for
/// `n_features` features with no data, discarding whatever `fit` held. The guide starts as
/// Pyro's: loc at the prior median, scale `init_scale`, no correlation. Call it through the
/// macro vireg_full_init_f32(fit, n_features, config), which passes `sizeof *(fit)`.
///
/// @param fit Caller-owned state to initialise (previous contents neither read nor freed).
/// @param fit_size sizeof(vireg_full_f32) as the caller's header defines it.
/// @param n_features Number of features of every row, 1..=VIREG_MAX_FEATURES.
/// @param config The configuration (copied; the mean-field fit's type), or NULL for the
///   defaults.
/// @return As vireg_init_sized_f32, with VIREG_ERR_STATE_SIZE if `fit_size` is not the
///   library's sizeof(vireg_full_f32). On error `fit` is untouched; on success every byte of it
///   is defined.
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_full_run_f32 in
/// progress); `config` is NULL or valid for reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_init_sized_f32(
    fit: *mut vireg_full_f32,
    fit_size: usize,
    n_features: usize,
    config: *const vireg_config_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::init(fit, fit_size, n_features, config) }
}

/// Reads a full-rank fit's configuration; see vireg_get_config_f32.
///
/// @param fit An initialised full-rank fit (read only).
/// @param config Receives the configuration.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `config` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_get_config_f32(
    fit: *const vireg_full_f32,
    config: *mut vireg_config_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::config_get(fit, config) }
}

/// Changes Adam's learning rate of a full-rank fit; see vireg_set_learning_rate_f32.
///
/// @param fit An initialised full-rank fit.
/// @param lr The new learning rate, finite and > 0.
/// @return As vireg_set_learning_rate_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_set_learning_rate_f32(
    fit: *mut vireg_full_f32,
    lr: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_learning_rate(fit, lr) }
}

/// The number of features of a full-rank fit.
///
/// @param fit An initialised full-rank fit (read only).
/// @param n_features Receives the number of features.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `n_features` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_features_f32(
    fit: *const vireg_full_f32,
    n_features: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::features(fit, n_features) }
}

/// The number of rows folded into a full-rank fit.
///
/// @param fit An initialised full-rank fit (read only).
/// @param rows Receives the number of rows.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `rows` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_rows_f32(
    fit: *const vireg_full_f32,
    rows: *mut u64,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::rows(fit, rows) }
}

/// Folds one observation into a full-rank fit's data summary; see vireg_observe_f32 (the same
/// summary, checks and statuses).
///
/// @param fit An initialised full-rank fit.
/// @param x The row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param y The row's response.
/// @return As vireg_observe_f32. On error the fit is unchanged, byte for byte.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call; `x` is NULL or valid for `n_features` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_observe_f32(
    fit: *mut vireg_full_f32,
    x: *const f32,
    n_features: usize,
    y: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe(fit, x, n_features, y) }
}

/// Folds many observations into a full-rank fit at once, all or nothing; see
/// vireg_observe_rows_f32 (the same layout, checks, statuses and `bad_row_out`).
///
/// @param fit An initialised full-rank fit.
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param y The n_rows responses (read only).
/// @param bad_row_out Optional (may be NULL): as in vireg_observe_rows_f32.
/// @return As vireg_observe_rows_f32. On error no row is folded in.
///
/// # Safety
/// `fit` as in vireg_full_observe_f32; `x` is NULL or valid for the reads above; `y` is NULL or
/// valid for `n_rows` reads; `bad_row_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_observe_rows_f32(
    fit: *mut vireg_full_f32,
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

/// Folds one weighted observation into a full-rank fit; see vireg_observe_weighted_f32.
///
/// @param fit An initialised full-rank fit.
/// @param x The row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param y The row's response.
/// @param w The row's weight, finite and >= 0.
/// @return As vireg_observe_weighted_f32. On error the fit is unchanged, byte for byte.
///
/// # Safety
/// As vireg_full_observe_f32.
#[cfg(feature = "weights")]
#[no_mangle]
pub unsafe extern "C" fn vireg_full_observe_weighted_f32(
    fit: *mut vireg_full_f32,
    x: *const f32,
    n_features: usize,
    y: f32,
    w: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::observe_weighted(fit, x, n_features, y, w) }
}

/// Folds many weighted observations into a full-rank fit at once, all or nothing; see
/// vireg_observe_rows_weighted_f32.
///
/// @param fit An initialised full-rank fit.
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param y The n_rows responses (read only).
/// @param w The n_rows weights (read only).
/// @param bad_row_out Optional (may be NULL): as in vireg_observe_rows_weighted_f32.
/// @return As vireg_observe_rows_weighted_f32. On error no row is folded in.
///
/// # Safety
/// As vireg_full_observe_rows_f32; `w` is NULL or valid for `n_rows` reads.
#[cfg(feature = "weights")]
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn vireg_full_observe_rows_weighted_f32(
    fit: *mut vireg_full_f32,
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

/// Changes a full-rank fit's forgetting factor; see vireg_set_forget_f32.
///
/// @param fit An initialised full-rank fit.
/// @param forget The new factor, in (0, 1].
/// @return As vireg_set_forget_f32. On error the fit is unchanged.
///
/// # Safety
/// As vireg_full_observe_f32 for `fit`.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_set_forget_f32(
    fit: *mut vireg_full_f32,
    forget: f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_forget(fit, forget) }
}

/// A full-rank fit's effective number of rows N_w; see vireg_effective_rows_f32.
///
/// @param fit An initialised full-rank fit (read only).
/// @param rows Receives N_w.
/// @return As vireg_effective_rows_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `rows` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_effective_rows_f32(
    fit: *const vireg_full_f32,
    rows: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::effective_rows(fit, rows) }
}

/// Adds the data of the full-rank fit `src` to `dst` exactly; see vireg_merge_f32.
///
/// @param dst An initialised full-rank fit, receiving the data.
/// @param src An initialised full-rank fit with the same number of features (read only; may
///   be `dst`).
/// @return As vireg_merge_f32. On error `dst` is unchanged.
///
/// # Safety
/// Each pointer is NULL or valid for reads (and for `dst`, writes) of a vireg_full_f32 that is
/// zero-filled or initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_merge_f32(
    dst: *mut vireg_full_f32,
    src: *const vireg_full_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::merge(dst, src) }
}

/// Takes `n_steps` SVI steps of the full-rank guide: Adam on the gradient of the ELBO with
/// respect to loc, the scales and the strictly-lower entries of the unit lower-triangular
/// factor, estimated as configured; see vireg_step_f32 (the same statuses and rollback).
///
/// @param fit An initialised full-rank fit.
/// @param n_steps Number of steps, >= 1.
/// @param loss_out Optional (may be NULL). Receives the loss (-ELBO, nats) of the last step.
/// @return As vireg_step_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call; `loss_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_step_f32(
    fit: *mut vireg_full_f32,
    n_steps: u64,
    loss_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::step(fit, n_steps, loss_out) }
}

/// Runs up to `max_steps` SVI steps of the full-rank guide with progress reports, convergence
/// detection and iterate averaging; see vireg_run_f32 (the same schedule, callback and
/// statuses).
///
/// @param fit An initialised full-rank fit.
/// @param max_steps Most steps to take, >= 1.
/// @param report_every Call `callback` after step 0 and every `report_every` steps; 0 never.
/// @param callback Progress callback, or NULL. It may stop the run by returning 0; calls it
///   makes on this fit return VIREG_ERR_BUSY.
/// @param user Passed to `callback` untouched (may be NULL).
/// @param report_out Optional (may be NULL). Receives what the run did.
/// @return As vireg_run_f32.
///
/// # Safety
/// `fit` as in vireg_full_step_f32; `callback` is NULL or a function of this signature that
/// returns normally; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_run_f32(
    fit: *mut vireg_full_f32,
    max_steps: u64,
    report_every: u64,
    callback: vireg_progress_f32,
    user: *mut c_void,
    report_out: *mut vireg_run_report_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::run(fit, max_steps, report_every, callback, user, report_out) }
}

/// Sets the posterior to the exact full-rank optimum (no learning rate, no sampling: from the
/// exact mean-field optimum, the optimum's fixed point to rounding level; docs/full-rank.md),
/// and resets the optimiser so SVI would continue from there.
///
/// @param fit An initialised full-rank fit.
/// @param report_out Optional (may be NULL). Receives the optimum's ELBO, the mean-field
///   optimum's, and the iterations.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_ILL_CONDITIONED and VIREG_ERR_NOT_CONVERGED as
///   vireg_solve_exact_f32 (of the mean-field solve it starts from, or if the iterations do not
///   settle); VIREG_ERR_OVERFLOW if the covariance leaves the precision's range. On error the
///   fit is unchanged.
///
/// # Safety
/// `fit` as in vireg_full_step_f32; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_solve_exact_f32(
    fit: *mut vireg_full_f32,
    report_out: *mut vireg_full_report_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::solve_exact(fit, report_out) }
}

/// The condition estimate S = n * eps * kappa of a full-rank fit's data: a property of the
/// data summary and the prior, the same as vireg_condition_f32 gives for a mean-field fit of
/// the same rows. The fit is not changed.
///
/// @param fit An initialised full-rank fit (read only).
/// @param condition_out Receives S.
/// @return As vireg_condition_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `condition_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_condition_f32(
    fit: *const vireg_full_f32,
    condition_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::condition(fit, condition_out) }
}

/// The exact ELBO (nats) of a full-rank fit's reported posterior (the last run's averaged
/// iterate, or the current one).
///
/// @param fit An initialised full-rank fit (read only).
/// @param elbo_out Receives the ELBO.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `elbo_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_elbo_f32(
    fit: *const vireg_full_f32,
    elbo_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::elbo(fit, elbo_out) }
}

/// The posterior's locations (Pyro's loc) in the latent order: alpha, beta_1 .. beta_p,
/// u = ln(sigma).
///
/// @param fit An initialised full-rank fit (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` < p + 2; VIREG_ERR_NOT_FITTED if nothing
///   has been fitted yet (no successful solve_exact, step or run).
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_loc_f32(
    fit: *const vireg_full_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector(fit, imp::Vector::Loc, out, out_len) }
}

/// The posterior's marginal standard deviations sqrt(S_ii) in the latent order: alpha,
/// beta_1 .. beta_p, u = ln(sigma) (the square roots of vireg_full_posterior_cov_f32's
/// diagonal).
///
/// @param fit An initialised full-rank fit (read only).
/// @param out Receives p + 2 values.
/// @param out_len Capacity of `out` in elements, >= p + 2.
/// @return As vireg_full_posterior_loc_f32.
///
/// # Safety
/// As vireg_full_posterior_loc_f32.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_sd_f32(
    fit: *const vireg_full_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_vector(fit, imp::Vector::Scale, out, out_len) }
}

/// The latent covariance S of the full-rank posterior, (p + 2) x (p + 2), row-major, rows and
/// columns in the latent order alpha, beta_1 .. beta_p, u = ln(sigma): entry (i, j), the
/// covariance of latents i and j, is at out[i * (p + 2) + j] (both triangles written; S is
/// symmetric). Index 0 is alpha, 1..=p the beta_j, p + 1 the log noise sd u (sigma = exp(u)).
/// vireg_posterior_cov_f32 gives the mean-field fit's (diagonal) matrix in the same layout.
///
/// @param fit An initialised full-rank fit (read only).
/// @param out Receives (p + 2)^2 values.
/// @param out_len Capacity of `out` in elements, >= (p + 2)^2
///   ((VIREG_MAX_FEATURES + 2)^2 always is).
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `out_len` < (p + 2)^2; VIREG_ERR_NOT_FITTED as
///   vireg_full_posterior_loc_f32. On error nothing is written.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_cov_f32(
    fit: *const vireg_full_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_matrix(fit, imp::Matrix::Covariance, out, out_len) }
}

/// The lower Cholesky factor L of the latent covariance (S = L * L^T; Pyro's scale_tril of the
/// guide's distribution), in the layout of vireg_full_posterior_cov_f32: entry (i, j) at
/// out[i * (p + 2) + j], zeros above the diagonal, a positive diagonal. A draw is
/// loc + L * eps with eps standard normal.
///
/// @param fit An initialised full-rank fit (read only).
/// @param out Receives (p + 2)^2 values.
/// @param out_len Capacity of `out` in elements, >= (p + 2)^2.
/// @return As vireg_full_posterior_cov_f32.
///
/// # Safety
/// As vireg_full_posterior_cov_f32.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_chol_f32(
    fit: *const vireg_full_f32,
    out: *mut f32,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_matrix(fit, imp::Matrix::Cholesky, out, out_len) }
}

/// Marginal posterior mean, sd and median of one constrained parameter: alpha and the beta_j
/// are normal N(loc_i, S_ii); sigma = exp(u) is log-normal.
///
/// @param fit An initialised full-rank fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param out Receives the summary, in the parameter's units.
/// @return VIREG_OK; VIREG_ERR_NULL; VIREG_ERR_MISALIGNED; VIREG_ERR_UNINITIALISED;
///   VIREG_ERR_BUSY; VIREG_ERR_DIMENSION if `index` > p + 1; VIREG_ERR_NOT_FITTED as
///   vireg_full_posterior_loc_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_summary_f32(
    fit: *const vireg_full_f32,
    index: usize,
    out: *mut vireg_summary_f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_summary(fit, index, out) }
}

/// Marginal posterior quantile of one constrained parameter (e.g. q = 0.03 and 0.97 for a 94%
/// interval).
///
/// @param fit An initialised full-rank fit (read only).
/// @param index 0 for alpha, 1..=p for beta_1..beta_p, p + 1 for sigma.
/// @param q The level, in (0, 1).
/// @param out Receives the quantile, in the parameter's units.
/// @return As vireg_posterior_quantile_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_posterior_quantile_f32(
    fit: *const vireg_full_f32,
    index: usize,
    q: f32,
    out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::posterior_quantile(fit, index, q, out) }
}

/// Draws from the full-rank posterior (z = loc + L * eps, eps standard normal in the latent
/// order, from the fit's seeded random stream, which it advances).
///
/// @param fit An initialised full-rank fit.
/// @param out Receives `n_draws` rows of p + 2 values, row-major: alpha, beta_1 .. beta_p,
///   sigma (constrained: sigma > 0).
/// @param n_draws Number of draws (0 is a valid no-op).
/// @param out_len Capacity of `out` in elements, >= n_draws * (p + 2).
/// @return As vireg_draw_f32. On error nothing is written and the stream is not advanced.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call; `out` is NULL or valid for `out_len` writes.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_draw_f32(
    fit: *mut vireg_full_f32,
    out: *mut f32,
    n_draws: usize,
    out_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::draw(fit, out, n_draws, out_len) }
}

/// Posterior predictive mean and sd of the response at a new row, with the whole covariance:
/// with a = (1, x), mean a.loc and variance a^T S a (over alpha and the beta_j) + E[sigma^2].
///
/// @param fit An initialised full-rank fit (read only).
/// @param x The new row's `n_features` feature values (read only).
/// @param n_features Length of `x`; must equal the fit's number of features.
/// @param mean_out Receives the predictive mean, in the units of y.
/// @param sd_out Receives the predictive sd, in the units of y.
/// @return As vireg_predict_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised; `x`
/// is NULL or valid for `n_features` reads; `mean_out` and `sd_out` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_predict_f32(
    fit: *const vireg_full_f32,
    x: *const f32,
    n_features: usize,
    mean_out: *mut f32,
    sd_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::predict(fit, x, n_features, mean_out, sd_out) }
}

/// The size in bytes of a checkpoint of a vireg_full_f32 (for any number of features up to
/// VIREG_MAX_FEATURES): the buffer size vireg_full_save_f32() needs.
///
/// @return The checkpoint size in bytes.
#[no_mangle]
pub extern "C" fn vireg_full_checkpoint_size_f32() -> usize {
    imp::checkpoint_size::<vireg_full_f32>()
}

/// Saves the whole full-rank fit (configuration, data summary, guide with its unit
/// lower-triangular factor, optimiser, random stream) to a checkpoint; see vireg_save_f32 (the
/// same format, marked as the full-rank family's).
///
/// @param fit An initialised full-rank fit (read only).
/// @param buf Receives the checkpoint.
/// @param buf_len Capacity of `buf` in bytes, >= vireg_full_checkpoint_size_f32().
/// @param written_out Optional (may be NULL). Receives the number of bytes written.
/// @return As vireg_save_f32.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `buf` is NULL or valid for `buf_len` writes; `written_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_save_f32(
    fit: *const vireg_full_f32,
    buf: *mut u8,
    buf_len: usize,
    written_out: *mut usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::save(fit, buf, buf_len, written_out) }
}

/// Restores a full-rank fit from a checkpoint written by vireg_full_save_f32() (possibly by
/// another process or machine of the same precision and capacity), replacing whatever `fit`
/// held; everything continues exactly as if the saved fit had never stopped. A mean-field
/// checkpoint (vireg_save_f32) is refused with VIREG_ERR_INCOMPATIBLE, as vireg_load_f32
/// refuses this one. Call it through the macro vireg_full_load_f32(fit, buf, buf_len), which
/// passes `sizeof *(fit)`.
///
/// @param fit Caller-owned state to restore into (zero-filled, initialised, or uninitialised
///   memory).
/// @param fit_size sizeof(vireg_full_f32) as the caller's header defines it.
/// @param buf The checkpoint (read only).
/// @param buf_len Length of `buf` in bytes.
/// @return As vireg_load_sized_f32, with VIREG_ERR_STATE_SIZE if `fit_size` is not the
///   library's sizeof(vireg_full_f32). On error `fit` is untouched; on success every byte of it
///   is defined.
///
/// # Safety
/// `fit` is NULL or valid for writes of `fit_size` bytes and, if `fit_size` is the library's
/// size, not in use by another call (in particular not the fit of a vireg_full_run_f32 in
/// progress); `buf` is NULL or valid for `buf_len` reads.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_load_sized_f32(
    fit: *mut vireg_full_f32,
    fit_size: usize,
    buf: *const u8,
    buf_len: usize,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::load(fit, fit_size, buf, buf_len) }
}

/// Empties a full-rank fit's data and restarts it from its configuration; see vireg_reset_f32
/// (the same what is kept and what is reset). Afterwards the fit is, byte for byte, what
/// vireg_full_init_f32 gives with its number of features and configuration; the guide is the
/// starting guess (no correlation).
///
/// @param fit An initialised full-rank fit.
/// @return As vireg_reset_f32. On error the fit is unchanged.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_reset_f32(fit: *mut vireg_full_f32) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::reset(fit) }
}

/// Changes a full-rank fit's ELBO estimator and particle count from the next step on, keeping
/// the data, the guide, Adam's moments, the random stream and the iterate average; see
/// vireg_set_estimator_f32.
///
/// @param fit An initialised full-rank fit.
/// @param estimator VIREG_ESTIMATOR_MONTE_CARLO or VIREG_ESTIMATOR_ANALYTIC.
/// @param particles Monte Carlo particles per step, 1 to 65536; ignored by the analytic
///   estimator.
/// @return As vireg_set_estimator_f32. On error the fit is unchanged, byte for byte.
///
/// # Safety
/// `fit` is NULL or valid for reads and writes of a vireg_full_f32 that is zero-filled or
/// initialised, not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_set_estimator_f32(
    fit: *mut vireg_full_f32,
    estimator: u32,
    particles: u32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::set_estimator(fit, estimator, particles) }
}

/// The highest-density interval of sigma from a full-rank fit: the shortest interval holding
/// probability `mass` of sigma's log-normal marginal (u = ln(sigma) ~ N(loc_u, S_uu)); see
/// vireg_sigma_hdi_f32.
///
/// @param fit An initialised full-rank fit (read only).
/// @param mass The interval's probability, in (0, 1) (e.g. 0.94).
/// @param lo_out Receives the lower end, in the units of y (> 0).
/// @param hi_out Receives the upper end, in the units of y.
/// @return As vireg_sigma_hdi_f32. On error nothing is written.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised;
/// `lo_out` and `hi_out` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vireg_full_sigma_hdi_f32(
    fit: *const vireg_full_f32,
    mass: f32,
    lo_out: *mut f32,
    hi_out: *mut f32,
) -> vireg_status {
    // SAFETY: forwarded contract.
    unsafe { imp::sigma_hdi(fit, mass, lo_out, hi_out) }
}

/// Posterior predictive means and sds of many rows in one call, with the whole covariance
/// (vireg_full_predict_f32 row by row, the posterior computed once), all or nothing; see
/// vireg_predict_rows_f32 (the same layout, checks, statuses and `bad_row_out`).
///
/// @param fit An initialised full-rank fit (read only).
/// @param x The rows (read only): (n_rows - 1) * row_stride + n_features values.
/// @param n_rows Number of rows (0 is a valid no-op).
/// @param n_features Features per row; must equal the fit's number of features.
/// @param row_stride Distance in elements between the starts of consecutive rows, >= n_features.
/// @param mean_out Receives the n_rows predictive means, in the units of y.
/// @param sd_out Receives the n_rows predictive sds, in the units of y.
/// @param bad_row_out Optional (may be NULL): as in vireg_predict_rows_f32.
/// @return As vireg_predict_rows_f32. On error nothing is written to `mean_out` and `sd_out`.
///
/// # Safety
/// `fit` is NULL or valid for reads of a vireg_full_f32 that is zero-filled or initialised; `x`
/// is NULL or valid for the reads above; `mean_out` and `sd_out` are NULL or valid for `n_rows`
/// writes each; `bad_row_out` is NULL or valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn vireg_full_predict_rows_f32(
    fit: *const vireg_full_f32,
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
