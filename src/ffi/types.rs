//! The plain C data types (configuration, reports, posterior summaries, progress callbacks)
//! and their conversions to and from the kernel's, tied to each precision by [`Prec`].

use super::state::{
    vireg_fit_f32, vireg_fit_f64, vireg_full_f32, vireg_full_f64, vireg_synth_f32, vireg_synth_f64,
    Opaque, MAX_FEATURES,
};
use super::status::{status, vireg_status, VIREG_ERR_CONFIG};
use crate::{
    AdamConfig, Config, Estimator, ExactReport, Fit, FullFit, FullReport, Normal, Prior, RunReport,
    Summary, Synth,
};
use core::ffi::{c_int, c_void};

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
    /// Forgetting factor gamma of the data summary (default 1: nothing is forgotten); in
    /// (0, 1]. Before each new row, every row seen so far weighs gamma times less: a memory of
    /// about 1/(1 - gamma) rows. Changeable later with vireg_set_forget_f32().
    pub forget: f32,
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
    /// Forgetting factor gamma of the data summary (default 1: nothing is forgotten); in
    /// (0, 1]. Before each new row, every row seen so far weighs gamma times less: a memory of
    /// about 1/(1 - gamma) rows. Changeable later with vireg_set_forget_f64().
    pub forget: f64,
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

/// What vireg_full_solve_exact_f32() did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_full_report_f32 {
    /// The ELBO (nats) at the full-rank optimum.
    pub elbo: f32,
    /// The ELBO (nats) at the mean-field optimum the solve started from (never above `elbo`
    /// by more than rounding: the full-rank family contains the mean-field one).
    pub mean_field_elbo: f32,
    /// Iterations of the fixed-point map after the mean-field solve.
    pub iterations: u32,
}

/// What vireg_full_solve_exact_f64() did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct vireg_full_report_f64 {
    /// The ELBO (nats) at the full-rank optimum.
    pub elbo: f64,
    /// The ELBO (nats) at the mean-field optimum the solve started from (never above `elbo`
    /// by more than rounding: the full-rank family contains the mean-field one).
    pub mean_field_elbo: f64,
    /// Iterations of the fixed-point map after the mean-field solve.
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

/// The C types of a precision (`f32`, `f64`): what the generic bodies take and return.
pub(super) trait Prec: Normal {
    /// The fit state type.
    type CFit: Opaque<Inner = Fit<Self, MAX_FEATURES>>;
    /// The full-rank fit state type.
    type CFull: Opaque<Inner = FullFit<Self, MAX_FEATURES>>;
    /// The generator state type.
    type CSynth: Opaque<Inner = Synth<Self, MAX_FEATURES>>;
    /// The configuration.
    type CConfig: Copy;
    /// What a run did.
    type CRunReport: From<RunReport<Self>>;
    /// What the exact solve did.
    type CExactReport: From<ExactReport<Self>>;
    /// What the exact full-rank solve did.
    type CFullReport: From<FullReport<Self>>;
    /// A parameter's posterior summary.
    type CSummary: From<Summary<Self>>;
    /// Checks a C configuration and converts it.
    fn config_in(c: &Self::CConfig) -> Result<Config<Self>, vireg_status>;
    /// Converts a configuration to C.
    fn config_out(c: &Config<Self>) -> Self::CConfig;
}

/// A progress callback of precision `T`.
pub(super) type Progress<T> = Option<unsafe extern "C" fn(*mut c_void, u64, T) -> c_int>;

macro_rules! prec {
    (
        $t:ty,
        $fit:ty,
        $full:ty,
        $synth:ty,
        $cfg:ident,
        $run:ident,
        $exact:ident,
        $full_report:ident,
        $summary:ident
    ) => {
        impl Prec for $t {
            type CFit = $fit;
            type CFull = $full;
            type CSynth = $synth;
            type CConfig = $cfg;
            type CRunReport = $run;
            type CExactReport = $exact;
            type CFullReport = $full_report;
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
                    forget: c.forget,
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
                    forget: c.forget,
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

        impl From<FullReport<$t>> for $full_report {
            fn from(r: FullReport<$t>) -> Self {
                $full_report {
                    elbo: r.elbo,
                    mean_field_elbo: r.mean_field_elbo,
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
    vireg_full_f32,
    vireg_synth_f32,
    vireg_config_f32,
    vireg_run_report_f32,
    vireg_exact_report_f32,
    vireg_full_report_f32,
    vireg_summary_f32
);
prec!(
    f64,
    vireg_fit_f64,
    vireg_full_f64,
    vireg_synth_f64,
    vireg_config_f64,
    vireg_run_report_f64,
    vireg_exact_report_f64,
    vireg_full_report_f64,
    vireg_summary_f64
);
