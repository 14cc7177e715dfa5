//! Helpers of the robustness tests (divergence, checkpoints, C ABI fuzzing): one trait over the
//! `_f32` / `_f64` families of the C ABI, caller-owned state buffers, and the checkpoint layout
//! (offsets computed from the format documented in src/checkpoint.rs).
#![allow(dead_code)]

use core::ffi::c_void;
use vireg::ffi::*;
use vireg::Normal;

/// A precision and its C ABI family. Every function has the contract of the exported one it
/// forwards to.
#[allow(clippy::missing_safety_doc, clippy::too_many_arguments)]
pub trait Prec: Normal + core::fmt::Debug + PartialEq + Default + 'static {
    type Fit;
    type Synth;
    type Cfg: Copy + core::fmt::Debug;
    type RunReport: Copy;
    type ExactReport: Copy;
    type Summary: Copy;
    type Progress: Copy;
    const NAME: &'static str;
    fn bits(self) -> u64;
    fn fit_size() -> usize;
    fn synth_size() -> usize;
    fn checkpoint_size() -> usize;
    /// The default configuration, through the C ABI.
    fn cfg_default() -> Self::Cfg;
    fn cfg_set_lr(c: &mut Self::Cfg, lr: Self);
    fn cfg_set_analytic(c: &mut Self::Cfg);
    fn no_progress() -> Self::Progress;
    /// The progress callback [`progress_cb`] of this precision.
    fn progress() -> Self::Progress;
    /// Sets field `i` (0..17, in declaration order) of a C configuration: reals from `r`,
    /// integers from `u`.
    fn cfg_set(c: &mut Self::Cfg, i: usize, r: f64, u: u64);
    /// The kernel configuration a C configuration stands for (a mirror of the C ABI's
    /// conversion: an unknown estimator is VIREG_ERR_CONFIG), or the status init must return.
    fn cfg_to_rust(c: &Self::Cfg) -> Result<vireg::Config<Self>, i32>;
    fn report_bits(r: &Self::RunReport) -> [u64; 6];
    /// Every field of a C configuration, as bits (the struct has padding: never compare bytes).
    fn cfg_bits(c: &Self::Cfg) -> [u64; 18];
    fn exact_bits(r: &Self::ExactReport) -> [u64; 2];
    fn summary_bits(s: &Self::Summary) -> [u64; 3];
    unsafe fn config_default(c: *mut Self::Cfg) -> i32;
    /// Init with the library's state size (what the header's macro passes).
    unsafe fn init(f: *mut Self::Fit, p: usize, c: *const Self::Cfg) -> i32;
    /// Init with the state size `size` (VIREG_ERR_STATE_SIZE unless it is the library's).
    unsafe fn init_sized(f: *mut Self::Fit, size: usize, p: usize, c: *const Self::Cfg) -> i32;
    unsafe fn get_config(f: *const Self::Fit, c: *mut Self::Cfg) -> i32;
    unsafe fn set_lr(f: *mut Self::Fit, lr: Self) -> i32;
    unsafe fn features(f: *const Self::Fit, out: *mut usize) -> i32;
    unsafe fn rows(f: *const Self::Fit, out: *mut u64) -> i32;
    unsafe fn observe(f: *mut Self::Fit, x: *const Self, n: usize, y: Self) -> i32;
    unsafe fn observe_rows(
        f: *mut Self::Fit,
        x: *const Self,
        n_rows: usize,
        n_features: usize,
        stride: usize,
        y: *const Self,
        bad: *mut usize,
    ) -> i32;
    unsafe fn observe_weighted(
        f: *mut Self::Fit,
        x: *const Self,
        n: usize,
        y: Self,
        w: Self,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    unsafe fn observe_rows_weighted(
        f: *mut Self::Fit,
        x: *const Self,
        n_rows: usize,
        n_features: usize,
        stride: usize,
        y: *const Self,
        w: *const Self,
        bad: *mut usize,
    ) -> i32;
    unsafe fn set_forget(f: *mut Self::Fit, forget: Self) -> i32;
    unsafe fn effective_rows(f: *const Self::Fit, out: *mut Self) -> i32;
    unsafe fn merge(d: *mut Self::Fit, s: *const Self::Fit) -> i32;
    unsafe fn step(f: *mut Self::Fit, n: u64, loss: *mut Self) -> i32;
    unsafe fn run(
        f: *mut Self::Fit,
        max: u64,
        every: u64,
        cb: Self::Progress,
        user: *mut c_void,
        rep: *mut Self::RunReport,
    ) -> i32;
    unsafe fn solve_exact(f: *mut Self::Fit, rep: *mut Self::ExactReport) -> i32;
    unsafe fn elbo(f: *const Self::Fit, out: *mut Self) -> i32;
    unsafe fn post_loc(f: *const Self::Fit, out: *mut Self, len: usize) -> i32;
    unsafe fn post_scale(f: *const Self::Fit, out: *mut Self, len: usize) -> i32;
    unsafe fn summary(f: *const Self::Fit, i: usize, out: *mut Self::Summary) -> i32;
    unsafe fn quantile(f: *const Self::Fit, i: usize, q: Self, out: *mut Self) -> i32;
    unsafe fn draw(f: *mut Self::Fit, out: *mut Self, n: usize, len: usize) -> i32;
    unsafe fn predict(
        f: *const Self::Fit,
        x: *const Self,
        n: usize,
        m: *mut Self,
        s: *mut Self,
    ) -> i32;
    unsafe fn condition(f: *const Self::Fit, out: *mut Self) -> i32;
    unsafe fn save(f: *const Self::Fit, buf: *mut u8, len: usize, w: *mut usize) -> i32;
    unsafe fn load(f: *mut Self::Fit, buf: *const u8, len: usize) -> i32;
    unsafe fn load_sized(f: *mut Self::Fit, size: usize, buf: *const u8, len: usize) -> i32;
    unsafe fn synth_init(s: *mut Self::Synth, p: usize, seed: u64) -> i32;
    unsafe fn synth_init_sized(s: *mut Self::Synth, size: usize, p: usize, seed: u64) -> i32;
    unsafe fn synth_next(s: *mut Self::Synth, x: *mut Self, n: usize, y: *mut Self) -> i32;
    unsafe fn synth_truth(s: *const Self::Synth, out: *mut Self, len: usize) -> i32;
    unsafe fn reset(f: *mut Self::Fit) -> i32;
    unsafe fn set_estimator(f: *mut Self::Fit, estimator: u32, particles: u32) -> i32;
    unsafe fn sigma_hdi(f: *const Self::Fit, mass: Self, lo: *mut Self, hi: *mut Self) -> i32;
    #[allow(clippy::too_many_arguments)]
    unsafe fn predict_rows(
        f: *const Self::Fit,
        x: *const Self,
        n_rows: usize,
        n_features: usize,
        stride: usize,
        m: *mut Self,
        s: *mut Self,
        bad: *mut usize,
    ) -> i32;
}

