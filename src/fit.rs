//! The fit: data summary, model, guide, optimiser and generator in one fixed-size value, with
//! the SVI loop (steps, a run with progress and convergence detection, iterate averaging) and
//! the exact solver.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::estimator::Estimator;
use crate::exact::{self, ExactReport};
use crate::family::Family;
use crate::full::{self, FullGuide, FullPosterior, FullReport};
use crate::guide::{Guide, INIT_SCALE};
use crate::model::{ModelConsts, Prior};
use crate::optim::{Adam, AdamConfig};
use crate::posterior::Posterior;
use crate::real::Real;
use crate::rng::{Normal, SeededRng};
use crate::stats::{forget_ok, Stats};
use crate::vector::Window;
use core::mem::size_of;

/// Length of the rolling window of relative ELBO changes used for convergence detection.
pub const CONVERGENCE_WINDOW: usize = 8;

/// Everything that configures a fit. `Config::default()` is the seed's setup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config<T> {
    /// Prior scales (default 100, 10, 10).
    pub prior: Prior<T>,
    /// Initial scale of every latent in the guide (Pyro's `init_scale`, default 0.1).
    pub init_scale: T,
    /// Adam settings (default lr 1e-2, β = (0.9, 0.999), ε = 1e-8, no clamp, no decay).
    pub adam: AdamConfig<T>,
    /// ELBO estimator (default one-particle Monte Carlo).
    pub estimator: Estimator,
    /// Seed of the PCG32 stream used for particles and draws (default 42).
    pub seed: u64,
    /// Convergence tolerance on the rolling mean of |ΔELBO|/|ELBO| between evaluations
    /// (Stan ADVI's `tol_rel_obj`); 0 disables detection (default 0: run all the steps).
    pub tol_rel_obj: T,
    /// Steps per block of the convergence check (default 1000): the ELBO of each block's mean
    /// iterate is compared with the previous block's.
    pub eval_every: u32,
    /// Fraction of a run's final steps whose iterates are averaged into the reported posterior
    /// (Polyak–Ruppert averaging; default 0.5). 0 reports the last iterate, as Pyro does.
    pub average_fraction: T,
    /// Over the averaging stretch the learning rate decays geometrically from `adam.lr` to
    /// `adam.lr · final_lr_scale` (default 0.01); 1 keeps it constant.
    pub final_lr_scale: T,
    /// Forgetting factor γ ∈ (0, 1] of the data summary (default 1: nothing forgotten): before
    /// each new row, every row seen so far weighs γ times less, a memory of about 1/(1 − γ)
    /// rows ([`Stats::set_forget`], docs/weights.md). Changeable later by [`Fit::set_forget`].
    pub forget: T,
}

impl<T: Real> Default for Config<T> {
    fn default() -> Self {
        Config {
            prior: Prior::default(),
            init_scale: T::c(INIT_SCALE),
            adam: AdamConfig::default(),
            estimator: Estimator::default(),
            seed: 42,
            tol_rel_obj: T::ZERO,
            eval_every: 1000,
            average_fraction: T::c(0.5),
            final_lr_scale: T::c(0.01),
            forget: T::ONE,
        }
    }
}

impl<T: Real> Config<T> {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        self.prior.validate()?;
        self.adam.validate()?;
        if !(self.init_scale.is_finite()
            && self.tol_rel_obj.is_finite()
            && self.average_fraction.is_finite()
            && self.forget.is_finite())
        {
            return Err(Error::NonFinite);
        }
        let particles_ok = match self.estimator {
            Estimator::MonteCarlo { particles } => (1..=MAX_PARTICLES).contains(&particles),
            Estimator::Analytic => true,
        };
        let ok = self.init_scale > T::ZERO
            && self.tol_rel_obj >= T::ZERO
            && self.eval_every >= 1
            && self.average_fraction >= T::ZERO
            && self.average_fraction < T::ONE
            && self.final_lr_scale > T::ZERO
            && self.final_lr_scale <= T::ONE
            && forget_ok(self.forget)
            && particles_ok;
        if ok {
            Ok(())
        } else {
            Err(Error::Config)
        }
    }
}

/// The largest number of Monte Carlo particles a configuration accepts (a step costs K times a
/// one-particle step; beyond this, use [`Estimator::Analytic`], the exact expectation).
pub const MAX_PARTICLES: u32 = 1 << 16;

/// Running mean of the iterates (every parameter, Polyak–Ruppert) over the averaging stretch.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub(crate) struct Average<T, const P: usize, G = Guide<T, P>> {
    pub(crate) count: u64,
    pub(crate) mean: G,
    _t: core::marker::PhantomData<T>,
}

/// The configuration as a fit stores it: every byte belongs to a field (no padding, no enum
/// payload left undefined by [`Estimator::Analytic`]), so that two equal fits are equal byte for
/// byte (see [`Fit`]). The scalar `pad` and the `u32` one make the scalars even in number and
/// the `u32`s too: no padding in f32 nor in f64.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub(crate) struct Settings<T> {
    pub(crate) seed: u64,
    pub(crate) prior: Prior<T>,
    pub(crate) adam: AdamConfig<T>,
    pub(crate) init_scale: T,
    pub(crate) tol_rel_obj: T,
    pub(crate) average_fraction: T,
    pub(crate) final_lr_scale: T,
    pad: T,
    /// 0: Monte Carlo with `particles` particles; 1: analytic (`particles` 0).
    estimator: u32,
    particles: u32,
    pub(crate) eval_every: u32,
    pad32: u32,
}