macro_rules! prec {
    ($t:ty, $name:expr, $fit:ty, $synth:ty, $cfg:ty, $run:ty, $exact:ty, $summary:ty,
     $progress:ty, $fit_size:ident, $synth_size:ident, $ckpt_size:ident,
     $config_default:ident, $init:ident, $get_config:ident, $set_lr:ident, $features:ident,
     $rows:ident, $observe:ident, $observe_rows:ident, $merge:ident, $step:ident, $run_fn:ident,
     $solve:ident, $elbo:ident, $loc:ident, $scale:ident, $summary_fn:ident, $quantile:ident,
     $draw:ident, $predict:ident, $condition:ident, $save:ident, $load:ident, $synth_init:ident,
     $synth_next:ident, $synth_truth:ident, $reset:ident, $set_estimator:ident,
     $sigma_hdi:ident, $predict_rows:ident, $observe_weighted:ident,
     $observe_rows_weighted:ident, $set_forget:ident, $effective_rows:ident) => {
        impl Prec for $t {
            type Fit = $fit;
            type Synth = $synth;
            type Cfg = $cfg;
            type RunReport = $run;
            type ExactReport = $exact;
            type Summary = $summary;
            type Progress = $progress;
            const NAME: &'static str = $name;
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn fit_size() -> usize {
                $fit_size()
            }
            fn synth_size() -> usize {
                $synth_size()
            }
            fn checkpoint_size() -> usize {
                $ckpt_size()
            }
            fn cfg_default() -> $cfg {
                let mut c = core::mem::MaybeUninit::<$cfg>::zeroed();
                // SAFETY: valid, aligned, writable.
                assert_eq!(unsafe { $config_default(c.as_mut_ptr()) }, VIREG_OK);
                // SAFETY: written by the call.
                unsafe { c.assume_init() }
            }
            fn cfg_set_lr(c: &mut $cfg, lr: $t) {
                c.lr = lr;
            }
            fn cfg_set_analytic(c: &mut $cfg) {
                c.estimator = VIREG_ESTIMATOR_ANALYTIC;
            }
            fn no_progress() -> $progress {
                None
            }
            fn progress() -> $progress {
                Some(progress_cb::<$t>)
            }
            fn cfg_set(c: &mut $cfg, i: usize, r: f64, u: u64) {
                let r = r as $t;
                match i {
                    0 => c.seed = u,
                    1 => c.prior_intercept = r,
                    2 => c.prior_coef = r,
                    3 => c.prior_noise = r,
                    4 => c.init_scale = r,
                    5 => c.lr = r,
                    6 => c.beta1 = r,
                    7 => c.beta2 = r,
                    8 => c.eps = r,
                    9 => c.clip = r,
                    10 => c.lrd = r,
                    11 => c.estimator = u as u32,
                    12 => c.particles = u as u32,
                    13 => c.tol_rel_obj = r,
                    14 => c.eval_every = u as u32,
                    15 => c.average_fraction = r,
                    16 => c.final_lr_scale = r,
                    _ => c.forget = r,
                }
            }
            fn cfg_to_rust(c: &$cfg) -> Result<vireg::Config<$t>, i32> {
                let estimator = match c.estimator {
                    VIREG_ESTIMATOR_MONTE_CARLO => vireg::Estimator::MonteCarlo {
                        particles: c.particles,
                    },
                    VIREG_ESTIMATOR_ANALYTIC => vireg::Estimator::Analytic,
                    _ => return Err(VIREG_ERR_CONFIG),
                };
                let cfg = vireg::Config {
                    prior: vireg::Prior {
                        intercept: c.prior_intercept,
                        coef: c.prior_coef,
                        noise: c.prior_noise,
                    },
                    init_scale: c.init_scale,
                    adam: vireg::AdamConfig {
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
                };
                cfg.validate().map_err(|e| e as i32)?;
                Ok(cfg)
            }
            fn cfg_bits(c: &$cfg) -> [u64; 18] {
                let b = |v: $t| v.to_bits() as u64;
                [
                    c.seed,
                    b(c.prior_intercept),
                    b(c.prior_coef),
                    b(c.prior_noise),
                    b(c.init_scale),
                    b(c.lr),
                    b(c.beta1),
                    b(c.beta2),
                    b(c.eps),
                    b(c.clip),
                    b(c.lrd),
                    c.estimator as u64,
                    c.particles as u64,
                    b(c.tol_rel_obj),
                    c.eval_every as u64,
                    b(c.average_fraction),
                    b(c.final_lr_scale),
                    b(c.forget),
                ]
            }
            fn report_bits(r: &$run) -> [u64; 6] {
                [
                    r.steps,
                    r.averaged,
                    r.loss.to_bits() as u64,
                    r.elbo.to_bits() as u64,
                    r.converged as u64,
                    r.stopped as u64,
                ]
            }
            fn exact_bits(r: &$exact) -> [u64; 2] {
                [r.elbo.to_bits() as u64, r.iterations as u64]
            }
            fn summary_bits(s: &$summary) -> [u64; 3] {
                [
                    s.mean.to_bits() as u64,
                    s.sd.to_bits() as u64,
                    s.median.to_bits() as u64,
                ]
            }
            unsafe fn config_default(c: *mut $cfg) -> i32 {
                unsafe { $config_default(c) }
            }
            unsafe fn init(f: *mut $fit, p: usize, c: *const $cfg) -> i32 {
                unsafe { $init(f, core::mem::size_of::<$fit>(), p, c) }
            }
            unsafe fn init_sized(f: *mut $fit, size: usize, p: usize, c: *const $cfg) -> i32 {
                unsafe { $init(f, size, p, c) }
            }
            unsafe fn get_config(f: *const $fit, c: *mut $cfg) -> i32 {
                unsafe { $get_config(f, c) }
            }
            unsafe fn set_lr(f: *mut $fit, lr: $t) -> i32 {
                unsafe { $set_lr(f, lr) }
            }
            unsafe fn features(f: *const $fit, out: *mut usize) -> i32 {
                unsafe { $features(f, out) }
            }
            unsafe fn rows(f: *const $fit, out: *mut u64) -> i32 {
                unsafe { $rows(f, out) }
            }
            unsafe fn observe(f: *mut $fit, x: *const $t, n: usize, y: $t) -> i32 {
                unsafe { $observe(f, x, n, y) }
            }
            unsafe fn observe_rows(
                f: *mut $fit,
                x: *const $t,
                n_rows: usize,
                n_features: usize,
                stride: usize,
                y: *const $t,
                bad: *mut usize,
            ) -> i32 {
                unsafe { $observe_rows(f, x, n_rows, n_features, stride, y, bad) }
            }
            unsafe fn observe_weighted(f: *mut $fit, x: *const $t, n: usize, y: $t, w: $t) -> i32 {
                unsafe { $observe_weighted(f, x, n, y, w) }
            }
            unsafe fn observe_rows_weighted(
                f: *mut $fit,
                x: *const $t,
                n_rows: usize,
                n_features: usize,
                stride: usize,
                y: *const $t,
                w: *const $t,
                bad: *mut usize,
            ) -> i32 {
                unsafe { $observe_rows_weighted(f, x, n_rows, n_features, stride, y, w, bad) }
            }
            unsafe fn set_forget(f: *mut $fit, forget: $t) -> i32 {
                unsafe { $set_forget(f, forget) }
            }
            unsafe fn effective_rows(f: *const $fit, out: *mut $t) -> i32 {
                unsafe { $effective_rows(f, out) }
            }
            unsafe fn merge(d: *mut $fit, s: *const $fit) -> i32 {
                unsafe { $merge(d, s) }
            }
            unsafe fn step(f: *mut $fit, n: u64, loss: *mut $t) -> i32 {
                unsafe { $step(f, n, loss) }
            }
            unsafe fn run(
                f: *mut $fit,
                max: u64,
                every: u64,
                cb: $progress,
                user: *mut c_void,
                rep: *mut $run,
            ) -> i32 {
                unsafe { $run_fn(f, max, every, cb, user, rep) }
            }
            unsafe fn solve_exact(f: *mut $fit, rep: *mut $exact) -> i32 {
                unsafe { $solve(f, rep) }
            }
            unsafe fn elbo(f: *const $fit, out: *mut $t) -> i32 {
                unsafe { $elbo(f, out) }
            }
            unsafe fn post_loc(f: *const $fit, out: *mut $t, len: usize) -> i32 {
                unsafe { $loc(f, out, len) }
            }
            unsafe fn post_scale(f: *const $fit, out: *mut $t, len: usize) -> i32 {
                unsafe { $scale(f, out, len) }
            }
            unsafe fn summary(f: *const $fit, i: usize, out: *mut $summary) -> i32 {
                unsafe { $summary_fn(f, i, out) }
            }
            unsafe fn quantile(f: *const $fit, i: usize, q: $t, out: *mut $t) -> i32 {
                unsafe { $quantile(f, i, q, out) }
            }
            unsafe fn draw(f: *mut $fit, out: *mut $t, n: usize, len: usize) -> i32 {
                unsafe { $draw(f, out, n, len) }
            }
            unsafe fn predict(
                f: *const $fit,
                x: *const $t,
                n: usize,
                m: *mut $t,
                s: *mut $t,
            ) -> i32 {
                unsafe { $predict(f, x, n, m, s) }
            }
            unsafe fn condition(f: *const $fit, out: *mut $t) -> i32 {
                unsafe { $condition(f, out) }
            }
            unsafe fn save(f: *const $fit, buf: *mut u8, len: usize, w: *mut usize) -> i32 {
                unsafe { $save(f, buf, len, w) }
            }
            unsafe fn load(f: *mut $fit, buf: *const u8, len: usize) -> i32 {
                unsafe { $load(f, core::mem::size_of::<$fit>(), buf, len) }
            }
            unsafe fn load_sized(f: *mut $fit, size: usize, buf: *const u8, len: usize) -> i32 {
                unsafe { $load(f, size, buf, len) }
            }
            unsafe fn synth_init(s: *mut $synth, p: usize, seed: u64) -> i32 {
                unsafe { $synth_init(s, core::mem::size_of::<$synth>(), p, seed) }
            }
            unsafe fn synth_init_sized(s: *mut $synth, size: usize, p: usize, seed: u64) -> i32 {
                unsafe { $synth_init(s, size, p, seed) }
            }
            unsafe fn synth_next(s: *mut $synth, x: *mut $t, n: usize, y: *mut $t) -> i32 {
                unsafe { $synth_next(s, x, n, y) }
            }
            unsafe fn synth_truth(s: *const $synth, out: *mut $t, len: usize) -> i32 {
                unsafe { $synth_truth(s, out, len) }
            }
            unsafe fn reset(f: *mut $fit) -> i32 {
                unsafe { $reset(f) }
            }
            unsafe fn set_estimator(f: *mut $fit, estimator: u32, particles: u32) -> i32 {
                unsafe { $set_estimator(f, estimator, particles) }
            }
            unsafe fn sigma_hdi(f: *const $fit, mass: $t, lo: *mut $t, hi: *mut $t) -> i32 {
                unsafe { $sigma_hdi(f, mass, lo, hi) }
            }
            unsafe fn predict_rows(
                f: *const $fit,
                x: *const $t,
                n_rows: usize,
                n_features: usize,
                stride: usize,
                m: *mut $t,
                s: *mut $t,
                bad: *mut usize,
            ) -> i32 {
                unsafe { $predict_rows(f, x, n_rows, n_features, stride, m, s, bad) }
            }
        }
    };
}

prec!(
    f32,
    "f32",
    vireg_fit_f32,
    vireg_synth_f32,
    vireg_config_f32,
    vireg_run_report_f32,
    vireg_exact_report_f32,
    vireg_summary_f32,
    vireg_progress_f32,
    vireg_fit_size_f32,
    vireg_synth_size_f32,
    vireg_checkpoint_size_f32,
    vireg_config_default_f32,
    vireg_init_sized_f32,
    vireg_get_config_f32,
    vireg_set_learning_rate_f32,
    vireg_features_f32,
    vireg_rows_f32,
    vireg_observe_f32,
    vireg_observe_rows_f32,
    vireg_merge_f32,
    vireg_step_f32,
    vireg_run_f32,
    vireg_solve_exact_f32,
    vireg_elbo_f32,
    vireg_posterior_loc_f32,
    vireg_posterior_scale_f32,
    vireg_posterior_summary_f32,
    vireg_posterior_quantile_f32,
    vireg_draw_f32,
    vireg_predict_f32,
    vireg_condition_f32,
    vireg_save_f32,
    vireg_load_sized_f32,
    vireg_synth_init_sized_f32,
    vireg_synth_next_f32,
    vireg_synth_truth_f32,
    vireg_reset_f32,
    vireg_set_estimator_f32,
    vireg_sigma_hdi_f32,
    vireg_predict_rows_f32,
    vireg_observe_weighted_f32,
    vireg_observe_rows_weighted_f32,
    vireg_set_forget_f32,
    vireg_effective_rows_f32
);
prec!(
    f64,
    "f64",
    vireg_fit_f64,
    vireg_synth_f64,
    vireg_config_f64,
    vireg_run_report_f64,
    vireg_exact_report_f64,
    vireg_summary_f64,
    vireg_progress_f64,
    vireg_fit_size_f64,
    vireg_synth_size_f64,
    vireg_checkpoint_size_f64,
    vireg_config_default_f64,
    vireg_init_sized_f64,
    vireg_get_config_f64,
    vireg_set_learning_rate_f64,
    vireg_features_f64,
    vireg_rows_f64,
    vireg_observe_f64,
    vireg_observe_rows_f64,
    vireg_merge_f64,
    vireg_step_f64,
    vireg_run_f64,
    vireg_solve_exact_f64,
    vireg_elbo_f64,
    vireg_posterior_loc_f64,
    vireg_posterior_scale_f64,
    vireg_posterior_summary_f64,
    vireg_posterior_quantile_f64,
    vireg_draw_f64,
    vireg_predict_f64,
    vireg_condition_f64,
    vireg_save_f64,
    vireg_load_sized_f64,
    vireg_synth_init_sized_f64,
    vireg_synth_next_f64,
    vireg_synth_truth_f64,
    vireg_reset_f64,
    vireg_set_estimator_f64,
    vireg_sigma_hdi_f64,
    vireg_predict_rows_f64,
    vireg_observe_weighted_f64,
    vireg_observe_rows_weighted_f64,
    vireg_set_forget_f64,
    vireg_effective_rows_f64
);

/// What [`progress_cb`] is given as `user`: when to stop, and a fit to call back into (which
/// must answer VIREG_ERR_BUSY when it is the fit being run).
#[derive(Debug)]
pub struct Progress {
    pub stop_at: u64,
    pub calls: u64,
    pub fit: *mut c_void,
    pub reentrant_statuses: Vec<i32>,
    pub last_step: Option<u64>,
}

/// A progress callback: counts its calls, calls `vireg_step` on `fit` if set (recording the
/// status), and stops the run at its `stop_at`-th call. Never unwinds.
///
/// # Safety
/// `user` points to a [`Progress`] used by nothing else during the run.
pub unsafe extern "C" fn progress_cb<T: Prec>(user: *mut c_void, step: u64, _loss: T) -> i32 {
    // SAFETY: the caller's contract.
    let u = unsafe { &mut *user.cast::<Progress>() };
    u.calls += 1;
    u.last_step = Some(step);
    if !u.fit.is_null() {
        // SAFETY: a state buffer of this precision (or a busy one), valid for the call.
        let s = unsafe { T::step(u.fit.cast(), 1, core::ptr::null_mut()) };
        u.reentrant_statuses.push(s);
    }
    i32::from(u.calls < u.stop_at)
}

/// A caller-owned, 8-byte-aligned state buffer of `words` u64 (zero-filled: not initialised).
#[derive(Clone)]
pub struct Buf {
    pub words: Vec<u64>,
}

impl Buf {
    pub fn new(bytes: usize) -> Self {
        assert_eq!(bytes % 8, 0);
        Buf {
            words: vec![0; bytes / 8],
        }
    }
    pub fn fit<T: Prec>() -> Self {
        Self::new(T::fit_size())
    }
    pub fn synth<T: Prec>() -> Self {
        Self::new(T::synth_size())
    }
    pub fn ptr<S>(&mut self) -> *mut S {
        self.words.as_mut_ptr().cast()
    }
    pub fn cptr<S>(&self) -> *const S {
        self.words.as_ptr().cast()
    }
    /// The state's bytes (for before/after comparisons).
    pub fn bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }
}

/// Byte offsets of the regions of a checkpoint of precision width `w` and capacity `cap`, as
/// the format in src/checkpoint.rs lays them out.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub w: usize,
    pub cap: usize,
    /// Whether the statistics end with the weight fields (γ, N_w, the largest weight: version
    /// 3 on).
    pub weights: bool,
    /// configuration
    pub config: usize,
    /// statistics (starting with p: u32)
    pub stats: usize,
    /// guide (loc then rho, 2·(P + 2) scalars)
    pub guide: usize,
    /// Adam: step u64, lr, b1t, b2t, then m and v guides
    pub adam: usize,
    /// generator: seed u64, draws u64
    pub rng: usize,
    /// iterate average: count u64, mean guide
    pub avg: usize,
    /// last good (guide, Adam)
    pub prev: usize,
    /// convergence window: len u32, window, last ELBO
    pub history: usize,
    /// CRC-32
    pub crc: usize,
    pub len: usize,
}

/// Bytes of the statistics' weight fields (version 3 on).
pub fn weight_fields(w: usize) -> usize {
    3 * w
}

impl Layout {
    /// The layout this library writes (version 3).
    pub fn new(w: usize, cap: usize) -> Self {
        Self::of(w, cap, true)
    }
    /// The layout of versions 1 and 2 (no weight fields).
    pub fn v2(w: usize, cap: usize) -> Self {
        Self::of(w, cap, false)
    }
    fn of(w: usize, cap: usize, weights: bool) -> Self {
        let coefs = w * (1 + cap);
        let latent = coefs + w;
        let guide = 2 * latent;
        let adam = 8 + 3 * w + 2 * guide;
        let config_len = 13 * w + 20;
        let stats_len =
            4 + 8 + 2 * coefs + w * cap * cap + w + if weights { weight_fields(w) } else { 0 };
        let config = 16;
        let stats = config + config_len;
        let g = stats + stats_len;
        let a = g + guide;
        let rng = a + adam;
        let avg = rng + 16;
        let prev = avg + 8 + guide;
        let history = prev + guide + adam;
        let crc = history + 4 + w * vireg::CONVERGENCE_WINDOW + w;
        Layout {
            w,
            cap,
            weights,
            config,
            stats,
            guide: g,
            adam: a,
            rng,
            avg,
            prev,
            history,
            crc,
            len: crc + 4,
        }
    }
    /// Offset of the statistics' `d` (α then β), `t`, `rbar`, `sserr`.
    pub fn stats_d(&self) -> usize {
        self.stats + 12
    }
    pub fn stats_t(&self) -> usize {
        self.stats_d() + self.w * (1 + self.cap)
    }
    pub fn stats_rbar(&self) -> usize {
        self.stats_t() + self.w * (1 + self.cap)
    }
    pub fn stats_sserr(&self) -> usize {
        self.stats_rbar() + self.w * self.cap * self.cap
    }
    /// Offset of the weight fields (version 3), right after `sserr`.
    pub fn stats_weights(&self) -> usize {
        self.stats_sserr() + self.w
    }
    /// The guide and Adam state (the optimisation state a divergence must restore).
    pub fn guide_adam<'a>(&self, ck: &'a [u8]) -> &'a [u8] {
        &ck[self.guide..self.rng]
    }
    /// Recomputes the CRC after an edit.
    pub fn reseal(&self, ck: &mut [u8]) {
        let crc = vireg::crc32(&ck[..self.crc]);
        ck[self.crc..self.crc + 4].copy_from_slice(&crc.to_le_bytes());
    }
}