impl<T: Real> Settings<T> {
    /// Every field's size, summed: the struct's size when it has no padding.
    const FIELDS: usize = 8
        + size_of::<Prior<T>>()
        + size_of::<AdamConfig<T>>()
        + 5 * size_of::<T>()
        + 4 * size_of::<u32>();

    fn new(c: &Config<T>) -> Self {
        let (estimator, particles) = match c.estimator {
            Estimator::MonteCarlo { particles } => (0, particles),
            Estimator::Analytic => (1, 0),
        };
        Settings {
            seed: c.seed,
            prior: c.prior,
            adam: c.adam,
            init_scale: c.init_scale,
            tol_rel_obj: c.tol_rel_obj,
            average_fraction: c.average_fraction,
            final_lr_scale: c.final_lr_scale,
            pad: T::ZERO,
            estimator,
            particles,
            eval_every: c.eval_every,
            pad32: 0,
        }
    }

    pub(crate) fn estimator(&self) -> Estimator {
        if self.estimator == 0 {
            Estimator::MonteCarlo {
                particles: self.particles,
            }
        } else {
            Estimator::Analytic
        }
    }

    fn config(&self) -> Config<T> {
        Config {
            prior: self.prior,
            init_scale: self.init_scale,
            adam: self.adam,
            estimator: self.estimator(),
            seed: self.seed,
            tol_rel_obj: self.tol_rel_obj,
            eval_every: self.eval_every,
            average_fraction: self.average_fraction,
            final_lr_scale: self.final_lr_scale,
            forget: T::ONE,
        }
    }
}

impl<T: Normal, const P: usize, G: Family<T, P>> Average<T, P, G> {
    const FIELDS: usize = 8 + G::FIELDS;

    pub(crate) fn empty() -> Self {
        Average {
            count: 0,
            mean: G::zeros(),
            _t: core::marker::PhantomData,
        }
    }

    /// An average of `count` iterates whose mean is `mean` (a checkpoint's).
    pub(crate) fn of(count: u64, mean: G) -> Self {
        Average {
            count,
            mean,
            _t: core::marker::PhantomData,
        }
    }

    // Not inlined: two call sites in `run`, each of which would get the loops (code size).
    #[inline(never)]
    fn add(&mut self, g: &G, p: usize) {
        self.count += 1;
        let w = T::ONE / T::from_u64(self.count);
        G::zip_mut(&mut self.mean, g, p, |a, x| *a += (x - *a) * w);
    }
}