/// What this library writes for a fit loaded from the version-1 or -2 checkpoint `old` (of
/// scalar width `w`, capacity `cap`, either family): the same bytes with version 3, the new
/// length, the weight fields of an unweighted summary without forgetting (γ = 1, N_w = 0,
/// largest weight 0) after `sserr`, and the checksum of the result.
pub fn upgraded(old: &[u8], w: usize, cap: usize) -> Vec<u8> {
    let at = Layout::v2(w, cap).stats_sserr() + w;
    let mut fields = vec![0u8; weight_fields(w)];
    match w {
        4 => fields[..4].copy_from_slice(&1f32.to_le_bytes()),
        _ => fields[..8].copy_from_slice(&1f64.to_le_bytes()),
    }
    let mut v = old[..at].to_vec();
    v.extend_from_slice(&fields);
    v.extend_from_slice(&old[at..old.len() - 4]);
    v[4..6].copy_from_slice(&3u16.to_le_bytes());
    let len = (v.len() + 4) as u32;
    v[12..16].copy_from_slice(&len.to_le_bytes());
    let crc = vireg::crc32(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

/// Saves a C fit to a fresh buffer.
pub fn c_save<T: Prec>(fit: &Buf) -> Vec<u8> {
    let mut ck = vec![0u8; T::checkpoint_size()];
    let mut w = 0usize;
    // SAFETY: a valid state and a buffer of the length given.
    let s = unsafe { T::save(fit.cptr(), ck.as_mut_ptr(), ck.len(), &mut w) };
    assert_eq!(s, VIREG_OK);
    assert_eq!(w, ck.len());
    ck
}

/// Posterior loc and scale of a C fit, as bits; both empty when nothing is fitted yet.
pub fn c_posterior<T: Prec>(fit: &Buf, p: usize) -> (Vec<u64>, Vec<u64>) {
    let mut loc = vec![T::default(); p + 2];
    let mut scale = vec![T::default(); p + 2];
    // SAFETY: a valid state and buffers of the lengths given.
    unsafe {
        let s = T::post_loc(fit.cptr(), loc.as_mut_ptr(), p + 2);
        if s == VIREG_ERR_NOT_FITTED {
            return (Vec::new(), Vec::new());
        }
        assert_eq!(s, VIREG_OK);
        assert_eq!(
            T::post_scale(fit.cptr(), scale.as_mut_ptr(), p + 2),
            VIREG_OK
        );
    }
    (
        loc.iter().map(|v| v.to_f64().to_bits()).collect(),
        scale.iter().map(|v| v.to_f64().to_bits()).collect(),
    )
}

/// Posterior loc and scale of a Rust fit, as bits; both empty when nothing is fitted yet.
pub fn posterior_bits<T: Normal, const P: usize>(f: &vireg::Fit<T, P>) -> (Vec<u64>, Vec<u64>) {
    let p = f.features();
    let Ok(post) = f.posterior() else {
        return (Vec::new(), Vec::new());
    };
    let mut loc = vec![T::c(0.0); p + 2];
    let mut scale = vec![T::c(0.0); p + 2];
    post.loc(&mut loc);
    post.scale(&mut scale);
    (
        loc.iter().map(|v| v.to_f64().to_bits()).collect(),
        scale.iter().map(|v| v.to_f64().to_bits()).collect(),
    )
}

/// A Rust fit's checkpoint.
pub fn save<T: Normal, const P: usize>(f: &vireg::Fit<T, P>) -> Vec<u8> {
    let mut ck = vec![0u8; vireg::Fit::<T, P>::CHECKPOINT_BYTES];
    assert_eq!(f.save(&mut ck), Ok(ck.len()));
    ck
}

/// What a checkpoint field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Real,
    U32,
    U64,
}

/// One field of a checkpoint: name, byte offset, kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub off: usize,
    pub kind: Kind,
}