/// ⌈frac · steps⌉ (at most `steps`), computed in T (no f64 on f32 targets). Not inlined: two call
/// sites in `run` (code size).
#[inline(never)]
fn tail_len<T: Real>(frac: T, steps: u64) -> u64 {
    let x = frac * T::from_u64(steps);
    let n = x.to_u64().min(steps);
    if T::from_u64(n) < x {
        n + 1
    } else {
        n
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunReport<T> {
    /// Steps taken by this run.
    pub steps: u64,
    /// Whether convergence was detected (always false when `tol_rel_obj` is 0).
    pub converged: bool,
    /// Whether the progress hook asked to stop.
    pub stopped: bool,
    /// The loss of the last step.
    pub loss: T,
    /// The exact ELBO of the reported posterior.
    pub elbo: T,
    /// How many iterates were averaged into the reported posterior.
    pub averaged: u64,
}

/// A Bayesian linear regression fit with up to `P` features, in precision `T` (`f32` or `f64`),
/// with a guide of family `G`: the mean-field [`Guide`] (Pyro's `AutoDiagonalNormal`, the
/// default) or the full-rank [`FullGuide`](crate::FullGuide) (`AutoMultivariateNormal`; see
/// [`FullFit`](crate::FullFit)). The family is a type, not a run-time setting: a program pays
/// in state and code only for the family it uses.
///
/// Fixed size, no heap: `size_of::<Fit<f32, 8>>()` is under 1.2 KiB; a full-rank fit adds
/// 5·(P+2)·(P+1) scalars: the factor's triangle in five of the guide's seven copies (Adam's
/// two moments share one, in the room the triangle leaves free).
///
/// Every byte of a fit except those of its data summary (last, see `Stats`) belongs to a field:
/// the layout is `repr(C)` and each part is free of padding (checked at compile time, for every
/// precision and capacity a program uses), so two fits reached by equal calls are equal byte
/// for byte; the C ABI zeroes the summary's padding after every call that writes a state.
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub struct Fit<T: Normal, const P: usize, G: Family<T, P> = Guide<T, P>> {
    pub(crate) cfg: Settings<T>,
    pub(crate) guide: G,
    pub(crate) adam: Adam<T, P, G>,
    pub(crate) rng: SeededRng,
    pub(crate) avg: Average<T, P, G>,
    /// The last guide and optimiser state whose loss was finite (restored on divergence).
    pub(crate) prev_guide: G,
    pub(crate) prev_adam: Adam<T, P, G>,
    pub(crate) history: Window<T, CONVERGENCE_WINDOW>,
    pub(crate) last_elbo: T,
    /// Zero: with the two `u32`s, the scalars of the tail are even in number (no padding).
    pad: T,
    /// 1 once a fit has been made (see [`Fit::is_fitted`]), else 0.
    pub(crate) fitted: u32,
    pad32: u32,
    pub(crate) stats: Stats<T, P>,
}

impl<T: Normal, const P: usize, G: Family<T, P>> Fit<T, P, G> {
    /// Compile-time proof that no part of the fit but the summary has padding: each part's size
    /// is the sum of its fields' sizes, and the fit's is the sum of its parts'. Evaluated for
    /// every `Fit<T, P>` a program builds (referenced by the constructors).
    const LAYOUT: () = {
        let t = size_of::<T>();
        let guide = G::FIELDS;
        let adam = 8 + 4 * t + G::MOMENT_FIELDS;
        let window = CONVERGENCE_WINDOW * t + 2 * size_of::<u32>();
        assert!(size_of::<G>() == guide, "the guide has padding");
        assert!(
            size_of::<G::Moments>() == G::MOMENT_FIELDS,
            "the moments have padding"
        );
        assert!(size_of::<Adam<T, P, G>>() == adam, "Adam has padding");
        assert!(
            size_of::<SeededRng>() == SeededRng::FIELDS,
            "SeededRng has padding"
        );
        assert!(
            size_of::<Average<T, P, G>>() == Average::<T, P, G>::FIELDS,
            "Average has padding"
        );
        assert!(
            size_of::<Settings<T>>() == Settings::<T>::FIELDS,
            "Settings has padding"
        );
        assert!(
            size_of::<Window<T, CONVERGENCE_WINDOW>>() == window,
            "Window has padding"
        );
        let fields = Settings::<T>::FIELDS
            + 2 * guide
            + 2 * adam
            + SeededRng::FIELDS
            + Average::<T, P, G>::FIELDS
            + window
            + 2 * t
            + 8
            + size_of::<Stats<T, P>>();
        assert!(
            size_of::<Self>() == fields,
            "Fit has padding outside its summary"
        );
    };

    /// A fit for `p` features (1 ≤ p ≤ P) with the given configuration, no data yet.
    pub fn new(p: usize, cfg: Config<T>) -> Result<Self> {
        let () = Self::LAYOUT;
        cfg.validate()?;
        let mut stats = Stats::new(p)?;
        stats.forget = cfg.forget; // checked by validate()
        let guide = G::init(&cfg.prior, cfg.init_scale)?;
        let adam = Adam::new(&cfg.adam);
        Ok(Fit {
            stats,
            guide,
            adam,
            prev_guide: guide,
            prev_adam: adam,
            rng: SeededRng::new(cfg.seed),
            avg: Average::empty(),
            history: Window::new(),
            last_elbo: T::INFINITY,
            pad: T::ZERO,
            fitted: 0,
            pad32: 0,
            cfg: Settings::new(&cfg),
        })
    }

    /// Initialises `slot` as [`Fit::new`] would, building the fit in place: no second fit on
    /// the stack (the C ABI's init, on small stacks). `slot` is untouched on error.
    #[cfg(feature = "ffi")]
    pub(crate) fn init_into(
        slot: &mut core::mem::MaybeUninit<Self>,
        p: usize,
        cfg: Config<T>,
    ) -> Result<()> {
        let () = Self::LAYOUT;
        cfg.validate()?;
        let mut stats = Stats::new(p)?;
        stats.forget = cfg.forget; // checked by validate()
        let guide = G::init(&cfg.prior, cfg.init_scale)?;
        let adam = Adam::new(&cfg.adam);
        slot.write(Fit {
            stats,
            guide,
            adam,
            prev_guide: guide,
            prev_adam: adam,
            rng: SeededRng::new(cfg.seed),
            avg: Average::empty(),
            history: Window::new(),
            last_elbo: T::INFINITY,
            pad: T::ZERO,
            fitted: 0,
            pad32: 0,
            cfg: Settings::new(&cfg),
        });
        Ok(())
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.stats.features()
    }

    /// The configuration (a copy: the fit stores it in a form without padding).
    pub fn config(&self) -> Config<T> {
        Config {
            forget: self.stats.forget(),
            ..self.cfg.config()
        }
    }

    /// Whether a fit has been made: a successful [`Fit::solve_exact`], [`Fit::step`],
    /// [`Fit::steps`] or [`Fit::run`] (at least one step), a guide set by [`Fit::set_guide`], or
    /// a checkpoint of a fitted fit loaded. Until then the posterior getters return
    /// [`Error::NotFitted`] (the guide is only the starting guess). Observing more rows after a
    /// fit does not clear it: the posterior is then that of the earlier rows, until the next
    /// fit. [`Fit::reset_guide`] clears it.
    pub fn is_fitted(&self) -> bool {
        self.fitted != 0
    }

    /// The data summary.
    pub fn stats(&self) -> &Stats<T, P> {
        &self.stats
    }

    /// The guide's current parameters (the last iterate, not the averaged posterior).
    pub fn guide(&self) -> &G {
        &self.guide
    }

    /// The optimiser's state.
    pub fn adam(&self) -> &Adam<T, P, G> {
        &self.adam
    }

    /// The generator (its seed and how far it has advanced).
    pub fn rng(&self) -> &SeededRng {
        &self.rng
    }

    /// Folds one row in (see [`Stats::observe`]); the fit is unchanged on error.
    pub fn observe(&mut self, x: &[T], y: T) -> Result<()> {
        self.stats.observe(x, y)
    }

    /// Folds many rows in, all or nothing (see [`Stats::observe_rows`]).
    pub fn observe_rows(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
    ) -> core::result::Result<(), (usize, Error)> {
        self.stats.observe_rows(xs, stride, ys)
    }

    /// Folds one row with weight `w` ≥ 0 (see [`Stats::observe_weighted`]); the fit is
    /// unchanged on error.
    #[cfg(feature = "weights")]
    pub fn observe_weighted(&mut self, x: &[T], y: T, w: T) -> Result<()> {
        self.stats.observe_weighted(x, y, w)
    }

    /// Folds many weighted rows in, all or nothing (see [`Stats::observe_rows_weighted`]).
    #[cfg(feature = "weights")]
    pub fn observe_rows_weighted(
        &mut self,
        xs: &[T],
        stride: usize,
        ys: &[T],
        ws: &[T],
    ) -> core::result::Result<(), (usize, Error)> {
        self.stats.observe_rows_weighted(xs, stride, ys, ws)
    }

    /// Changes the forgetting factor γ from the next row on (see [`Stats::set_forget`]): a
    /// device may widen or narrow its memory at run time. The fit is unchanged on error.
    pub fn set_forget(&mut self, forget: T) -> Result<()> {
        self.stats.set_forget(forget)
    }

    /// Adds the data of another summary (see [`Stats::merge`]).
    pub fn merge(&mut self, other: &Stats<T, P>) -> Result<()> {
        self.stats.merge(other)
    }

    /// Replaces the guide's parameters (e.g. a user's own initialisation); resets Adam and the
    /// average.
    pub fn set_guide(&mut self, g: G) -> Result<()> {
        if !g.all_finite(self.features()) {
            return Err(Error::NonFinite);
        }
        self.set_solved(g);
        Ok(())
    }

    /// `out.len() / (p + 2)` draws, one after the other in `out`, each by `draw` from the
    /// posterior `posterior` gives (computed once); returns how many. [`Error::Dimension`]
    /// (nothing drawn) if `out.len()` is not a multiple of p + 2, and `posterior`'s error.
    #[inline(always)]
    pub(crate) fn draws_with<Q>(
        &mut self,
        out: &mut [T],
        posterior: impl FnOnce(&Self) -> Result<Q>,
        draw: impl Fn(&Q, &mut SeededRng, &mut [T]) -> Result<()>,
    ) -> Result<usize> {
        let d = self.features() + 2;
        if out.len() % d != 0 {
            return Err(Error::Dimension);
        }
        let post = posterior(self)?;
        for row in out.chunks_exact_mut(d) {
            draw(&post, &mut self.rng, row)?;
        }
        Ok(out.len() / d)
    }

    /// Sets the guide to `g` (a solver's answer, or the user's): the optimiser and the average
    /// restart, the fit is fitted.
    #[inline]
    pub(crate) fn set_solved(&mut self, g: G) {
        self.guide = g;
        self.solved();
    }

    /// [`Fit::set_solved`] for a guide already in place.
    #[inline(always)]
    pub(crate) fn solved(&mut self) {
        self.adam = Adam::new(&self.cfg.adam);
        self.prev_guide = self.guide;
        self.prev_adam = self.adam;
        self.avg = Average::empty();
        self.fitted = 1;
    }

    /// Restarts the optimisation from Pyro's initialisation (data are kept); the fit is then
    /// not fitted (see [`Fit::is_fitted`]).
    pub fn reset_guide(&mut self) {
        self.guide = G::init(&self.cfg.prior, self.cfg.init_scale).unwrap_or(self.guide);
        self.adam = Adam::new(&self.cfg.adam);
        self.prev_guide = self.guide;
        self.prev_adam = self.adam;
        self.avg = Average::empty();
        self.history.clear();
        self.last_elbo = T::INFINITY;
        self.fitted = 0;
    }

    /// Empties the data and restarts everything else from the configuration: the fit becomes
    /// the one [`Fit::new`] gives for the same number of features and [`Fit::config`] (equal
    /// field for field). Kept: the number of features and the configuration, including a
    /// learning rate set by [`Fit::set_adam`], an estimator set by [`Fit::set_estimator`] and a
    /// forgetting factor set by [`Fit::set_forget`]. Reset: the data summary (no rows), the guide (Pyro's initialisation), Adam's moments and
    /// step count, the iterate average, the last good point, the convergence window, the random
    /// stream (back to the seed's start); the fit is not fitted.
    ///
    /// Built field by field, not as a second fit on the stack (the C ABI's states may be large).
    pub fn reset_data(&mut self) {
        if let Ok(mut stats) = Stats::new(self.features()) {
            stats.forget = self.stats.forget;
            self.stats = stats;
        }
        self.reset_guide();
        self.rng = SeededRng::new(self.cfg.seed);
    }

    /// Changes the ELBO estimator from the next step on (Pyro's "1 particle, then 100" on the
    /// same fit): the guide, Adam's moments, the data, the random stream and the iterate
    /// average are kept, so the fit goes on where it is with the new estimator.
    /// [`Error::Config`] (the fit unchanged) for Monte Carlo with 0 or more than
    /// [`MAX_PARTICLES`] particles.
    pub fn set_estimator(&mut self, estimator: Estimator) -> Result<()> {
        let cfg = Config {
            estimator,
            ..self.config()
        };
        cfg.validate()?;
        let s = Settings::new(&cfg);
        self.cfg.estimator = s.estimator;
        self.cfg.particles = s.particles;
        Ok(())
    }

    fn consts(&self) -> ModelConsts<T, P> {
        ModelConsts::new(&self.stats, &self.cfg.prior)
    }

    /// The loss and gradient; without `want_loss` the value returned may lack a term that is
    /// finite for every accepted guide (see `mc_loss_grad`): only its finiteness counts.
    fn loss_grad_with(&mut self, mc: &ModelConsts<T, P>, grad: &mut G, want_loss: bool) -> T {
        let est: Estimator = self.cfg.estimator();
        self.guide
            .loss_grad(&self.stats, mc, est, &mut self.rng, grad, want_loss)
    }

    /// The loss (−ELBO) and its gradient with respect to the guide's parameters (loc, ρ, and
    /// full-rank the strictly-lower `tril` entries) at the current guide, by the configured
    /// estimator. Monte Carlo draws advance the generator.
    pub fn loss_grad(&mut self, grad: &mut G) -> T {
        let mc = self.consts();
        self.loss_grad_with(&mc, grad, true)
    }

    /// The exact ELBO of a guide (analytic expectation, no sampling).
    pub fn elbo_of(&self, g: &G) -> T {
        -g.loss(&self.stats, &self.consts())
    }

    /// The exact ELBO at the current iterate.
    pub fn elbo(&self) -> T {
        self.elbo_of(&self.guide)
    }

    /// Sets the optimiser's settings (e.g. a smaller learning rate after [`Error::Diverged`]);
    /// Adam's moments are kept, its learning rate restarts from `adam.lr`.
    pub fn set_adam(&mut self, adam: AdamConfig<T>) -> Result<()> {
        adam.validate()?;
        self.cfg.adam = adam;
        self.adam.lr = adam.lr;
        // The point a divergence goes back to gets the new rate too: otherwise a step that
        // diverges right after this call would restore the old one.
        self.prev_adam.lr = adam.lr;
        Ok(())
    }

    /// One step; the loss returned is only meaningful with `want_loss` (see `loss_grad_with`).
    /// Microcontrollers: the restore point copied whole, then the update, then its check.
    #[cfg(vireg_compact)]
    #[inline]
    fn step_inner(&mut self, mc: &ModelConsts<T, P>, lr_scale: T, want_loss: bool) -> Result<T> {
        let p = self.features();
        let mut grad = self.guide;
        let loss = self.loss_grad_with(mc, &mut grad, want_loss);
        if !loss.is_finite() || !grad.all_finite(p) {
            // The current point is already bad: go back to the last one whose loss was finite.
            self.restore_prev();
            return Err(Error::Diverged);
        }
        // This point's loss is finite: it becomes the one to come back to.
        self.prev_guide = self.guide;
        self.prev_adam = self.adam;
        self.adam
            .update(&self.cfg.adam, &mut self.guide, &grad, p, lr_scale);
        if !self.guide.acceptable(p) {
            self.restore_prev();
            return Err(Error::Diverged);
        }
        self.fitted = 1;
        Ok(loss)
    }

    /// One step; the loss returned is only meaningful with `want_loss` (see `loss_grad_with`).
    /// Hosts: the restore point is written by the update's own pass
    /// ([`Ops::adam_step`](crate::family::Ops::adam_step)),
    /// which reads those values anyway, and only once the gradient is known to be finite.
    #[cfg(not(vireg_compact))]
    #[inline]
    fn step_inner(&mut self, mc: &ModelConsts<T, P>, lr_scale: T, want_loss: bool) -> Result<T> {
        let p = self.features();
        // Zeros, not a copy of the guide: stores in place of a `memcpy` call. The estimators
        // write every entry whose update is kept (the p features', the intercept's and u's).
        let mut grad = G::zeros();
        let loss = self.loss_grad_with(mc, &mut grad, want_loss);
        if loss.is_finite() {
            // Adam's scalars before the step, for the restore point.
            let a = &self.adam;
            let (step, lr, b1t, b2t) = (a.step, a.lr, a.b1t, a.b2t);
            let c = self.adam.advance(&self.cfg.adam, lr_scale);
            let kept = G::adam_step(
                &mut self.guide,
                &grad,
                &mut self.adam.mv,
                &mut self.prev_guide,
                &mut self.prev_adam.mv,
                &c,
                p,
            );
            if let Some(ok) = kept {
                // This point's loss is finite: it becomes the one to come back to.
                let b = &mut self.prev_adam;
                (b.step, b.lr, b.b1t, b.b2t) = (step, lr, b1t, b2t);
                if ok {
                    self.fitted = 1;
                    return Ok(loss);
                }
            }
        }
        // The current point is bad (`kept` is None: the restore point is the one before), or
        // the update made it so: go back to the last one whose loss was finite.
        self.restore_prev();
        Err(Error::Diverged)
    }

    /// Goes back to the last point whose loss was finite.
    fn restore_prev(&mut self) {
        self.guide = self.prev_guide;
        self.adam = self.prev_adam;
    }

    /// One SVI step (Pyro's `svi.step`): returns the loss at the parameters before the update.
    /// A manual step ends any iterate averaging: the posterior is then the last iterate.
    ///
    /// On [`Error::Diverged`] the guide and optimiser are, bit for bit, those of the last point
    /// whose loss and gradient were finite: the point before this call if the update made a
    /// parameter non-finite; the point before the *previous* step if that step produced a
    /// finite point whose loss is not (it is detected here, where that loss is evaluated).
    /// Configuration and data are untouched; the random stream is not rewound.
    pub fn step(&mut self) -> Result<T> {
        self.avg = Average::empty();
        let mc = self.consts();
        self.step_inner(&mc, T::ONE, true)
    }

    /// `n` SVI steps; returns the last loss (NaN if n = 0). Exactly `n` calls of
    /// [`Fit::step`] stopped at the first error: on [`Error::Diverged`] at step k the updates
    /// of steps 1..k−1 are kept (but a point of non-finite loss never is: see [`Fit::step`]),
    /// the rest are not taken, and the earlier losses are not reported.
    pub fn steps(&mut self, n: u64) -> Result<T> {
        self.avg = Average::empty();
        let mut loss = T::c(f64::NAN);
        let mc = self.consts();
        for i in 0..n {
            loss = self.step_inner(&mc, T::ONE, i + 1 == n)?;
        }
        Ok(loss)
    }

    /// Runs up to `max_steps` SVI steps. `hook(step, loss)` is called on step 0, every
    /// `report_every` steps, and on the run's last step (once, also when the run ends early by
    /// convergence; 0: never) and may return `false` to stop (on the last step: `stopped` is
    /// then set, nothing else changes).
    ///
    /// The final stretch of the run — `average_fraction` of the steps — decays the learning
    /// rate geometrically to `final_lr_scale` of its value, and the iterates of the second half
    /// of that stretch are averaged (Polyak–Ruppert) into the reported posterior, so the answer
    /// is not the noisy last iterate. With `tol_rel_obj > 0`, the exact ELBO of the mean iterate
    /// of each block of `eval_every` steps is compared with the previous block's; once the
    /// rolling mean of these relative changes (window [`CONVERGENCE_WINDOW`]) falls below
    /// `tol_rel_obj`, the run goes on only for a final stretch of `average_fraction` of the
    /// steps so far.
    ///
    /// On [`Error::Diverged`] the run stops there, as [`Fit::step`] describes, and the iterate
    /// average is dropped: the posterior is the restored point.
    pub fn run<F: FnMut(u64, T) -> bool>(
        &mut self,
        max_steps: u64,
        report_every: u64,
        mut hook: F,
    ) -> Result<RunReport<T>> {
        let frac = self.cfg.average_fraction;
        let tail_len = |steps: u64| -> u64 { tail_len(frac, steps) };
        let mut end = max_steps;
        let mut tail_start = end - tail_len(end).min(end);
        self.avg = Average::empty();
        self.history.clear();
        self.last_elbo = T::INFINITY;
        let (mut converged, mut stopped) = (false, false);
        let mut loss = T::c(f64::NAN);
        let mut i = 0u64;
        let p = self.features();
        let mc = self.consts();
        let (mut lr_scale, mut decay) = (T::ONE, T::ONE);
        let detect = self.cfg.tol_rel_obj > T::ZERO;
        // The convergence block's running mean: whole (mean-field), or its locations and
        // scales alone, the rest in the iterate average's unused room (`Ops::SPARE_BLOCK`;
        // whenever the run returns, the average is laid out as a guide again).
        let mut block = Average::empty();
        let mut block_part: Average<T, P, Guide<T, P>> = Average::empty();
        // Countdowns to the next report and the next block's end (no 64-bit division: it costs
        // half a kilobyte of code on 32-bit targets).
        let mut to_report = 0u64;
        let mut to_eval = u64::from(self.cfg.eval_every);
        while i < end {
            if i == tail_start {
                // Per-step factor taking the learning rate to final_lr_scale by the end.
                decay = (self.cfg.final_lr_scale.ln() / T::from_u64(end - tail_start)).exp();
            }
            if i >= tail_start {
                lr_scale *= decay;
            }
            // The loss is reported on hook steps and the last step only (on microcontrollers
            // it is always computed: the test would cost flash and save nothing there). A step
            // that ends a convergence block may turn out to be the last (the run then ends
            // there when average_fraction is 0): its loss is computed too.
            let want = cfg!(vireg_compact)
                || (report_every > 0 && to_report == 0)
                || i + 1 >= end
                || (detect && !converged && to_eval == 1);
            loss = match self.step_inner(&mc, lr_scale, want) {
                Ok(l) => l,
                Err(e) => {
                    // Diverged: the posterior is the restored point, not an average of the
                    // iterates that led to the divergence.
                    self.avg = Average::empty();
                    return Err(e);
                }
            };
            if i >= tail_start + ((end - tail_start) >> 1) {
                if G::SPARE_BLOCK {
                    let a = &mut self.avg;
                    G::mean_add(&mut a.count, &mut a.mean, None, &self.guide, p);
                } else {
                    self.avg.add(&self.guide, p);
                }
            }
            if detect && !converged {
                if G::SPARE_BLOCK {
                    let (b, a) = (&mut block_part, &mut self.avg.mean);
                    G::mean_add(&mut b.count, a, Some(&mut b.mean), &self.guide, p);
                } else {
                    block.add(&self.guide, p);
                }
            }
            i += 1;
            if detect && !converged {
                // Zero when i is a multiple of eval_every (every step counts down until
                // convergence, after which no block ends). Kept apart from the test below:
                // nesting the block in here costs 88 bytes of Cortex-M flash (measured).
                to_eval -= 1;
            }
            if detect && !converged && to_eval == 0 {
                to_eval = u64::from(self.cfg.eval_every);
                // The ELBO of the block's mean iterate: the optimiser's jitter averaged out.
                let e = if G::SPARE_BLOCK {
                    let e = -G::block_loss(&block_part.mean, &self.avg.mean, &self.stats, &mc);
                    block_part.count = 0;
                    e
                } else {
                    -block.mean.loss(&self.stats, &mc)
                };
                block = Average::empty();
                if self.last_elbo.is_finite() {
                    self.history.write(((e - self.last_elbo) / e).abs());
                }
                self.last_elbo = e;
                if self.history.is_full() {
                    let mean = self.history.iter().fold(T::ZERO, |a, b| a + *b)
                        / T::from_u64(CONVERGENCE_WINDOW as u64);
                    if mean < self.cfg.tol_rel_obj {
                        converged = true;
                        if i < tail_start {
                            tail_start = i;
                            end = end.min(i + tail_len(i));
                        }
                    }
                }
            }
            // After the convergence check, which may end the run here: the last step is
            // reported too (once), whatever its index (30 000 steps reported every 5 000 end
            // with a call at step 29 999).
            if report_every > 0 {
                // Zero on steps 0, report_every, 2·report_every, …
                let scheduled = to_report == 0;
                to_report = if scheduled { report_every } else { to_report } - 1;
                if (scheduled || i >= end) && !hook(i - 1, loss) {
                    stopped = true;
                    break;
                }
            }
        }
        if G::SPARE_BLOCK {
            G::mean_finish(&mut self.avg.mean);
        }
        Ok(RunReport {
            steps: i,
            converged,
            stopped,
            loss,
            elbo: -self.reported().loss(&self.stats, &mc),
            averaged: self.avg.count,
        })
    }

    /// The guide the posterior reports: the iterate average of the last run if there is one,
    /// else the current iterate.
    pub fn reported_guide(&self) -> G {
        *self.reported()
    }

    /// [`Fit::reported_guide`] by reference (no copy on the stack).
    pub(crate) fn reported(&self) -> &G {
        if self.avg.count == 0 {
            &self.guide
        } else {
            &self.avg.mean
        }
    }
}

impl<T: Normal, const P: usize> Fit<T, P> {
    /// The posterior: the averaged iterates of the last run, or the current iterate.
    /// [`Error::NotFitted`] before any fit (see [`Fit::is_fitted`]).
    pub fn posterior(&self) -> Result<Posterior<T, P>> {
        if !self.is_fitted() {
            return Err(Error::NotFitted);
        }
        Ok(Posterior::from_guide(self.reported(), self.features()))
    }

    /// The condition estimate S = n·ε·κ of the data (README, "Numerical limits"): n rows, ε the
    /// precision's machine epsilon, κ the largest ratio of a column's norm (the response's
    /// included) to the part of it that earlier columns and the prior do not explain, evaluated
    /// at the exact mean-field optimum (computed here, as [`Fit::solve_exact`] would; the fit is
    /// not changed).
    ///
    /// `solve_exact` refuses with [`Error::IllConditioned`](crate::Error::IllConditioned) when
    /// S exceeds [`ILL_CONDITIONED_LIMIT`](crate::ILL_CONDITIONED_LIMIT) (1/4): the answer might
    /// then have fewer than two correct digits. Below the limit it kept at least two correct digits
    /// in every case measured, usually far more. SVI (`step`, `run`) reads the same summary and
    /// does not check: call this to know whether to trust its result too. Centring and scaling the
    /// columns (and the response), or f64, lower S.
    ///
    /// Errors: those of the solve (`Overflow`, `NotConverged`).
    pub fn condition(&self) -> Result<T> {
        let mut g = self.guide;
        let (cond, _) = exact::optimum(self.stats(), &self.config().prior, &mut g)?;
        Ok(cond)
    }

    /// Sets the guide to the exact mean-field optimum (docs/exact-optimum.md) and resets
    /// the optimiser. The fit is unchanged on error: [`Error::IllConditioned`] when the data are
    /// too ill-conditioned for this precision to give the answer to at least two digits (see
    /// [`Fit::condition`] and README "Numerical limits"; centre and scale the data, or use f64),
    /// [`Error::NotConverged`] if the sweeps do not settle.
    pub fn solve_exact(&mut self) -> Result<ExactReport<T>> {
        let mut g = self.guide;
        let rep = exact::solve(&self.stats, &self.cfg.prior, &mut g)?;
        self.set_solved(g);
        Ok(rep)
    }

    /// One posterior draw of (α, β₁ … β_p, σ) into `out[..p + 2]`, from the fit's generator.
    /// For many draws, [`Fit::draws`] computes the posterior once. [`Error::NotFitted`] (the
    /// stream not advanced) before any fit.
    pub fn draw(&mut self, out: &mut [T]) -> Result<()> {
        let post = self.posterior()?;
        post.draw(&mut self.rng, out)
    }

    /// `out.len() / (p + 2)` posterior draws, one after the other in `out` (each as
    /// [`Fit::draw`] writes it, the same values as that many calls of it); returns how many.
    /// [`Error::Dimension`] (nothing drawn) if `out.len()` is not a multiple of p + 2,
    /// [`Error::NotFitted`] before any fit.
    pub fn draws(&mut self, out: &mut [T]) -> Result<usize> {
        self.draws_with(out, Self::posterior, |q, rng, row| q.draw(rng, row))
    }
}

/// A fit with the full-rank guide (Pyro's `AutoMultivariateNormal`): every method of [`Fit`],
/// with [`Fit::solve_exact`] giving the exact full-rank optimum and [`Fit::posterior`] a
/// [`FullPosterior`] (the whole covariance).
///
/// ```
/// use vireg::{Config, FullFit};
///
/// let mut fit: FullFit<f64, 8> = FullFit::new(2, Config::default()).unwrap();
/// for i in 0..100 {
///     let t = 25.0 + (i % 13) as f64 * 0.5; // an uncentred feature (a temperature)
///     let x = [t, 0.3 * t + (i % 5) as f64];
///     fit.observe(&x, 1.0 + 0.2 * x[0] - 0.1 * x[1] + 0.05 * ((i * 37 % 11) as f64 - 5.0))
///         .unwrap();
/// }
/// fit.solve_exact().unwrap(); // or fit.run(30_000, 0, |_, _| true) for SVI
/// let post = fit.posterior().unwrap();
/// let cov = post.covariance(); // (p+2)×(p+2), latent order α, β…, ln σ
/// let mut flat = [0.0; 16];
/// post.covariance_to(&mut flat).unwrap(); // the same, row-major
/// let (mean, sd) = post.predict(&[26.0, 9.0]).unwrap(); // uses the correlations
/// assert!((post.beta(0).unwrap().mean - 0.2).abs() < 0.05 && sd > 0.0 && mean.is_finite());
/// assert!(vireg::full::entry(&cov, 0, 1, 2) < 0.0); // α and β₁ anticorrelated (x₁ ≈ 28)
/// ```
pub type FullFit<T, const P: usize> = Fit<T, P, FullGuide<T, P>>;

impl<T: Normal, const P: usize> Fit<T, P, FullGuide<T, P>> {
    /// The posterior: the averaged iterates of the last run, or the current iterate, with the
    /// whole covariance. [`Error::NotFitted`] before any fit (see [`Fit::is_fitted`]).
    pub fn posterior(&self) -> Result<FullPosterior<T, P>> {
        if !self.is_fitted() {
            return Err(Error::NotFitted);
        }
        Ok(FullPosterior::from_guide(self.reported(), self.features()))
    }

    /// Sets the guide to the exact full-rank optimum (docs/full-rank.md §5: from the best
    /// mean-field optimum, the fixed point of the optimum's conditions, to rounding level) and
    /// resets the optimiser. The fit is unchanged on error: the mean-field solve's errors
    /// ([`Error::IllConditioned`], [`Error::NotConverged`]), [`Error::Overflow`] if the
    /// covariance leaves the precision's range, [`Error::NotConverged`] if the iterations do
    /// not settle.
    pub fn solve_exact(&mut self) -> Result<FullReport<T>> {
        // Into the fit's guide, which the solve leaves untouched on error: no guide on the stack.
        let rep = full::solve_into(&self.stats, &self.cfg.prior, &mut self.guide)?;
        self.solved();
        Ok(rep)
    }

    /// The condition estimate of the data (see the mean-field fit's `condition`): a property
    /// of the summary and the prior, the same for both guides.
    pub fn condition(&self) -> Result<T> {
        let mut g = Guide {
            loc: self.guide.loc,
            rho: self.guide.rho,
        };
        let (cond, _) = crate::exact::optimum(self.stats(), &self.config().prior, &mut g)?;
        Ok(cond)
    }

    /// One posterior draw of (α, β₁ … β_p, σ) into `out[..p + 2]` (z = m + L·ε, ε from the
    /// fit's generator). [`Error::NotFitted`] (the stream not advanced) before any fit.
    pub fn draw(&mut self, out: &mut [T]) -> Result<()> {
        let post = self.posterior()?;
        post.draw(&mut self.rng, out)
    }

    /// `out.len() / (p + 2)` posterior draws, one after the other (the values of as many calls
    /// of [`Fit::draw`]); returns how many. [`Error::Dimension`] (nothing drawn) if `out.len()`
    /// is not a multiple of p + 2, [`Error::NotFitted`] before any fit.
    pub fn draws(&mut self, out: &mut [T]) -> Result<usize> {
        self.draws_with(out, Self::posterior, |q, rng, row| q.draw(rng, row))
    }
}