impl Layout {
    /// Every payload field in order, as `write_payload` (src/checkpoint.rs) writes them.
    pub fn fields(&self) -> Vec<Field> {
        let mut v = Vec::new();
        let mut off = self.config;
        let w = self.w;
        let mut push = |v: &mut Vec<Field>, name: &'static str, kind: Kind| {
            v.push(Field { name, off, kind });
            off += match kind {
                Kind::Real => w,
                Kind::U32 => 4,
                Kind::U64 => 8,
            };
        };
        for n in [
            "prior.intercept",
            "prior.coef",
            "prior.noise",
            "init_scale",
            "adam.lr",
            "adam.beta1",
            "adam.beta2",
            "adam.eps",
            "adam.clip",
            "adam.lrd",
        ] {
            push(&mut v, n, Kind::Real);
        }
        push(&mut v, "estimator.tag", Kind::U32);
        push(&mut v, "estimator.particles", Kind::U32);
        push(&mut v, "seed", Kind::U64);
        push(&mut v, "tol_rel_obj", Kind::Real);
        push(&mut v, "eval_every", Kind::U32);
        push(&mut v, "average_fraction", Kind::Real);
        push(&mut v, "final_lr_scale", Kind::Real);
        push(&mut v, "stats.p", Kind::U32);
        push(&mut v, "stats.n", Kind::U64);
        for _ in 0..=self.cap {
            push(&mut v, "stats.d", Kind::Real);
        }
        for _ in 0..=self.cap {
            push(&mut v, "stats.t", Kind::Real);
        }
        for _ in 0..self.cap * self.cap {
            push(&mut v, "stats.rbar", Kind::Real);
        }
        push(&mut v, "stats.sserr", Kind::Real);
        if self.weights {
            push(&mut v, "stats.forget", Kind::Real);
            push(&mut v, "stats.nw", Kind::Real);
            push(&mut v, "stats.wmax", Kind::Real);
        }
        let guide = |v: &mut Vec<Field>,
                     push: &mut dyn FnMut(&mut Vec<Field>, &'static str, Kind),
                     name| {
            for _ in 0..2 * (self.cap + 2) {
                push(v, name, Kind::Real);
            }
        };
        guide(&mut v, &mut push, "guide");
        let adam = |v: &mut Vec<Field>,
                    push: &mut dyn FnMut(&mut Vec<Field>, &'static str, Kind),
                    pre: [&'static str; 6]| {
            push(v, pre[0], Kind::U64);
            push(v, pre[1], Kind::Real);
            push(v, pre[2], Kind::Real);
            push(v, pre[3], Kind::Real);
            for _ in 0..2 * (self.cap + 2) {
                push(v, pre[4], Kind::Real);
            }
            for _ in 0..2 * (self.cap + 2) {
                push(v, pre[5], Kind::Real);
            }
        };
        adam(
            &mut v,
            &mut push,
            [
                "adam.step",
                "adam.lr_now",
                "adam.b1t",
                "adam.b2t",
                "adam.m",
                "adam.v",
            ],
        );
        push(&mut v, "rng.seed", Kind::U64);
        push(&mut v, "rng.draws", Kind::U64);
        push(&mut v, "avg.count", Kind::U64);
        guide(&mut v, &mut push, "avg.mean");
        guide(&mut v, &mut push, "prev.guide");
        adam(
            &mut v,
            &mut push,
            [
                "prev.adam.step",
                "prev.adam.lr_now",
                "prev.adam.b1t",
                "prev.adam.b2t",
                "prev.adam.m",
                "prev.adam.v",
            ],
        );
        push(&mut v, "history.len", Kind::U32);
        for _ in 0..vireg::CONVERGENCE_WINDOW {
            push(&mut v, "history.window", Kind::Real);
        }
        push(&mut v, "last_elbo", Kind::Real);
        let end = v.last().map(|f| f.off + w).unwrap_or(0);
        assert_eq!(end, self.crc, "field map out of step with the layout");
        v
    }

    /// The first field of this name.
    pub fn field(&self, name: &str) -> Field {
        *self
            .fields()
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field {name}"))
    }
}

/// Writes a scalar of width `w` (4: f32, 8: f64) at `off`.
pub fn put_real(ck: &mut [u8], off: usize, w: usize, v: f64) {
    if w == 4 {
        ck[off..off + 4].copy_from_slice(&(v as f32).to_le_bytes());
    } else {
        ck[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
}

/// Reads a scalar of width `w` at `off`.
pub fn get_real(ck: &[u8], off: usize, w: usize) -> f64 {
    if w == 4 {
        f32::from_le_bytes(ck[off..off + 4].try_into().unwrap()) as f64
    } else {
        f64::from_le_bytes(ck[off..off + 8].try_into().unwrap())
    }
}

pub fn put_u32(ck: &mut [u8], off: usize, v: u32) {
    ck[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn put_u64(ck: &mut [u8], off: usize, v: u64) {
    ck[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
